// DICOM in the browser: real fixtures from ../shared/data, real Chromium, the app's DICOM worker
// (dcm2niix WASM). Folders are dropped as the OS drops them (CDP drag events with paths, which give
// the page true directory entries); the pickers get files and a folder through setInputFiles.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import dcmjs from 'dcmjs';
import { ARTIFACTS, newWorkbenchPage } from './helpers/app.ts';
import { scanDicom } from '../src/core/dicom/scan.ts';
import { seriesUidOf, studyUidOf } from '../src/core/dicom/derivedObject.ts';
import { readSeg, segmentLabelMatch } from '../src/core/dicom/segRead.ts';
import type { DicomFileInput } from '../src/core/dicom/types.ts';
import { readNifti } from '../src/core/nifti/index.ts';
import { CT3_DIR, CT_J2K_DIR, CT_J2K_SEG, SHARED_DATA, readFolder } from '../src/node/testing/dicomFixtures.ts';

const NEEDED = [CT_J2K_DIR, CT_J2K_SEG, join(CT3_DIR, 'liver.dcm'), join(CT3_DIR, 'ct-3slice_01.dcm')];
const missing = NEEDED.find((p) => !existsSync(p));
if (missing) console.warn(`SKIPPED e2e/dicom.spec.ts: DICOM fixtures not found at ${missing} (${SHARED_DATA}; FTW_SHARED overrides)`);
test.skip(!!missing, `DICOM fixtures not found at ${missing} (${SHARED_DATA}; ../shared/data beside the checkout)`);

const CT3_SLICES = ['ct-3slice_01.dcm', 'ct-3slice_02.dcm', 'ct-3slice_03.dcm'];

/** What the fixtures are, read in Node with the project's own scanner (not through the app). */
function fixtureFacts() {
  const j2k = scanDicom(readFolder(CT_J2K_DIR)).series[0];
  const ct3 = scanDicom(readFolder(CT3_DIR));
  return { j2k, ct3Series: ct3.series[0], liverSeg: ct3.segs[0] };
}

/** Set bits of a binary SEG's frames: its voxel count, whatever grid it lands on. */
function segVoxels(bytes: Uint8Array): number {
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(bytes.slice().buffer as ArrayBuffer).dict);
  const pixels = new Uint8Array(ds.PixelData[0] as ArrayBuffer);
  const bits = ds.Rows * ds.Columns * Number(ds.NumberOfFrames);
  let n = 0;
  for (let b = 0; b < bits; b++) if (pixels[b >> 3] & (1 << (b & 7))) n++;
  return n;
}

/** liver.dcm with its segment renamed to words no rule knows, so the app must ask. */
function unnamedSeg(to: string): void {
  const parsed = dcmjs.data.DicomMessage.readFile(readFileSync(join(CT3_DIR, 'liver.dcm')).buffer as ArrayBuffer);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  const seg = ds.SegmentSequence[0] ?? ds.SegmentSequence;
  seg.SegmentLabel = 'Region A';
  const type = seg.SegmentedPropertyTypeCodeSequence[0] ?? seg.SegmentedPropertyTypeCodeSequence;
  type.CodeMeaning = 'Tissue';
  delete seg.AnatomicRegionSequence;
  const out = new dcmjs.data.DicomDict(parsed.meta);
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  writeFileSync(to, new Uint8Array(out.write()));
}

/** The entries of a store-only zip (what the app writes), by name. */
function unzipStore(zip: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = new Map<string, Uint8Array>();
  let at = 0;
  while (at + 30 <= zip.length && dv.getUint32(at, true) === 0x04034b50) {
    expect(dv.getUint16(at + 8, true), 'zip method (0 = stored)').toBe(0);
    const size = dv.getUint32(at + 18, true);
    const nameLen = dv.getUint16(at + 26, true);
    const extraLen = dv.getUint16(at + 28, true);
    const name = new TextDecoder().decode(zip.subarray(at + 30, at + 30 + nameLen));
    const start = at + 30 + nameLen + extraLen;
    out.set(name, zip.slice(start, start + size));
    at = start + size;
  }
  return out;
}

/** Drop files and folders by path as the OS does: Chromium builds real File System entries for folders. */
async function dropPaths(page: Page, paths: string[]): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const box = (await page.getByTestId('viewer-canvas').boundingBox())!;
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', ...at, data });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', ...at, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'drop', ...at, data });
  await cdp.detach();
  await expect(page.getByTestId('drop-overlay')).toHaveCount(0);
}

