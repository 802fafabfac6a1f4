/**
 * Issue 6: the quality-test lab. Tiny G and S checkpoints are made here in Node (fixed seeds),
 * loaded through the file inputs; one single synthesis and a batch of 4 on the demo case; JSON/CSV
 * export; the slider's pass count must equal what the exported P values predict; the tensor count
 * returns to its baseline; the worker reports webgpu with --enable-unsafe-webgpu and falls back
 * (webgl or cpu) in a browser launched without it, and after a (simulated) lost device.
 *
 * MECHANICS TEST, NOT DATA: the networks are untrained (random weights), so P says nothing about
 * synthesis quality here; only that the lab computes, shows and exports it consistently.
 */
import { chromium, expect, test, type Page } from '@playwright/test';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { createClassifier, createGenerator, createSegmentor, saveCheckpoint, unetConfig } from '../src/models/index.ts';
import { ARTIFACTS, BASE_URL, openWorkbench } from './helpers/app.ts';
import { decodePng } from './helpers/png.ts';
import { DEMO_CT } from './helpers/sharedDemo.ts';

// adm-zip ships with dcmjs (no types): an independent reader for the zip the lab writes.
const AdmZip = createRequire(import.meta.url)('adm-zip') as new (data: Buffer) => { getEntries(): { entryName: string; getData(): Buffer }[] };

const ENCODER = [
  [2, 2],
  [2, 4],
];
const CARD = {
  preset: 'tiny',
  description: 'e2e mechanics test: untrained, random weights',
  provenance: { patch: [16, 16, 16], spacingMm: 3, made: 'e2e/qualityLab.spec.ts' },
};

let files: { generator: string; segmentor: string; classifier: string };

/**
 * An untrained S almost never argmaxes to a tumour class, so every P would be 0 and the slider test
 * would be trivial. Shift the head bias of class 2 (liver tumour) until about `share` of the voxels
 * of a random crop predict it: P then spreads over (0, 1) from tumour to tumour.
 */
function calibrateTumourBias(S: ReturnType<typeof createSegmentor>, share: number): void {
  const bias = S.params.get('head.bias')!;
  const x = tf.randomUniform([1, 16, 16, 16, 1], 0.3, 0.7, 'float32', 7) as tf.Tensor5D;
  const base = bias.arraySync() as number[];
  const tumourShare = (b: number) =>
    tf.tidy(() => {
      bias.assign(tf.tensor1d(base.map((v, c) => (c === 2 ? v + b : v))));
      return tf.mean(tf.equal(tf.argMax(S.apply(x), 4), 2).toFloat()).arraySync() as number;
    });
  let lo = -20;
  let hi = 20;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (tumourShare(mid) < share) lo = mid;
    else hi = mid;
  }
  tumourShare((lo + hi) / 2);
  x.dispose();
}

test.beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'ftw-quality-lab-'));
  const G = createGenerator(unetConfig(1, 3, ENCODER, { seed: 1 }));
  const S = createSegmentor(unetConfig(1, 7, ENCODER, { seed: 3, norm: 'instance' }), 'universal');
  const C = createClassifier(unetConfig(1, 3, ENCODER, { seed: 2 }));
  calibrateTumourBias(S, 0.4);
  files = { generator: join(dir, 'tiny-generator.safetensors'), segmentor: join(dir, 'tiny-segmentor.safetensors'), classifier: join(dir, 'tiny-classifier.safetensors') };
  writeFileSync(files.generator, await saveCheckpoint({ networks: { G }, step: 0, card: CARD }));
  writeFileSync(files.segmentor, await saveCheckpoint({ networks: { S }, step: 0, card: CARD }));
  writeFileSync(files.classifier, await saveCheckpoint({ networks: { C }, step: 0, card: CARD }));
  [G, S, C].forEach((n) => n.dispose());
});

async function openLab(page: Page): Promise<void> {
  await openWorkbench(page);
  await page.getByTestId('open-quality-lab').click();
  await expect(page.getByTestId('quality-lab')).toBeVisible();
}

async function loadModels(page: Page): Promise<void> {
  await page.getByTestId('ql-file-generator').setInputFiles(files.generator);
  await page.getByTestId('ql-file-segmentor').setInputFiles(files.segmentor);
  await expect(page.getByTestId('ql-card-generator')).toContainText('tiny-generator.safetensors');
  await expect(page.getByTestId('ql-card-segmentor')).toContainText('universal');
  await expect(page.getByTestId('ql-card-segmentor')).toContainText('16×16×16 @ 3 mm');
}

