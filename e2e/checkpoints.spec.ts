/**
 * Issue 4: the browser's checkpoint library. On a fresh page the bundled demo G is saved to
 * IndexedDB, survives a reload, is renamed, loaded from the library into the G slot, and
 * downloaded; the downloaded bytes are the bundled file (the format the Node CLI reads), checked
 * with the real reader (src/models/checkpoint.ts).
 */
import { expect, test, type Download, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { readCheckpoint } from '../src/models/checkpoint.ts';
import { ARTIFACTS, openWorkbench } from './helpers/app.ts';

const DEMO_G = 'public/models/demo-generator.safetensors';

async function openLab(page: Page): Promise<void> {
  await openWorkbench(page);
  await page.getByTestId('open-quality-lab').click();
  await expect(page.getByTestId('quality-lab')).toBeVisible();
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Uint8Array }> {
  const [d] = await Promise.all([page.waitForEvent('download') as Promise<Download>, click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: new Uint8Array(readFileSync(path)) };
}

test('save the demo G to the browser, reload, load it back, download the same checkpoint', async ({ page }) => {
  test.setTimeout(240_000);
  await openLab(page);
  await expect(page.getByTestId('ql-card-generator')).toContainText('demo-generator.safetensors', { timeout: 90_000 });
  await expect(page.getByTestId('ql-saved-empty')).toBeVisible();

  await page.getByTestId('ql-save-generator').click();
  const item = page.getByTestId('ql-saved-item');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-name', 'demo-generator');
  await expect(page.getByTestId('ql-saved-notice')).toHaveText('Saved "demo-generator" in this browser.');
  // Saving the same bytes again does not duplicate the entry.
  await page.getByTestId('ql-save-generator').click();
  await expect(page.getByTestId('ql-saved-notice')).toHaveText('Already saved in this browser as "demo-generator".');
  await expect(item).toHaveCount(1);

  await page.reload({ waitUntil: 'commit' });
  await openLab(page);
  await expect(page.getByTestId('ql-saved')).toHaveAttribute('data-status', 'ready');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-name', 'demo-generator');
  await expect(item).toContainText('generator');

  // Rename, then load it from the library into an empty G slot.
  await expect(page.getByTestId('ql-card-generator')).toContainText('demo-generator.safetensors', { timeout: 90_000 });
  await page.getByTestId('ql-model-generator').getByRole('button', { name: 'Unload' }).click();
  await expect(page.getByTestId('ql-card-generator')).toHaveCount(0);
  await item.getByRole('button', { name: 'Rename' }).click();
  await page.getByTestId('ql-saved-rename-input').fill('demo G (browser)');
  await page.getByTestId('ql-saved-rename-input').press('Enter');
  await expect(item).toHaveAttribute('data-name', 'demo G (browser)');
  await item.getByTestId('ql-saved-load-generator').click();
  await expect(page.getByTestId('ql-card-generator')).toContainText('demo G (browser).safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('ql-model-error')).toHaveCount(0);
  await page.getByTestId('quality-lab').screenshot({ path: `${ARTIFACTS}/checkpoints-library.png` });

  // Download from the library and from the slot: both are the bundled file, byte for byte.
  const demo = new Uint8Array(readFileSync(DEMO_G));
  const fromLibrary = await downloaded(page, () => item.getByTestId('ql-saved-download').click());
  expect(fromLibrary.name).toBe('demo G (browser).safetensors');
  const fromSlot = await downloaded(page, () => page.getByTestId('ql-download-generator').click());
  for (const d of [fromLibrary, fromSlot]) {
    expect(d.bytes.length).toBe(demo.length);
    expect(Buffer.compare(Buffer.from(d.bytes), Buffer.from(demo))).toBe(0);
  }
  const got = readCheckpoint(fromLibrary.bytes);
  const ref = readCheckpoint(demo);
  expect(got.manifest).toEqual(ref.manifest);
  expect(Object.values(got.manifest.networks).map((n) => n.role)).toContain('generator');
  expect([...got.tensors.keys()]).toEqual([...ref.tensors.keys()]);
  for (const [k, t] of ref.tensors) {
    expect(got.tensors.get(k)!.shape).toEqual(t.shape);
    expect(Buffer.compare(Buffer.from(got.tensors.get(k)!.data.buffer), Buffer.from(t.data.buffer))).toBe(0);
  }

  // Delete (two steps) empties the library.
  await item.getByTestId('ql-saved-delete').click();
  await item.getByTestId('ql-saved-delete-confirm').click();
  await expect(page.getByTestId('ql-saved-empty')).toBeVisible();
});