/** The stages the progress bar showed, recorded in the page from now on. */
async function recordStages(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __stages: string[]; __stageObserver?: MutationObserver };
    w.__stages = [];
    w.__stageObserver?.disconnect();
    const note = () => {
      const el = document.querySelector('[data-testid="dicom-progress"]');
      const st = el?.getAttribute('data-stage');
      if (st && w.__stages.at(-1) !== st) w.__stages.push(st);
    };
    w.__stageObserver = new MutationObserver(note);
    w.__stageObserver.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage'] });
  });
  return () => page.evaluate(() => (window as unknown as { __stages: string[] }).__stages);
}

async function bytesOf(d: Download): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(await d.path()));
}

test.describe.configure({ mode: 'serial' });
let page: Page;
let work: string;
const facts = missing ? null : fixtureFacts();
test.beforeAll(async ({ browser }) => {
  work = mkdtempSync(join(tmpdir(), 'ftw-dicom-e2e-'));
  page = await newWorkbenchPage(browser);
});
test.afterAll(async () => {
  await page?.close();
});

const status = () => page.getByTestId('status-message');

test('a dropped folder opens the JPEG-2000 series: 512×512×20, progress by stage, headers kept', async () => {
  const stages = await recordStages(page);
  await dropPaths(page, [CT_J2K_DIR]);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_dicom.nii.gz', { timeout: 60_000 });
  await expect(page.getByTestId('case-dims')).toHaveText('512 × 512 × 20');
  await expect(page.locator('.badge-dicom')).toHaveText('DICOM');
  await expect(status()).toContainText('Opened the DICOM series');
  await expect(status()).toContainText('20 slices');
  await expect(page.getByTestId('dicom-source')).toContainText('JPEG 2000');
  expect(await stages()).toEqual(expect.arrayContaining(['reading', 'scanning', 'converting']));
  // The crosshair readout sits inside the volume's index range.
  const voxel = (await page.getByTestId('readout-voxel').innerText()).split(', ').map(Number);
  expect(voxel[0]).toBeLessThan(512);
  expect(voxel[2]).toBeLessThan(20);
});

test('a SEG of another series is refused with both UIDs; the open case stays', async () => {
  await dropPaths(page, [join(CT3_DIR, 'liver.dcm')]);
  await expect(status()).toHaveAttribute('data-level', 'error');
  await expect(status()).toContainText('Refused the DICOM SEG "liver.dcm"');
  await expect(status()).toContainText(facts!.liverSeg.referencedSeriesUID!);
  // This series came without a Series Instance UID: the app names the one its SEG writer gives it.
  expect(facts!.j2k.seriesInstanceUID).toBe('');
  await expect(status()).toContainText(`the open series is ${seriesUidOf(facts!.j2k)}`);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_dicom.nii.gz');
});

test('a broken series (a missing slice, a non-DICOM file) is named with its files; the open case stays', async () => {
  const broken = join(work, 'broken_series');
  mkdirSync(broken);
  const names = readdirSync(CT_J2K_DIR).sort();
  const gone = names[10];
  for (const n of names) if (n !== gone) copyFileSync(join(CT_J2K_DIR, n), join(broken, n));
  writeFileSync(join(broken, 'notes.txt'), 'not an image');
  await dropPaths(page, [broken]);
  await expect(status()).toHaveAttribute('data-level', 'error');
  await expect(status()).toContainText('Could not open the DICOM series');
  await expect(status()).toContainText('missing slice');
  // The slices either side of the gap are named.
  await expect(status()).toContainText(names[9]);
  await expect(status()).toContainText('Skipped 1 file: "broken_series/notes.txt"');
  // In full in a dialog: the status bar has one line.
  const dialog = page.getByTestId('dicom-chooser');
  await expect(dialog).toContainText('cannot be converted');
  await expect(page.getByTestId('dicom-series-0-problems')).toContainText(`broken_series/${names[9]}`);
  await expect(page.getByTestId('dicom-series-0-open')).toBeDisabled();
  await expect(page.getByTestId('dicom-skipped')).toContainText('broken_series/notes.txt');
  await page.screenshot({ path: `${ARTIFACTS}/dicom-broken.png` });
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_dicom.nii.gz');

  const notes = join(work, 'notes.txt');
  writeFileSync(notes, 'hello');
  await dropPaths(page, [notes]);
  await expect(status()).toContainText('Could not open "notes.txt": neither NIfTI');
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_dicom.nii.gz');
  await expect(page.getByTestId('case-dims')).toHaveText('512 × 512 × 20');
});

