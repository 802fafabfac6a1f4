import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ARTIFACTS, canvasPixels, newWorkbenchPage } from './helpers/app.ts';
import { countWhere } from './helpers/png.ts';
import { readNifti, toLabelVolume, writeNifti } from '../src/core/nifti/index.ts';
import { TOTALSEGMENTATOR, remapLabels } from '../src/core/labels.ts';
import type { Vec3 } from '../src/core/volume.ts';
import { DEMO_SEG, skipWithoutSharedDemo } from './helpers/sharedDemo.ts';

/**
 * A label map written by the test: the demo segmentation in the project scheme, with tumours
 * stamped into it as balls whose voxels the test counts itself. The lesion list must find exactly
 * these, with these volumes.
 */
interface Ball { centre: Vec3; radius: number; id: number; voxels: number }

skipWithoutSharedDemo();
test.describe.configure({ mode: 'serial' });
let page: Page;
let balls: Ball[];
let voxelMl: number;
let dims: Vec3;

/** The liver overlay, (221,132,82) at 60 % over grey. */
const isLiver = (r: number, g: number, b: number) => r > 110 && r - g > 45 && r - b > 60;

async function labelFile(): Promise<Uint8Array> {
  const seg = await readNifti(new Uint8Array(readFileSync(DEMO_SEG)), 'seg');
  dims = seg.volume.dims;
  const a = seg.volume.affine;
  voxelMl = Math.abs(a[0] * (a[5] * a[10] - a[6] * a[9]) - a[1] * (a[4] * a[10] - a[6] * a[8]) + a[2] * (a[4] * a[9] - a[5] * a[8])) / 1000;
  const data = remapLabels(toLabelVolume(seg, 'seg').data, TOTALSEGMENTATOR);
  const [nx, ny, nz] = dims;
  const at = (i: number, j: number, k: number) => i + nx * (j + ny * k);
  const offsets = (r: number): Vec3[] => {
    const out: Vec3[] = [];
    for (let k = -r; k <= r; k++) for (let j = -r; j <= r; j++) for (let i = -r; i <= r; i++) if (i * i + j * j + k * k <= r * r) out.push([i, j, k]);
    return out;
  };
  /** Centres whose whole ball (plus a 2-voxel shell) lies in `organ`, at least `gap` voxels from those chosen. */
  const place = (organ: number, radius: number, count: number, chosen: Vec3[]): Vec3[] => {
    const shell = offsets(radius + 2);
    const found: Vec3[] = [];
    for (let k = radius + 2; k < nz - radius - 2 && found.length < count; k += 2)
      for (let j = radius + 2; j < ny - radius - 2 && found.length < count; j += 2)
        for (let i = radius + 2; i < nx - radius - 2 && found.length < count; i += 2) {
          if (!shell.every(([di, dj, dk]) => data[at(i + di, j + dj, k + dk)] === organ)) continue;
          if ([...chosen, ...found].some((c) => Math.hypot(c[0] - i, c[1] - j, c[2] - k) < 2 * radius + 8)) continue;
          found.push([i, j, k]);
        }
    if (found.length < count) throw new Error(`room for only ${found.length} of ${count} balls in organ ${organ}`);
    return found;
  };
  const liver = place(1, 3, 2, []);
  const kidney = place(5, 2, 1, liver);
  balls = [
    ...liver.map((centre) => ({ centre, radius: 3, id: 2, voxels: 0 })),
    ...kidney.map((centre) => ({ centre, radius: 2, id: 6, voxels: 0 })),
  ];
  for (const b of balls) {
    for (const [di, dj, dk] of offsets(b.radius)) data[at(b.centre[0] + di, b.centre[1] + dj, b.centre[2] + dk)] = b.id;
    b.voxels = offsets(b.radius).length;
  }
  return writeNifti({ dims, affine: seg.volume.affine, data }, { header: seg.header, datatype: seg.datatype, gzip: true });
}

test.beforeAll(async ({ browser }) => {
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page.close();
});

