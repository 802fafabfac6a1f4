import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, newWorkbenchPage } from './helpers/app.ts';
import { pixelStats } from './helpers/png.ts';
import { DEMO_CT_SLAB, DEMO_SEG, DEMO_SEG_SLAB, fileAs, SHARED_DEMO_PRESENT, skipWithoutSharedDemo } from './helpers/sharedDemo.ts';

skipWithoutSharedDemo();
const CT_SM = DEMO_CT_SLAB;
const SEG_SM = DEMO_SEG_SLAB;
// The slab's labels are example_seg.nii.gz at their source; here they keep the _sm name they had.
const SEG_SM_FILE = SHARED_DEMO_PRESENT ? fileAs(SEG_SM, 'example_seg_sm.nii.gz') : (undefined as never);

// One page per file: loading the workbench costs ~10 s on this machine, so tests share it and
// each one sets up the state it needs.
test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page.close();
});

test('a NIfTI image and label map open through the file inputs', async () => {
  await page.getByTestId('file-input-image').setInputFiles(CT_SM);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_sm.nii.gz');
  await expect(page.getByTestId('case-dims')).toHaveText('122 × 101 × 30');
  await expect(page.getByText('Local file', { exact: true })).toBeVisible();
  await expect(page.getByTestId('case-label-name')).toHaveText('none');
  expect(pixelStats(await canvasPixels(page)).std).toBeGreaterThan(20);

  await page.getByTestId('file-input-labels').setInputFiles(SEG_SM_FILE);
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg_sm.nii.gz');
  await expect(page.getByTestId('label-legend')).toContainText('Liver');
  await expect(page.getByTestId('status-message')).toContainText('not uploaded');
  await page.screenshot({ path: `${ARTIFACTS}/local-files.png` });
});

test('a bad file gives a message naming it and the app keeps working', async () => {
  const before = (await page.getByTestId('case-image-name').textContent()) ?? '';
  await page.getByTestId('file-input-image').setInputFiles({
    name: 'broken_scan.nii.gz',
    mimeType: 'application/gzip',
    buffer: Buffer.from('this is not a NIfTI file at all'),
  });
  const msg = page.getByTestId('status-message');
  await expect(msg).toHaveAttribute('data-level', 'error');
  await expect(msg).toContainText('broken_scan.nii.gz');
  await page.screenshot({ path: `${ARTIFACTS}/bad-file.png` });
  // The case on screen is untouched and the app still responds.
  await expect(page.getByTestId('case-image-name')).toHaveText(before);
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

test('dropping an image and its label map anywhere opens both', async () => {
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

test('a label map on another grid opens with a notice', async () => {
  // The full demo label map (112 slices) onto the 30-slice crop that is open now.
  await page.getByTestId('file-input-labels').setInputFiles(fileAs(DEMO_SEG, 'example_seg.nii.gz'));
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg.nii.gz');
  const msg = page.getByTestId('status-message');
  await expect(msg).toHaveAttribute('data-level', 'info');
  await expect(msg).toContainText("not on the image's voxel grid");
});