async function runSingle(page: Page): Promise<number> {
  await page.getByTestId('ql-synthesize').click();
  const p = page.getByTestId('ql-single-result');
  await expect(p).toBeVisible({ timeout: 90_000 });
  const value = Number(await p.getAttribute('data-p'));
  expect(Number.isFinite(value)).toBe(true);
  expect(value).toBeGreaterThanOrEqual(0);
  expect(value).toBeLessThanOrEqual(1);
  return value;
}

test('quality lab on webgpu: models, single, batch of 4, export, slider, tensors, fallback', async ({ page }) => {
  test.setTimeout(180_000);
  // This test loads its own checkpoints: hide whatever demo models public/models/ bundles, which
  // also exercises the app's "none bundled" path (the second test serves them).
  await page.route('**/models/demo-*.safetensors', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openLab(page);
  await expect(page.getByTestId('ql-demo-absent')).toHaveText('No demo models bundled yet; load checkpoints.');
  await expect(page.getByTestId('ql-backend')).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });

  await loadModels(page);
  // A classifier in the generator slot is refused with a reason; the slot keeps G.
  await page.getByTestId('ql-file-generator').setInputFiles(files.classifier);
  await expect(page.getByTestId('ql-model-error')).toContainText('needs a generator; this checkpoint holds C (classifier)');
  await expect(page.getByTestId('ql-card-generator')).toContainText('tiny-generator.safetensors');

  await runSingle(page);
  await page.screenshot({ path: `${ARTIFACTS}/quality-lab-single.png` });
  const firstCentre = (await page.getByTestId('ql-single-result').getAttribute('data-centre'))!.split(',').map(Number);

  // Place by click: click inside M's outline (lime) in the hero axial tile → a tumour centred there.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const canvas = page.getByTestId('ql-canvas');
  const img = decodePng(await canvas.screenshot());
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = 0; y < img.height * 0.6; y++) {
    for (let x = 0; x < img.width; x++) {
      const o = 4 * (x + img.width * y);
      if (img.data[o + 1] > 200 && img.data[o] < 150 && img.data[o + 2] < 130) {
        sx += x;
        sy += y;
        n++;
      }
    }
  }
  expect(n).toBeGreaterThan(0);
  await page.getByTestId('ql-place').click();
  await canvas.click({ position: { x: sx / n, y: sy / n } });
  await expect(page.getByTestId('ql-synthesize')).toHaveText(/at click/);
  await expect(page.getByTestId('ql-synthesize')).toBeEnabled({ timeout: 60_000 });
  await expect(page.getByTestId('ql-error')).toHaveCount(0);
  const clicked = (await page.getByTestId('ql-single-result').getAttribute('data-centre'))!.split(',').map(Number);
  // Within the tiny tumour's reach of the first centre (same slice: the hero view is axial).
  expect(clicked[2]).toBe(firstCentre[2]);
  expect(Math.hypot(clicked[0] - firstCentre[0], clicked[1] - firstCentre[1])).toBeLessThan(6);

  await page.getByTestId('ql-count').fill('4');
  await page.getByTestId('ql-run-batch').click();
  const status = page.getByTestId('ql-batch-status');
  await expect(status).toHaveAttribute('data-finished', 'true', { timeout: 120_000 });
  await expect(page.getByTestId('ql-thumb')).toHaveCount(4);
  // Every tensor of the batch was freed: the count is back to its baseline (the networks' weights).
  const before = Number(await status.getAttribute('data-tensors-before'));
  const after = Number(await status.getAttribute('data-tensors-after'));
  expect(before).toBeGreaterThan(0);
  expect(after).toBe(before);

  const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ql-export-json').click()]);
  const [csvDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ql-export-csv').click()]);
  const json = JSON.parse(readFileSync((await jsonDl.path())!, 'utf8')) as { threshold: number; items: { P: number | null; seed: number; organ: string; pass: boolean }[] };
  const csv = readFileSync((await csvDl.path())!, 'utf8').trim().split('\n');
  writeFileSync(`${ARTIFACTS}/quality-lab.json`, JSON.stringify(json, null, 2));
  writeFileSync(`${ARTIFACTS}/quality-lab.csv`, csv.join('\n') + '\n');
  expect(json.items).toHaveLength(4);
  expect(csv).toHaveLength(2 + 4);
  const header = csv[1].split(',');
  const pCol = header.indexOf('P');
  const csvP = csv.slice(2).map((l) => Number(l.split(',')[pCol]));
  expect(csvP).toEqual(json.items.map((i) => (i.P === null ? NaN : i.P)));
  for (const it of json.items) expect(it.pass).toBe(it.P !== null && it.P >= json.threshold);

  // The slider's pass count is what the exported P values predict, at several T.
  const P = json.items.map((i) => i.P);
  const probe = [0, 0.1, 0.25, 0.5, 0.7, 0.9, 1, ...P.filter((p): p is number => p !== null).map((p) => Math.round(p * 100) / 100)];
  for (const t of probe) {
    await page.getByTestId('ql-threshold').fill(String(t));
    await expect(page.getByTestId('ql-threshold-value')).toHaveText(t.toFixed(2));
    const expected = P.filter((p) => p !== null && p >= t).length;
    await expect(page.getByTestId('ql-pass-rate')).toHaveAttribute('data-pass', String(expected));
    await expect(page.locator('[data-testid="ql-thumb"][data-pass="true"]')).toHaveCount(expected);
  }
  // The passing cases as NIfTI image + label in the source geometry (T = the best P: one passes).
  const best = Math.max(...P.filter((p): p is number => p !== null));
  await page.getByTestId('ql-threshold').fill(String(Math.floor(best * 100) / 100));
  // One zip, re-read by an independent reader (adm-zip checks every entry's CRC-32): an image and
  // a label per passing tumour, named by the seeds the JSON export gives them.
  const tCut = Math.floor(best * 100) / 100;
  const [zipDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ql-export-nifti').click()]);
  expect(zipDl.suggestedFilename()).toBe('example_ct_lab_passing_nifti.zip');
  const entries = new AdmZip(readFileSync((await zipDl.path())!)).getEntries();
  const passingSeeds = json.items.filter((i) => i.P !== null && i.P >= tCut).map((i) => i.seed);
  expect(passingSeeds.length).toBeGreaterThan(0);
  expect(entries.map((e) => e.entryName.replace(/^example_ct_lab\d{3}_/, '')).sort()).toEqual(
    passingSeeds.flatMap((seed) => [`seed${seed}.nii.gz`, `seed${seed}_label.nii.gz`]).sort(),
  );
  const source = gunzipSync(readFileSync(DEMO_CT));
  for (const e of entries) {
    const nii = gunzipSync(e.getData());
    for (const off of [42, 44, 46]) expect(nii.readInt16LE(off)).toBe(source.readInt16LE(off));
    // Same srow (sform) as the source: the export keeps the source geometry.
    for (let off = 280; off < 328; off += 4) expect(nii.readFloatLE(off)).toBeCloseTo(source.readFloatLE(off), 4);
    const body = nii.subarray(Math.round(nii.readFloatLE(108)));
    if (e.entryName.endsWith('_label.nii.gz')) {
      // The demo labels hold no tumour: the exported label map carries the synthetic one (ids 2 / 4 / 6).
      expect(body.filter((v) => v === 2 || v === 4 || v === 6).length, e.entryName).toBeGreaterThan(0);
    } else {
      // The image is the source with the tumour composed in: same size, some voxels changed.
      const src = source.subarray(Math.round(source.readFloatLE(108)));
      expect(body.length).toBe(src.length);
      expect(body.filter((v, n) => v !== src[n]).length, e.entryName).toBeGreaterThan(0);
    }
  }
  await expect(page.getByTestId('ql-notices')).toContainText(`Saved example_ct_lab_passing_nifti.zip: image + label for ${passingSeeds.length} passing tumour`);

  await page.getByTestId('ql-threshold').fill('0.3');
  await page.getByTestId('ql-thumb').first().click();
  await expect(page.getByTestId('ql-thumb').first()).toHaveClass(/is-shown/);
  // The result panel follows the gallery item opened, not the last single synthesis.
  const opened = page.getByTestId('ql-thumb').first();
  await expect(page.getByTestId('ql-single-result')).toHaveAttribute('data-from', 'gallery');
  await expect(page.getByTestId('ql-single-result')).toHaveAttribute('data-p', (await opened.getAttribute('data-p'))!);
  await expect(page.getByTestId('ql-result-source')).toContainText('Gallery item #');
  // The case's own labels are listed (the demo: liver, pancreas, kidney) and drawn.
  await expect(page.getByTestId('ql-case-label')).toHaveText(['■ liver', '■ pancreas', '■ kidney']);
  // Zoom: the view changes and says by how much; Fit returns to the same picture.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const fitted = await page.getByTestId('ql-canvas').screenshot();
  await page.getByTestId('ql-zoom-in').click();
  await page.getByTestId('ql-zoom-in').click();
  await expect(page.getByTestId('ql-zoom')).toHaveText('156%');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect((await page.getByTestId('ql-canvas').screenshot()).equals(fitted)).toBe(false);
  await page.screenshot({ path: `${ARTIFACTS}/quality-lab-batch-zoomed.png` });
  await page.getByTestId('ql-zoom-reset').click();
  await expect(page.getByTestId('ql-zoom')).toHaveText('100%');
  await page.screenshot({ path: `${ARTIFACTS}/quality-lab-batch.png` });

  // A long batch shows progress and stops at Cancel (checked between tumours); tensors freed again.
  await page.getByTestId('ql-count').fill('50');
  await page.getByTestId('ql-run-batch').click();
  await expect(page.getByTestId('ql-progress')).toBeVisible();
  await expect(page.getByTestId('ql-thumb')).not.toHaveCount(0);
  await page.getByTestId('ql-cancel').click();
  await expect(status).toHaveAttribute('data-finished', 'true');
  await expect(status).toContainText('(cancelled)');
  expect(await page.getByTestId('ql-thumb').count()).toBeLessThan(50);
  expect(Number(await status.getAttribute('data-tensors-after'))).toBe(before);

  // A lost WebGPU device: a message, the next backend, and the lab still computes.
  await page.evaluate(() => (window as unknown as { __ftwLab: { simulateDeviceLost(): void } }).__ftwLab.simulateDeviceLost());
  await runSingle(page);
  await expect(page.getByTestId('ql-backend')).toHaveAttribute('data-backend', /^(webgl|cpu)$/);
  await expect(page.getByTestId('ql-notices')).toContainText('device');
});