test('the multi-select picker opens the 3-slice series with its SEG: the liver has the SEG\'s voxel count', async () => {
  await page.getByTestId('file-input-dicom').setInputFiles([...CT3_SLICES, 'liver.dcm'].map((n) => join(CT3_DIR, n)));
  await expect(page.getByTestId('case-dims')).toHaveText('512 × 512 × 3', { timeout: 60_000 });
  await expect(page.getByTestId('case-label-name')).toHaveText('liver (DICOM SEG).nii.gz');
  const expected = segVoxels(new Uint8Array(readFileSync(join(CT3_DIR, 'liver.dcm'))));
  await expect(page.getByTestId('label-row-liver')).toHaveAttribute('data-voxels', String(expected));
  await expect(status()).toContainText('Liver → liver');
  console.log(`liver from the SEG: ${expected} voxels, as in the SEG's frames`);
});

test('a SEG whose segment names mean nothing asks for a mapping; the answer loads it', async () => {
  const seg = join(work, 'region.dcm');
  unnamedSeg(seg);
  await dropPaths(page, [seg]);
  const dialog = page.getByTestId('dicom-mapping');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Region A');
  await expect(page.getByTestId('dicom-mapping-apply')).toBeDisabled();
  await page.screenshot({ path: `${ARTIFACTS}/dicom-mapping.png` });
  await page.getByTestId('dicom-segment-1-label').selectOption('1');
  await page.getByTestId('dicom-mapping-apply').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('case-label-name')).toHaveText('region (DICOM SEG).nii.gz');
  const expected = segVoxels(new Uint8Array(readFileSync(join(CT3_DIR, 'liver.dcm'))));
  await expect(page.getByTestId('label-row-liver')).toHaveAttribute('data-voxels', String(expected));
});

test('a drop with two series shows the chooser (series, slices, spacing, skipped files)', async () => {
  await dropPaths(page, [CT_J2K_DIR, CT3_DIR]);
  const chooser = page.getByTestId('dicom-chooser');
  await expect(chooser).toBeVisible({ timeout: 60_000 });
  await expect(chooser.locator('tbody tr')).toHaveCount(2);
  await expect(chooser.locator('tbody tr[data-slices="20"]')).toContainText('512×512 · 0.977×0.977×2 mm');
  await expect(chooser.locator('tbody tr[data-slices="20"]')).toContainText('JPEG 2000');
  await expect(chooser.locator('tbody tr[data-slices="3"]')).toContainText('0.811×0.811×1 mm');
  await expect(page.getByTestId('dicom-skipped')).toContainText('liver_seg.nrrd');
  await page.screenshot({ path: `${ARTIFACTS}/dicom-chooser.png` });
  // Keys wait while it is up.
  await page.keyboard.press('a');
  await expect(page.getByTestId('layout-axial')).toHaveAttribute('aria-pressed', 'false');
  const row = chooser.locator('tbody tr[data-slices="3"]');
  await row.getByRole('button', { name: 'Open' }).click();
  await expect(chooser).toHaveCount(0);
  await expect(page.getByTestId('case-dims')).toHaveText('512 × 512 × 3', { timeout: 60_000 });
  await expect(page.getByTestId('case-image-name')).toHaveText('dcmqi-ct-3slice.nii.gz');
});

