import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, openWorkbench } from './helpers/app.ts';
import { pixelStats } from './helpers/png.ts';

const CT_SM = 'e2e/fixtures/example_ct_sm.nii.gz';
const SEG_SM = 'e2e/fixtures/example_seg_sm.nii.gz';

test.beforeEach(async ({ page }) => {
  await openWorkbench(page);
});

test('a NIfTI image and label map open through the file inputs', async ({ page }) => {
  await page.getByTestId('file-input-image').setInputFiles(CT_SM);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_sm.nii.gz');
  await expect(page.getByTestId('case-dims')).toHaveText('122 × 101 × 30');
  await expect(page.getByText('Local file', { exact: true })).toBeVisible();
  await expect(page.getByTestId('case-label-name')).toHaveText('none');
  expect(pixelStats(await canvasPixels(page)).std).toBeGreaterThan(20);

  await page.getByTestId('file-input-labels').setInputFiles(SEG_SM);
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg_sm.nii.gz');
  await expect(page.getByTestId('label-legend')).toContainText('Liver');
  await expect(page.getByTestId('status-message')).toContainText('not uploaded');
  await page.screenshot({ path: `${ARTIFACTS}/local-files.png` });
});

test('a bad file gives a message naming it and the app keeps working', async ({ page }) => {
  await page.getByTestId('file-input-image').setInputFiles({
    name: 'broken_scan.nii.gz',
    mimeType: 'application/gzip',
    buffer: Buffer.from('this is not a NIfTI file at all'),
  });
  const msg = page.getByTestId('status-message');
  await expect(msg).toHaveAttribute('data-level', 'error');
  await expect(msg).toContainText('broken_scan.nii.gz');
  await page.screenshot({ path: `${ARTIFACTS}/bad-file.png` });
  // The demo case is still there and still responds.
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct.nii.gz');
  await page.keyboard.press('2');
  await expect(page.getByTestId('window-current')).toHaveText('W 150 · L 90');

  await page.getByTestId('file-input-image').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(msg).toContainText('notes.txt');
  await expect(msg).toContainText('NIfTI');
});

async function dropFiles(page: Page, files: { path: string; name: string }[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, b64: readFileSync(f.path).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of items) {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let n = 0; n < bin.length; n++) bytes[n] = bin.charCodeAt(n);
      dt.items.add(new File([bytes], name));
    }
    return dt;
  }, payload);
  const target = page.getByTestId('viewer-canvas');
  await target.dispatchEvent('dragenter', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

test('dropping an image and its label map anywhere opens both', async ({ page }) => {
  await dropFiles(page, [
    { path: SEG_SM, name: 'example_seg_sm.nii.gz' },
    { path: CT_SM, name: 'example_ct_sm.nii.gz' },
  ]);
  await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
  // Named *_seg*, the label map is recognised whatever the drop order.
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_sm.nii.gz');
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg_sm.nii.gz');
  await expect(page.getByTestId('label-legend')).toContainText('Kidney');
  await canvasPixels(page, 'dropped.png');
});
