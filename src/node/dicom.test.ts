/**
 * Conversion through the real WASM dcm2niix: the fixtures' geometry and HU, the voxel order
 * pinned to the DICOM rows/columns/positions (which the SEG code relies on), re-encoded fixtures
 * (RLE, lossless JPEG, explicit VR, unsigned 16-bit), the converter's own guards, and the folder
 * reader the CLI uses.
 */
import { mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertSeries } from '../core/dicom/convert.ts';
import { scanDicom } from '../core/dicom/scan.ts';
import { seriesAffine } from '../core/dicom/seriesGeometry.ts';
import type { Dcm2niixFactory, DicomFileInput, DicomProgress, DicomSeries } from '../core/dicom/types.ts';
import { VolumeError } from '../core/errors.ts';
import { readNifti } from '../core/nifti/index.ts';
import { sameGeometry, voxelIndex, type ImageVolume, type Mat4 } from '../core/volume.ts';
import { convertDicomFolder, loadDcm2niix, readDicomFolder, readImageOrDicom } from './dicom.ts';
import { readNiftiFile } from './io.ts';
import {
  CT3_DIR,
  CT3_SLICES,
  CT_J2K_DIR,
  CT_J2K_SEG,
  ct3Files,
  dicomFixturesPresent,
  editDicom,
  encapsulate,
  encodeJpegLossless,
  encodeRle,
  readFolder,
  storedPixels,
  toExplicitLittleEndian,
} from './testing/dicomFixtures.ts';

