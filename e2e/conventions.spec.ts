import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, newWorkbenchPage } from './helpers/app.ts';
import { DEMO_SEG, fileAs } from './helpers/sharedDemo.ts';

test.describe.configure({ mode: 'serial' });
let page: Page;
test.beforeAll(async ({ browser }) => {
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page.close();
});

const worldMm = async () => (await page.getByTestId('readout-mm').innerText()).replace(' mm', '').split(', ').map(Number);

/** Columns where niivue drew the slice (anything brighter than the canvas background). */
async function drawnColumns(): Promise<{ x0: number; x1: number; y: number }> {
  const img = await canvasPixels(page, 'sagittal.png');
  let x0 = img.width, x1 = 0;
  const y = Math.floor(img.height / 2);
  for (let x = 0; x < img.width; x++) {
    const p = (y * img.width + x) * 4;
    if (img.data[p] > 40 || img.data[p + 1] > 40 || img.data[p + 2] > 40) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
    }
  }
  return { x0, x1, y };
}

test('sagittal puts anterior on the left, as Slicer and OHIF do', async () => {
  await page.keyboard.press('s');
  await expect(page.getByTestId('layout-sagittal')).toHaveAttribute('aria-pressed', 'true');
  const { x0, x1, y } = await drawnColumns();
  expect(x1 - x0).toBeGreaterThan(100);
  const box = (await page.getByTestId('viewer-canvas').boundingBox())!;
  const clickAt = async (x: number) => {
    await page.mouse.click(box.x + x, box.y + y);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return worldMm();
  };
  const left = await clickAt(x0 + (x1 - x0) * 0.25);
  const right = await clickAt(x0 + (x1 - x0) * 0.75);
  console.log('sagittal click left → RAS', left.join(','), '| right → RAS', right.join(','));
  // RAS +y is anterior: the left of the slice is further forward. Same sagittal plane (x) for both.
  expect(left[1]).toBeGreaterThan(right[1] + 20);
  expect(left[0]).toBeCloseTo(right[0], 1);
  await page.screenshot({ path: `${ARTIFACTS}/sagittal-page.png` });
});

test('the readout names its frame and switches between RAS and LPS', async () => {
  const frame = page.getByTestId('readout-frame');
  await expect(frame).toHaveText('World RAS');
  const ras = await worldMm();
  await frame.click();
  await expect(frame).toHaveText('World LPS');
  const lps = await worldMm();
  expect(lps[0]).toBeCloseTo(-ras[0], 1);
  expect(lps[1]).toBeCloseTo(-ras[1], 1);
  expect(lps[2]).toBeCloseTo(ras[2], 1);
  await page.getByTestId('readout').screenshot({ path: `${ARTIFACTS}/readout-lps.png` });
  await page.getByTestId('viewer-canvas').focus();
  await page.keyboard.press('Shift+W');
  await expect(frame).toHaveText('World RAS');
});

test('an error from a failed open is gone once a later open succeeds', async () => {
  const msg = page.getByTestId('status-message');
  await page.getByTestId('file-input-labels').setInputFiles({ name: 'notes.nii.gz', mimeType: 'application/gzip', buffer: Buffer.from('not a nifti') });
  await expect(msg).toHaveAttribute('data-level', 'error');
  await page.getByTestId('file-input-labels').setInputFiles(fileAs(DEMO_SEG, 'example_seg.nii.gz'));
  await expect(msg).toContainText('Opened label map example_seg.nii.gz');
  // Dismissing the success shows what is still current: nothing, not the stale error.
  await msg.getByRole('button', { name: 'Dismiss message' }).click();
  await expect(page.getByTestId('status-message')).toHaveCount(0);
});
