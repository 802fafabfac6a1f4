import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { BASE_URL, openWorkbench } from './helpers/app.ts';
import { writeSyntheticCt } from './helpers/syntheticCt.ts';
import { collectLongTasks, installLongTaskObserver, resetLongTasks, splitByRefresh, type LongTask } from './helpers/longTasks.ts';

/**
 * Nothing heavy on the page's thread: a clinical-size CT (512×512×N int16; 150 MB at N = 300) and
 * its label map are opened through the file inputs while a PerformanceObserver records every task over
 * 50 ms. Reading, parsing, label splitting, anchors, lesion statistics and every copy made for a
 * worker must never hold the thread for more than 200 ms in one task. niivue's GPU refresh (one
 * synchronous upload-and-render per layer, which a software GPU turns into seconds, and the frames
 * that wait for that GPU work) is the one exception; the app names it in the performance timeline
 * (src/app/viewer/glRefresh.ts), and tasks inside it are reported here, not bounded (see
 * docs/benchmarks.md).
 */
const BOUND_MS = 200;
/**
 * 96 slices (25 M voxels, 50 MB) by default keeps the spec's cost in `npm test` near half a minute
 * on two loaded cores; a full-volume pass on the page's thread is still far over the bound at this
 * size. The acceptance size is FTW_LONGTASK_SLICES=300 (≈ 2.5 min here; it passes too, see
 * docs/benchmarks.md).
 */
const SLICES = Number(process.env.FTW_LONGTASK_SLICES ?? 96);
const dir = join(tmpdir(), `ftw-longtasks-${process.pid}`);

test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
  await installLongTaskObserver(page);
  await openWorkbench(page);
});
test.afterAll(async () => {
  await page?.close();
  rmSync(dir, { recursive: true, force: true });
});

function report(phase: string, tasks: LongTask[]): void {
  const { own, niivue } = splitByRefresh(tasks);
  const text = `${phase}: ${tasks.length} long tasks; longest outside niivue's GPU refresh ${Math.round(Math.max(0, ...own))} ms; longest niivue refresh ${Math.round(Math.max(0, ...niivue))} ms`;
  test.info().annotations.push({ type: 'long tasks', description: text });
  console.log(text);
}

test(`a 512×512×${SLICES} int16 CT and its labels open without holding the page's thread`, async () => {
  test.setTimeout(240_000);
  const ct = writeSyntheticCt(dir, `ct512x${SLICES}`, { dims: [512, 512, SLICES], spacing: [0.74, 0.74, 1.5], seed: 16 });

  await resetLongTasks(page);
  await page.getByTestId('file-input-image').setInputFiles(ct.image);
  await expect(page.getByTestId('case-dims')).toHaveText(`512 × 512 × ${SLICES}`, { timeout: 120_000 });
  const image = await collectLongTasks(page);

  await resetLongTasks(page);
  await page.getByTestId('file-input-labels').setInputFiles(ct.labels);
  await expect(page.getByTestId('case-label-name')).toHaveText(`ct512x${SLICES}_seg.nii`, { timeout: 120_000 });
  await expect(page.getByTestId('label-legend')).toContainText('Kidney');
  // The one tumour of the map, measured in the worker from copies made a slab at a time.
  await expect(page.getByTestId('lesion-table').locator('tbody tr')).toHaveCount(1, { timeout: 120_000 });
  const labels = await collectLongTasks(page);

  report('image', image);
  report('labels', labels);
  for (const [phase, tasks] of [['image', image], ['labels', labels]] as const) {
    const { own } = splitByRefresh(tasks);
    expect(Math.max(0, ...own), `${phase}: longest task outside niivue's GPU refresh (ms)`).toBeLessThanOrEqual(BOUND_MS);
  }
});

test('a scan over the size limit is refused from its header, with a message naming it', async () => {
  // A header declaring 512×512×700 int16 (350 MB) and no voxels: refused before anything is read.
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  [3, 512, 512, 700, 1, 1, 1, 1].forEach((d, n) => h.writeInt16LE(d, 40 + 2 * n));
  h.writeInt16LE(4, 70);
  h.writeInt16LE(16, 72);
  [1, 1, 1, 1].forEach((s, n) => h.writeFloatLE(s, 76 + 4 * n));
  h.writeFloatLE(352, 108);
  h.write('n+1\0', 344, 'latin1');
  const path = join(dir, 'whole_body_700.nii');
  writeFileSync(path, h);
  const before = await page.getByTestId('case-image-name').textContent();
  await page.getByTestId('file-input-image').setInputFiles(path);
  const msg = page.getByTestId('status-message').filter({ hasText: 'whole_body_700.nii' });
  await expect(msg).toHaveAttribute('data-level', 'error');
  await expect(msg).toContainText('512×512×700');
  await expect(msg).toContainText('more than this viewer holds');
  await expect(page.getByTestId('case-image-name')).toHaveText(before ?? '');
});