const present = dicomFixturesPresent('DICOM conversion tests');
let factory: Dcm2niixFactory;
let tmp: string;
beforeAll(async () => {
  factory = await loadDcm2niix();
  tmp = await mkdtemp(join(tmpdir(), 'ftw-dicom-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function maxAffineDiff(a: Mat4, b: Mat4): number {
  return Math.max(...a.slice(0, 12).map((v, n) => Math.abs(v - b[n])));
}

async function convert(files: DicomFileInput[]): Promise<{ series: DicomSeries; image: ImageVolume; nifti: Uint8Array }> {
  const scan = scanDicom(files);
  expect(scan.series).toHaveLength(1);
  expect(scan.series[0].problems).toEqual([]);
  const out = await convertSeries(scan.series[0], files, factory);
  return { series: scan.series[0], ...out };
}

/** Every voxel equals stored × slope + intercept of its DICOM pixel: i = column, j = rows−1−row, k = sorted slice. */
function expectVoxelsFromPixels(series: DicomSeries, files: DicomFileInput[], image: ImageVolume, slope = 1, intercept = -1024) {
  const bytes = new Map(files.map((f) => [f.name, f.bytes]));
  let wrong = 0;
  series.slices.forEach((slice, k) => {
    const { rows, columns, values } = storedPixels(bytes.get(slice.file)!);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        if (image.data[voxelIndex(image.dims, c, rows - 1 - r, k)] !== values[r * columns + c] * slope + intercept) wrong++;
      }
  });
  expect(wrong).toBe(0);
}

describe.skipIf(!present)('convertSeries with dcm2niix', () => {
  it('the JPEG-2000 series: 512×512×20 at 0.977×0.977×2 mm, on the segmentation grid, in HU', async () => {
    const progress: DicomProgress[] = [];
    const files = readFolder(CT_J2K_DIR);
    const scan = scanDicom(files, (p) => progress.push(p));
    const { image, nifti, log } = await convertSeries(scan.series[0], files, factory, { onProgress: (p) => progress.push(p) });
    expect(image.dims).toEqual([512, 512, 20]);
    // The affine the DICOM positions give, and TotalSegmentator's labels' grid, both within 1e-3 mm.
    expect(maxAffineDiff(image.affine, seriesAffine(scan.series[0]))).toBeLessThan(1e-3);
    const seg = await readNiftiFile(CT_J2K_SEG);
    expect(sameGeometry(image, seg.volume, 1e-3)).toBe(true);
    // Rescale applied: stored 0 (outside the field of view) is −1024 HU; air in front of the body ≈ −1000.
    let min = Infinity;
    let max = -Infinity;
    for (const v of image.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([-1024, 1839]);
    const air: number[] = [];
    for (let k = 0; k < 20; k++) for (let j = 420; j < 500; j++) air.push(image.data[voxelIndex(image.dims, 256, j, k)]);
    const mean = air.reduce((s, v) => s + v, 0) / air.length;
    expect(mean).toBeGreaterThan(-1020);
    expect(mean).toBeLessThan(-980);
    // Our own NIfTI: int16 HU with identity scaling, no DICOM text (dcm2niix's descrip held the time).
    const back = await readNifti(nifti, 'converted');
    expect(back.datatype).toBe('int16');
    expect(back.header.descrip).toBe('FreeTumor Workbench');
    expect(Array.from(back.volume.data.subarray(0, 5000))).toEqual(Array.from(image.data.subarray(0, 5000)));
    expect(gunzipSync(nifti).toString('latin1')).not.toMatch(/Time=|CT Body|Basel/);
    expect(log.join('\n')).toMatch(/Convert 20 DICOM/);
    // Progress: scanning per file, converting 0 → 100, then checking.
    const stages = progress.map((p) => p.stage).filter((s, n, a) => s !== a[n - 1]);
    expect(stages).toEqual(['scanning', 'converting', 'checking']);
    const converting = progress.filter((p) => p.stage === 'converting').map((p) => p.done);
    expect(converting[0]).toBe(0);
    expect(converting.at(-1)).toBe(100);
    expect(converting.every((d, n) => n === 0 || d > converting[n - 1])).toBe(true);
  });

  it('the uncompressed 3-slice series: each voxel is its stored pixel × slope + intercept, rows flipped', async () => {
    const files = ct3Files();
    const { series, image } = await convert(files);
    expect(image.dims).toEqual([512, 512, 3]);
    expect(maxAffineDiff(image.affine, seriesAffine(series))).toBeLessThan(1e-3);
    expectVoxelsFromPixels(series, files, image);
  });

  it('other orientations keep the same voxel order: columns reversed, and sagittal slices', async () => {
    // Column cosines reversed: the normal flips, so the slices sort the other way.
    const flipped = ct3Files().map((f) => ({ name: f.name, bytes: editDicom(f.bytes, { '00200037': [1, 0, 0, 0, -1, 0] }) }));
    const a = await convert(flipped);
    expect(a.series.slices.map((s) => s.file)).toEqual(CT3_SLICES);
    expect(maxAffineDiff(a.image.affine, seriesAffine(a.series))).toBeLessThan(1e-3);
    expectVoxelsFromPixels(a.series, flipped, a.image);
    // Sagittal: rows along anterior→posterior, columns head→feet, slices 1.5 mm apart along x.
    const sagittal = ct3Files().map((f, n) => ({ name: f.name, bytes: editDicom(f.bytes, { '00200037': [0, 1, 0, 0, 0, -1], '00200032': [10 + 1.5 * n, -200, 150] }) }));
    const b = await convert(sagittal);
    expect(maxAffineDiff(b.image.affine, seriesAffine(b.series))).toBeLessThan(1e-3);
    expectVoxelsFromPixels(b.series, sagittal, b.image);
  });

  it('RLE, lossless JPEG (…4.57 and …4.70) and explicit VR files give the same voxels', async () => {
    const reference = (await convert(ct3Files())).image;
    for (const [name, reencode] of [
      ['RLE Lossless', (b: Uint8Array) => encapsulate(b, '1.2.840.10008.1.2.5', encodeRle)],
      ['JPEG Lossless', (b: Uint8Array) => encapsulate(b, '1.2.840.10008.1.2.4.57', encodeJpegLossless)],
      ['JPEG Lossless, Non-Hierarchical, First-Order', (b: Uint8Array) => encapsulate(b, '1.2.840.10008.1.2.4.70', encodeJpegLossless)],
      ['Explicit VR Little Endian', toExplicitLittleEndian],
    ] as const) {
      const files = ct3Files().map((f) => ({ name: f.name, bytes: reencode(f.bytes) }));
      const { series, image } = await convert(files);
      expect(series.transferSyntaxName.startsWith(name), series.transferSyntaxName).toBe(true);
      expect(image.affine).toEqual(reference.affine);
      let differ = 0;
      for (let n = 0; n < image.data.length; n++) if (image.data[n] !== reference.data[n]) differ++;
      expect(differ, name).toBe(0);
    }
  });

  it('unsigned 16-bit pixels above 32767 (a uint16 NIfTI from dcm2niix) keep their values', async () => {
    const files = ct3Files().map((f) => ({ name: f.name, bytes: editDicom(f.bytes, { '00280103': [0] }, { '00280103': 'US' }) }));
    const { series, image, nifti } = await convert(files);
    expectVoxelsFromPixels(series, files, image);
    // The padding, stored as −2000 signed, reads 63536 unsigned: beyond int16, so float32 output.
    expect(image.data[0]).toBe(63536 - 1024);
    expect((await readNifti(nifti, 'x')).datatype).toBe('float32');
  });

  it('refuses a series with problems before starting dcm2niix', async () => {
    let started = 0;
    const counting: Dcm2niixFactory = (o) => {
      started++;
      return factory(o);
    };
    const files = ct3Files().map((f) => ({ name: f.name, bytes: encapsulate(f.bytes, '1.2.840.10008.1.2.4.110', encodeRle) }));
    const [series] = scanDicom(files).series;
    const e = await convertSeries(series, files, counting).catch((x) => x);
    expect(e).toBeInstanceOf(VolumeError);
    expect(e.message).toMatch(/^DICOM series #2 \(1\.2\.392\.[\d.]+\): cannot convert: unsupported transfer syntax JPEG XL Lossless \(1\.2\.840\.10008\.1\.2\.4\.110\) in ct-3slice_01\.dcm/);
    expect(started).toBe(0);
  });

  it('one series must give one volume: a split by dcm2niix and a misplaced volume are errors', async () => {
    // Echoes that differ between slices: dcm2niix writes one volume per echo.
    const echoes = ct3Files().map((f, n) => ({ name: f.name, bytes: editDicom(f.bytes, { '00180086': [(n % 2) + 1], '00180081': [10 * (n + 1)] }, { '00180086': 'IS', '00180081': 'DS' }) }));
    const [e] = scanDicom(echoes).series;
    expect(e.problems).toEqual([]);
    const e0 = await convertSeries(e, echoes, factory).catch((x) => x);
    expect(e0).toBeInstanceOf(VolumeError);
    expect(e0.message).toMatch(/dcm2niix split the series into 3 volumes \((series_e\d+a?\.nii(, )?){3}: one volume per echo\); one series must give one 3-D volume$/);
    // A gantry tilt (sheared positions) the scan would refuse, forced through: a tilt-corrected copy.
    const tilted = ct3Files().map((f) => {
      const pos = (scanDicom([f]).series[0].slices[0].position as number[]).slice();
      pos[1] += Math.tan((12 * Math.PI) / 180) * (pos[2] + 128.69);
      return { name: f.name, bytes: editDicom(f.bytes, { '00181120': [12], '00200032': pos }, { '00181120': 'DS' }) };
    });
    const [t] = scanDicom(tilted).series;
    expect(t.problems.join('\n')).toMatch(/gantry tilt of 12°/);
    expect(t.problems.join('\n')).toMatch(/not stacked along their normal/);
    const e1 = await convertSeries({ ...t, problems: [] }, tilted, factory).catch((x) => x);
    expect(e1).toBeInstanceOf(VolumeError);
    expect(e1.message).toMatch(/dcm2niix split the series into 2 volumes \(series\.nii, series_Tilt_1\.nii: a gantry-tilt-corrected copy\)/);
    // Headers that disagree with what dcm2niix wrote (a wrong pixel spacing in our series).
    const files = ct3Files();
    const [s] = scanDicom(files).series;
    const e2 = await convertSeries({ ...s, pixelSpacing: [0.9, 0.9] }, files, factory).catch((x) => x);
    expect(e2.message).toMatch(/dcm2niix placed the volume up to [\d.]+ mm away from where the slice positions put it/);
    const e3 = await convertSeries({ ...s, rows: 256 }, files, factory).catch((x) => x);
    expect(e3.message).toMatch(/dcm2niix wrote 512×512×3 voxels but the series has 512×256×3 \(columns × rows × slices\)/);
  });
});

describe.skipIf(!present)('DICOM folders for the CLI', () => {
  it('reads a folder recursively with progress; a file is read as NIfTI, a folder converted', async () => {
    const dir = join(tmp, 'nested');
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    for (const f of CT3_SLICES) await copyFile(join(CT3_DIR, f), join(dir, 'a', 'b', f));
    await writeFile(join(dir, 'README.txt'), 'exported by hand\n');
    const progress: DicomProgress[] = [];
    const files = await readDicomFolder(dir, (p) => progress.push(p));
    expect(files.map((f) => f.name)).toEqual(['README.txt', ...CT3_SLICES.map((f) => join('a', 'b', f))]);
    expect(progress.map((p) => `${p.stage} ${p.done}/${p.total}`)).toEqual(['reading 1/4', 'reading 2/4', 'reading 3/4', 'reading 4/4']);
    const warnings: string[] = [];
    const img = await readImageOrDicom(dir, { warn: (l) => warnings.push(l) });
    expect(img.volume.dims).toEqual([512, 512, 3]);
    expect(img.dicom?.series.seriesNumber).toBe(2);
    expect(warnings).toEqual([`${join(dir, 'README.txt')}: skipped: not a DICOM file (no DICOM Part 10 "DICM" marker at byte 128)`]);
    const nii = await readImageOrDicom(CT_J2K_SEG);
    expect(nii.dicom).toBeUndefined();
    expect(nii.volume.dims).toEqual([512, 512, 20]);
  });

  it('the converted volume is held under FREETUMOR_MAX_VOLUME_MIB like a file read', async () => {
    const dir = join(tmp, 'limit');
    await mkdir(dir, { recursive: true });
    for (const f of CT3_SLICES) await copyFile(join(CT3_DIR, f), join(dir, f));
    const saved = process.env.FREETUMOR_MAX_VOLUME_MIB;
    // 512×512×3 int16 plus its float32 copy: 4.5 MiB.
    process.env.FREETUMOR_MAX_VOLUME_MIB = '4';
    try {
      const e = await convertDicomFolder(dir, { factory }).catch((x) => x);
      expect(e).toBeInstanceOf(VolumeError);
      expect(e.message).toMatch(new RegExp(`^${dir}: .*set FREETUMOR_MAX_VOLUME_MIB to raise it`));
      process.env.FREETUMOR_MAX_VOLUME_MIB = '5';
      expect((await convertDicomFolder(dir, { factory })).image.volume.dims).toEqual([512, 512, 3]);
    } finally {
      if (saved === undefined) delete process.env.FREETUMOR_MAX_VOLUME_MIB;
      else process.env.FREETUMOR_MAX_VOLUME_MIB = saved;
    }
  });

  it('several series: refused with the list, then chosen by number or UID', async () => {
    const dir = join(tmp, 'two');
    await mkdir(dir, { recursive: true });
    for (const f of CT3_SLICES) await copyFile(join(CT3_DIR, f), join(dir, f));
    const other = ct3Files().map((f) => ({ name: `other_${f.name}`, bytes: editDicom(f.bytes, { '0020000E': ['1.2.826.0.1.3680043.2.1125.99'], '00200011': [7], '0008103E': ['Second'] }, { '0020000E': 'UI', '00200011': 'IS', '0008103E': 'LO' }) }));
    for (const f of other) await writeFile(join(dir, f.name), f.bytes);
    const e = await convertDicomFolder(dir, { factory }).catch((x) => x);
    expect(e).toBeInstanceOf(VolumeError);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe(`${dir}: holds 2 DICOM series; choose one with --series UID|NUMBER:`);
    expect(lines[1]).toMatch(/^ {2}\(no description\) · #2 · 3 slices · 512×512 · 0\.811×0\.811×1 mm · Implicit VR Little Endian · UID 1\.2\.392\.[\d.]+$/);
    expect(lines[2]).toBe('  Second · #7 · 3 slices · 512×512 · 0.811×0.811×1 mm · Implicit VR Little Endian · UID 1.2.826.0.1.3680043.2.1125.99');
    const byNumber = await convertDicomFolder(dir, { factory, series: '7' });
    expect(byNumber.source.series.description).toBe('Second');
    const byUid = await convertDicomFolder(dir, { factory, series: byNumber.source.series.seriesInstanceUID });
    expect(byUid.source.series.seriesNumber).toBe(7);
    const none = await convertDicomFolder(dir, { factory, series: '3' }).catch((x) => x);
    expect(none.message).toMatch(/no series with UID or number '3'; the folder holds:\n {2}\(no description\) · #2/);
  });

  it('a folder without images, and a missing folder', async () => {
    const dir = join(tmp, 'segonly');
    await mkdir(dir, { recursive: true });
    await copyFile(join(CT3_DIR, 'liver.dcm'), join(dir, 'liver.dcm'));
    const e = await convertDicomFolder(dir, { factory }).catch((x) => x);
    expect(e.message).toBe(`${dir}: no DICOM image series found (it holds 1 DICOM SEG object(s), which are labels, not images)`);
    const missing = await readImageOrDicom(join(tmp, 'nope')).catch((x) => x);
    expect(missing.message).toBe(`${join(tmp, 'nope')}: cannot read: no such file or directory`);
  });
});
