/**
 * Issue 16: reader-study items are a physical field of view on isotropic voxels, the case open in
 * the workbench can be added as it is, a shortfall of real tumours is said with its count, and a
 * study can be deleted (its date shown).
 *
 * The fixture is made here: a 0.8 × 0.8 × 5 mm CT (thick slices, as clinical scans often are)
 * with one 24 mm sphere labelled liver tumour. MECHANICS TEST, NOT DATA: nothing in it is anatomy.
 * Cut as 48 source voxels, an item would be a 38 × 38 × 240 mm strip; cut as a 60 mm field of view
 * it must be a 60 mm cube in which the sphere is 24 mm across on every axis.
 */
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti } from '../src/core/nifti/read.ts';
import { writeNifti } from '../src/core/nifti/write.ts';
import { spacingOf, voxelToWorld, type Mat4, type Vec3 } from '../src/core/volume.ts';
import { ARTIFACTS, openWorkbench } from './helpers/app.ts';

const DIMS: Vec3 = [96, 96, 24];
const AFFINE: Mat4 = [0.8, 0, 0, -38, 0, 0.8, 0, -38, 0, 0, 5, -60, 0, 0, 0, 1];
const TUMOUR_CENTRE: Vec3 = [48, 48, 12];
const TUMOUR_RADIUS_MM = 12;
const TUMOUR_HU = 160;
const LIVER_HU = 60;
const FOV_MM = 60;
const VOXELS = 48;

async function writeFixture(): Promise<{ image: string; labels: string }> {
  const [nx, ny, nz] = DIMS;
  const image = new Int16Array(nx * ny * nz);
  const labels = new Uint8Array(nx * ny * nz);
  const c = voxelToWorld(AFFINE, TUMOUR_CENTRE);
  let n = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, n++) {
    const w = voxelToWorld(AFFINE, [i, j, k]);
    const r = Math.hypot(w[0] - c[0], w[1] - c[1], w[2] - c[2]);
    const inLiver = Math.hypot((w[0] - c[0]) / 36, (w[1] - c[1]) / 36, (w[2] - c[2]) / 55) <= 1;
    image[n] = r <= TUMOUR_RADIUS_MM ? TUMOUR_HU : inLiver ? LIVER_HU : -100;
    labels[n] = r <= TUMOUR_RADIUS_MM ? 2 : inLiver ? 1 : 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ftw-rs-crops-'));
  const out = { image: join(dir, 'thick-slice-ct.nii.gz'), labels: join(dir, 'thick-slice-labels.nii.gz') };
  writeFileSync(out.image, await writeNifti({ dims: DIMS, affine: AFFINE, data: image }, { datatype: 'int16', gzip: true }));
  writeFileSync(out.labels, await writeNifti({ dims: DIMS, affine: AFFINE, data: labels }, { datatype: 'uint8', gzip: true }));
  return out;
}

test('reader study: the open case added as is; an item is the configured mm cube on isotropic voxels; shortfall said; study deleted', async ({ page }) => {
  test.setTimeout(150_000);
  const fixture = await writeFixture();
  await openWorkbench(page);
  await page.getByTestId('file-input-image').setInputFiles(fixture.image);
  await expect(page.getByTestId('case-image-name')).toHaveText('thick-slice-ct.nii.gz');
  await page.getByTestId('file-input-labels').setInputFiles(fixture.labels);
  await expect(page.getByTestId('case-label-name')).toHaveText('thick-slice-labels.nii.gz');

  // Prepare: the open case, no files picked again.
  await page.getByTestId('open-reader-study').click();
  await page.getByTestId('rs-go-prepare').click();
  await page.getByTestId('rs-case-provenance').selectOption('mechanics-test');
  await expect(page.getByTestId('rs-add-open-case')).toHaveText('Add the open case (thick-slice-ct.nii.gz)');
  await page.getByTestId('rs-add-open-case').click();
  await expect(page.getByTestId('rs-case-candidates')).toHaveText('1');
  await page.getByTestId('rs-real-count').fill('3');
  await page.getByTestId('rs-synthetic-count').fill('0');
  await expect(page.getByTestId('rs-real-shortfall')).toHaveText('Asked for 3 real items, but the cases added hold only 1 real tumour candidate: the study will have 1.');
  await page.getByTestId('rs-fov').fill(String(FOV_MM));
  await page.getByTestId('rs-crop').selectOption(String(VOXELS));
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-crops-prepare.png`, fullPage: true });
  await page.getByTestId('rs-build').click();
  await expect(page.getByTestId('rs-study-items')).toHaveText('1', { timeout: 60_000 });
  await expect(page.getByTestId('rs-build-warning')).toContainText('only 1 real tumour candidate');
  await expect(page.getByTestId('rs-study-fov')).toHaveText(`${FOV_MM} mm cube, ${VOXELS}³ voxels of 1.25 mm`);
  await expect(page.getByTestId('rs-study-date')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

  // The item as exported: a FOV_MM cube on isotropic voxels, the sphere round in it.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('rs-export-study').click()]);
  const study = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  expect(study.fovMm).toBe(FOV_MM);
  expect(study.key[0].caseName).toBe('thick-slice-ct.nii.gz');
  const item = (await readNifti(new Uint8Array(Buffer.from(study.items[0].crop, 'base64')), 'item.nii.gz')).volume;
  expect(item.dims).toEqual([VOXELS, VOXELS, VOXELS]);
  const spacing = spacingOf(item.affine);
  for (let a = 0; a < 3; a++) expect(item.dims[a] * spacing[a], `extent along axis ${a}`).toBeCloseTo(FOV_MM, 3);
  const half = VOXELS / 2;
  const diameterMm = [0, 1, 2].map((axis) => {
    let inside = 0;
    for (let s = 0; s < VOXELS; s++) {
      const v: Vec3 = [half, half, half];
      v[axis] = s;
      if (item.data[v[0] + VOXELS * (v[1] + VOXELS * v[2])] > (TUMOUR_HU + LIVER_HU) / 2) inside++;
    }
    return inside * spacing[axis];
  });
  // 24 mm across, to within one source voxel: 0.8 mm in-plane, one 5 mm slice along z.
  expect(Math.abs(diameterMm[0] - 2 * TUMOUR_RADIUS_MM)).toBeLessThanOrEqual(2.5);
  expect(Math.abs(diameterMm[1] - 2 * TUMOUR_RADIUS_MM)).toBeLessThanOrEqual(2.5);
  expect(Math.abs(diameterMm[2] - 2 * TUMOUR_RADIUS_MM)).toBeLessThanOrEqual(6.25);

  // What a reader sees: the sphere round in all three planes.
  await page.getByTestId('rs-reader-id').fill('R1');
  await page.getByTestId('rs-start').click();
  await expect(page.getByTestId('rs-canvas')).toHaveAttribute('data-shown', 'item-01');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-crops-reading.png` });

  // Leave, come back, delete the study: the library is empty, nothing is loaded.
  await page.getByTestId('rs-close').click();
  await page.getByTestId('open-reader-study').click();
  await expect(page.getByTestId('rs-library-row')).toHaveCount(1);
  await expect(page.getByTestId('rs-library-date')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  await page.screenshot({ path: `${ARTIFACTS}/reader-study-crops-library.png` });
  await page.getByTestId('rs-delete').click();
  await page.getByTestId('rs-delete-confirm').click();
  await expect(page.getByTestId('rs-library-row')).toHaveCount(0);
  await expect(page.getByTestId('rs-study-items')).toHaveCount(0);
});