test('the folder picker opens the JPEG-2000 series; a tumour synthesised on it exports as SEG + derived series', async () => {
  await page.getByTestId('file-input-dicom-folder').setInputFiles(CT_J2K_DIR);
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct_dicom.nii.gz', { timeout: 60_000 });
  await expect(page.getByTestId('case-dims')).toHaveText('512 × 512 × 20');
  // TotalSegmentator's labels of this very series, as NIfTI, overlay as before.
  await page.getByTestId('file-input-labels').setInputFiles(CT_J2K_SEG);
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg_dicom.nii.gz');
  await expect(page.getByTestId('label-legend')).toContainText('Liver');
  await page.getByTestId('synth-size').selectOption('medium');
  await page.getByTestId('synth-seed').fill('3');
  await page.keyboard.press('Escape');
  await page.keyboard.press('t');
  await expect(page.getByTestId('synth-result')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('synth-export-dicom')).toBeEnabled();
  await expect(page.getByTestId('synth-dicom-options-keep-ids')).not.toBeChecked();
  await expect(page.getByTestId('synth-dicom-options-privacy')).toContainText('Removed by default');
  await expect(page.getByTestId('synth-dicom-options-privacy')).toContainText('UIDs');
  await expect(page.getByTestId('synth-dicom-options-privacy')).toContainText('nothing leaves the browser');

  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.keyboard.press('e');
  await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
  await page.keyboard.press('Shift+E');
  await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(3);
  await expect(page.getByTestId('synth-exported-dicom')).toContainText('example_ct_dicom_synthetic_dicom.zip');
  await page.getByTestId('synth-exported-dicom').scrollIntoViewIfNeeded();
  await page.getByTestId('synth-result').screenshot({ path: `${ARTIFACTS}/dicom-export-panel.png` });

  const byName = new Map<string, Uint8Array>();
  for (const d of downloads) byName.set(d.suggestedFilename(), await bytesOf(d));
  const label = await readNifti(byName.get('example_ct_dicom_synthetic_label.nii.gz')!, 'label');
  const zip = unzipStore(byName.get('example_ct_dicom_synthetic_dicom.zip')!);
  expect([...zip.keys()].filter((n) => n.startsWith('derived/'))).toHaveLength(20);

  // The SEG, re-read with the project's reader on the app's grid: its tumour segment is the app's
  // tumour label voxel for voxel.
  const grid = { dims: label.volume.dims, affine: [...label.volume.affine] };
  const seg = readSeg({ name: 'SEG.dcm', bytes: zip.get('SEG.dcm')! }, grid);
  expect(seg.referencedSeriesUID).toBe(seriesUidOf(facts!.j2k));
  const match = segmentLabelMatch(seg.segments);
  const tumourSegment = [...match.mapping].find(([, id]) => id === 2)?.[0];
  expect(tumourSegment, `segments ${JSON.stringify(seg.segments)}`).toBeDefined();
  const mask = seg.masks.get(tumourSegment!)!;
  let tumour = 0;
  let differ = 0;
  for (let v = 0; v < mask.length; v++) {
    const app = label.volume.data[v] === 2 ? 1 : 0;
    tumour += app;
    if (mask[v] !== app) differ++;
  }
  expect(tumour).toBeGreaterThan(0);
  expect(differ).toBe(0);
  const description = seg.segments.find((s) => s.number === tumourSegment)!;
  expect(description.label).toMatch(/synthetic liver tumour/i);

  // The derived series: one new series that says it is synthetic, nothing shared with the source but the study.
  const derivedFiles: DicomFileInput[] = [...zip].filter(([n]) => n.startsWith('derived/')).map(([name, bytes]) => ({ name, bytes }));
  const derived = scanDicom(derivedFiles);
  expect(derived.series).toHaveLength(1);
  const d = derived.series[0];
  expect(d.description).toMatch(/^SYNTHETIC TUMOUR/);
  expect(d.seriesInstanceUID).not.toBe(seriesUidOf(facts!.j2k));
  expect(d.seriesInstanceUID).toMatch(/^[\d.]+$/);
  expect(d.studyInstanceUID).toBe(studyUidOf(facts!.j2k));
  const sourceSops = new Set(facts!.j2k.slices.map((s) => s.sopInstanceUID));
  expect(d.slices.filter((s) => sourceSops.has(s.sopInstanceUID))).toEqual([]);
  expect(d.slices[0].dataset.ImageType).toEqual(expect.arrayContaining(['DERIVED']));
  console.log(`SEG tumour ${tumour} voxels, identical to the app's label; derived "${d.description}", ${d.slices.length} slices`);

  // The exported SEG opens on its own series in the app again, tumour and liver as exported.
  const segPath = join(work, 'SEG.dcm');
  writeFileSync(segPath, zip.get('SEG.dcm')!);
  await dropPaths(page, [segPath]);
  await expect(page.getByTestId('case-label-name')).toHaveText('SEG (DICOM SEG).nii.gz');
  await expect(page.getByTestId('label-row-liver_tumor')).toHaveAttribute('data-voxels', String(tumour));
  let liver = 0;
  for (const v of label.volume.data) if (v === 1) liver++;
  await expect(page.getByTestId('label-row-liver')).toHaveAttribute('data-voxels', String(liver));
});

test('the DICOM actions are listed with their shortcuts in the help overlay', async () => {
  await page.keyboard.press('?');
  const help = page.getByTestId('help-overlay');
  await expect(help).toBeVisible();
  for (const id of ['file.openDicomFolder', 'file.openDicomFiles', 'synth.exportDicom']) {
    await expect(help.locator(`li[data-action="${id}"] kbd`).first()).toBeVisible();
  }
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
});
