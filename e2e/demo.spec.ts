import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, newWorkbenchPage } from './helpers/app.ts';
import { countWhere, meanAbsDiff, pixelStats } from './helpers/png.ts';
import { interiorVoxel, readNiftiFile } from './helpers/nifti.ts';
import { DEMO_CT, DEMO_SEG, SHARED_DEMO_PRESENT, skipWithoutSharedDemo } from './helpers/sharedDemo.ts';

skipWithoutSharedDemo();
const CT = SHARED_DEMO_PRESENT ? readNiftiFile(DEMO_CT) : (undefined as never);
const SEG = SHARED_DEMO_PRESENT ? readNiftiFile(DEMO_SEG) : (undefined as never);

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

test('opens on the demo case with legend and readout populated', async () => {
  await expect(page.getByTestId('case-dims')).toHaveText('122 × 101 × 112');
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg.nii.gz');
  const legend = page.getByTestId('label-legend');
  for (const name of ['Liver', 'Pancreas', 'Kidney']) await expect(legend).toContainText(name);
  await expect(page.getByTestId('label-row-kidney')).toContainText('kidney_right + kidney_left');
  await expect(page.getByTestId('readout-value')).toHaveText(/^-?\d+$/);
  await expect(page.getByTestId('readout-voxel')).toHaveText(/^\d+, \d+, \d+$/);
  // The demo opens on the liver's centroid so the organ is in every plane.
  await expect(page.getByTestId('readout-label')).toContainText('liver');
  await page.screenshot({ path: `${ARTIFACTS}/demo-full.png` });
});

test('the canvas is not blank', async () => {
  const stats = pixelStats(await canvasPixels(page, 'demo-canvas.png'));
  console.log('canvas stats', stats);
  expect(stats.std).toBeGreaterThan(20);
  expect(stats.colours).toBeGreaterThan(100);
});

test('a window preset changes the rendering', async () => {
  const abdomen = await canvasPixels(page);
  await page.keyboard.press('4');
  await expect(page.getByTestId('window-preset-bone')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('window-current')).toHaveText('W 1800 · L 400');
  const bone = await canvasPixels(page, 'window-bone.png');
  const diff = meanAbsDiff(abdomen, bone);
  console.log('abdomen→bone mean abs diff', diff.toFixed(2), 'mean', pixelStats(abdomen).mean.toFixed(1), '→', pixelStats(bone).mean.toFixed(1));
  expect(diff).toBeGreaterThan(5);
  // Bone window compresses soft tissue towards grey-black: the image gets darker overall.
  expect(pixelStats(bone).mean).toBeLessThan(pixelStats(abdomen).mean);

  await page.getByTestId('window-preset-liver').click();
  await expect(page.getByTestId('window-current')).toHaveText('W 150 · L 90');
  expect(meanAbsDiff(bone, await canvasPixels(page))).toBeGreaterThan(5);
});

test('a label toggle changes the rendering', async () => {
  // Liver is drawn orange (221,132,82): red clearly above blue.
  const orange = (r: number, g: number, b: number) => r > 120 && r - b > 60 && g > b;
  const before = await canvasPixels(page);
  await page.getByTestId('label-toggle-liver').uncheck();
  await expect(page.getByTestId('label-row-liver')).toHaveClass(/is-hidden/);
  const after = await canvasPixels(page, 'liver-hidden.png');
  const diff = meanAbsDiff(before, after);
  const o1 = countWhere(before, orange);
  const o2 = countWhere(after, orange);
  console.log('liver toggle diff', diff.toFixed(2), 'orange px', o1, '→', o2);
  expect(diff).toBeGreaterThan(1);
  expect(o2).toBeLessThan(o1 * 0.2);

  await page.getByTestId('label-toggle-liver').check();
  const back = await canvasPixels(page);
  expect(meanAbsDiff(before, back)).toBeLessThan(0.5);

  // Opacity slider: full opacity makes the liver more saturated than the default 60 %.
  await page.getByTestId('label-opacity-liver').fill('100');
  await expect(page.getByTestId('label-row-liver')).toContainText('100%');
  expect(meanAbsDiff(before, await canvasPixels(page, 'liver-opaque.png'))).toBeGreaterThan(0.5);
});

test('the readout shows the true HU and label at a voxel inside the liver', async () => {
  const cases: { id: number; name: string }[] = [
    { id: 5, name: 'liver' },
    { id: 2, name: 'kidney_right' },
  ];
  for (const { id, name } of cases) {
    const [i, j, k] = interiorVoxel(SEG, id);
    const hu = CT.value(i, j, k);
    await page.getByTestId('goto-i').fill(String(i));
    await page.getByTestId('goto-j').fill(String(j));
    await page.getByTestId('goto-k').fill(String(k));
    await page.getByTestId('goto-submit').click();
    await expect(page.getByTestId('readout-voxel')).toHaveText(`${i}, ${j}, ${k}`);
    await expect(page.getByTestId('readout-value')).toHaveText(String(hu));
    await expect(page.getByTestId('readout-label')).toContainText(name);
    const mm = [0, 1, 2].map((r) => CT.affine[r * 4] * i + CT.affine[r * 4 + 1] * j + CT.affine[r * 4 + 2] * k + CT.affine[r * 4 + 3]);
    await expect(page.getByTestId('readout-mm')).toHaveText(`${mm.map((x) => x.toFixed(1)).join(', ')} mm`);
    console.log(`${name} voxel ${i},${j},${k}: ${hu} HU`);
  }
  await page.screenshot({ path: `${ARTIFACTS}/readout-kidney.png` });

  await page.getByTestId('goto-i').fill('500');
  await page.getByTestId('goto-submit').click();
  await expect(page.getByTestId('goto-error')).toContainText('Outside the image');
});

test('the status bar shows the webgpu tfjs backend', async () => {
  const backend = page.getByTestId('status-backend');
  await expect(backend).toHaveAttribute('data-backend', 'webgpu', { timeout: 90_000 });
  await expect(page.getByTestId('status-backend-name')).toHaveText('webgpu');
  console.log('status:', await backend.innerText(), '| title:', await backend.getAttribute('title'));
});