test('quality lab without --enable-unsafe-webgpu falls back and still works', async () => {
  test.setTimeout(150_000);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
    // Bundled demo models (public/models/, another issue): served here, they load at start.
    for (const slot of ['generator', 'segmentor'] as const) {
      await page.route(`**/models/demo-${slot}.safetensors`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: readFileSync(files[slot]) }));
    }
    await openLab(page);
    await expect(page.getByTestId('ql-card-generator')).toContainText('demo-generator.safetensors');
    await expect(page.getByTestId('ql-card-segmentor')).toContainText('demo-segmentor.safetensors');
    await expect(page.getByTestId('ql-demo-absent')).toHaveCount(0);
    const backend = page.getByTestId('ql-backend');
    await expect(backend).toHaveAttribute('data-backend', /^(webgl|cpu)$/, { timeout: 60_000 });
    // Drag and drop: both checkpoints at once onto the lab; G and S are told apart by their cards.
    const dropped = [files.generator, files.segmentor].map((f) => ({ name: f.split('/').pop()!, b64: readFileSync(f).toString('base64') }));
    await page.evaluate((items) => {
      const dt = new DataTransfer();
      for (const { name, b64 } of items) dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
      const target = document.querySelector('[data-testid="quality-lab"]')!;
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, dropped);
    await expect(page.getByTestId('ql-card-generator')).toContainText('tiny-generator.safetensors');
    await expect(page.getByTestId('ql-card-segmentor')).toContainText('tiny-segmentor.safetensors');
    await expect(page.getByTestId('case-image-name')).toHaveText('example_ct.nii.gz');
    await runSingle(page);
    await page.getByTestId('ql-count').fill('2');
    await page.getByTestId('ql-run-batch').click();
    await expect(page.getByTestId('ql-batch-status')).toHaveAttribute('data-finished', 'true', { timeout: 90_000 });
    await expect(page.getByTestId('ql-thumb')).toHaveCount(2);
    await page.screenshot({ path: `${ARTIFACTS}/quality-lab-fallback.png` });
  } finally {
    await browser.close();
  }
});

test('a fresh page loads the bundled demo models from public/models and gets a finite P', async ({ page }) => {
  test.setTimeout(150_000);
  await openLab(page);
  await expect(page.getByTestId('ql-card-generator')).toContainText('demo-generator.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('ql-card-segmentor')).toContainText('demo-segmentor.safetensors');
  await expect(page.getByTestId('ql-demo-absent')).toHaveCount(0);
  const p = await runSingle(page);
  expect(Number.isFinite(p)).toBe(true);
  await page.screenshot({ path: `${ARTIFACTS}/quality-lab-demo-models.png` });
});