test('the lesion list finds every tumour of the label map, with the volumes counted here', async () => {
  // The demo labels hold no tumour.
  await expect(page.getByTestId('lesions-empty')).toBeVisible();
  const bytes = await labelFile();
  await page.getByTestId('file-input-labels').setInputFiles({ name: 'case_tumours_seg.nii.gz', mimeType: 'application/gzip', buffer: Buffer.from(bytes) });
  await expect(page.getByTestId('case-label-name')).toHaveText('case_tumours_seg.nii.gz');
  const table = page.getByTestId('lesion-table');
  await expect(table).toBeVisible();
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(balls.length);
  // Listed organ by organ (liver, then kidney), largest first within an organ.
  const expected = [...balls].sort((a, b) => a.id - b.id || b.voxels - a.voxels);
  for (let n = 0; n < expected.length; n++) {
    const row = page.getByTestId(`lesion-${n + 1}`);
    await expect(row).toHaveAttribute('data-organ', expected[n].id === 2 ? 'liver' : 'kidney');
    await expect(row).toHaveAttribute('data-synthetic', 'false');
    await expect(row).toHaveAttribute('data-voxels', String(expected[n].voxels));
    expect(Number(await row.getAttribute('data-volume-ml'))).toBeCloseTo(expected[n].voxels * voxelMl, 6);
    // Longest diameter of a voxel ball: 2r voxel centres apart along an axis, 3 mm voxels.
    const diameter = Number((await row.locator('td').nth(3).innerText()));
    expect(diameter).toBeCloseTo(2 * expected[n].radius * 3, 1);
  }
  await page.getByTestId('lesion-panel').screenshot({ path: `${ARTIFACTS}/lesions-list.png` });
  console.log('lesions', expected.map((b) => `${b.id}@${b.centre.join(',')} ${b.voxels} vox ${(b.voxels * voxelMl).toFixed(3)} mL`).join(' | '));
});

test('a click on a row, and N / Shift+N, put the crosshair in that lesion', async () => {
  const expected = [...balls].sort((a, b) => a.id - b.id || b.voxels - a.voxels);
  const voxel = page.getByTestId('readout-voxel');
  const inBall = async (b: Ball) => {
    const v = (await voxel.innerText()).split(', ').map(Number);
    return Math.hypot(v[0] - b.centre[0], v[1] - b.centre[1], v[2] - b.centre[2]) <= b.radius;
  };
  await page.getByTestId('lesion-3').click();
  await expect(page.getByTestId('lesion-3')).toHaveClass(/is-current/);
  await expect(page.getByTestId('readout-label')).toContainText('kidney_tumor');
  expect(await inBall(expected[2])).toBe(true);
  await page.getByTestId('viewer-canvas').focus();
  await page.keyboard.press('n'); // wraps round to the first
  await expect(page.getByTestId('lesion-1')).toHaveClass(/is-current/);
  await expect(page.getByTestId('readout-label')).toContainText('liver_tumor');
  expect(await inBall(expected[0])).toBe(true);
  await page.keyboard.press('Shift+N');
  await expect(page.getByTestId('lesion-3')).toHaveClass(/is-current/);
  expect(await inBall(expected[2])).toBe(true);
  await page.keyboard.press('Shift+N');
  await expect(page.getByTestId('lesion-2')).toHaveClass(/is-current/);
  expect(await inBall(expected[1])).toBe(true);
  await page.keyboard.press('a');
  await canvasPixels(page, 'lesions-goto-axial.png');
});

test('Shift+L draws the labels as outlines: far fewer liver-coloured pixels, back to fill after', async () => {
  const fill = countWhere(await canvasPixels(page, 'labels-fill.png'), isLiver);
  await page.keyboard.press('Shift+L');
  await expect(page.getByTestId('label-outline')).toHaveAttribute('aria-pressed', 'true');
  const outline = countWhere(await canvasPixels(page, 'labels-outline.png'), isLiver);
  console.log('liver-coloured px: fill', fill, '| outline', outline);
  expect(fill).toBeGreaterThan(500);
  expect(outline).toBeGreaterThan(20);
  expect(outline).toBeLessThan(fill / 2);
  await page.keyboard.press('Shift+L');
  await expect(page.getByTestId('label-outline')).toHaveAttribute('aria-pressed', 'false');
  expect(countWhere(await canvasPixels(page), isLiver)).toBe(fill);
});

test('after a synthesis the view is at the new tumour, which joins the list as synthetic', async () => {
  await page.getByTestId('synth-seed').fill('11');
  await page.getByTestId('viewer-canvas').focus();
  await page.keyboard.press('t');
  await expect(page.getByTestId('synth-result')).toBeVisible({ timeout: 90_000 });
  const centre = await page.getByTestId('synth-tumour-0-voxel').innerText();
  await expect(page.getByTestId('readout-voxel')).toHaveText(centre);
  await expect(page.getByTestId('readout-label')).toContainText('synthetic');
  const rows = page.getByTestId('lesion-table').locator('tbody tr');
  await expect(rows).toHaveCount(balls.length + 1);
  const synthetic = page.locator('[data-testid^="lesion-"][data-synthetic="true"]');
  await expect(synthetic).toHaveCount(1);
  const size = Number((await page.getByTestId('synth-tumour-0-size').innerText()).split(' ')[0]);
  await expect(synthetic).toHaveAttribute('data-voxels', String(size));
  await page.screenshot({ path: `${ARTIFACTS}/lesions-after-synthesis.png` });
  console.log('synthetic tumour at', centre, '|', size, 'voxels');
});
