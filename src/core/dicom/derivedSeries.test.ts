import { describe, expect, it } from 'vitest';
import { ct3Files, storedPixels } from '../../node/testing/dicomFixtures.ts';
import {
  converterGrid,
  ct3Series,
  dicomFixturesPresent,
  type Grid,
  parseDicom,
  seq,
  slicePixelIndexer,
  topDownGrid,
} from '../../node/testing/segFixtures.ts';
import type { ImageVolume } from '../volume.ts';
import { chooseRescale, writeDerivedSeries } from './derivedSeries.ts';
import type { DicomDataset, DicomFileInput, DicomSeries } from './types.ts';
import { isValidUid } from './uid.ts';

const present = dicomFixturesPresent('derived-series writer on the 3-slice series');
const DESCRIPTION = 'SYNTHETIC TUMOUR — not for diagnosis';
const NOW = new Date(2024, 4, 17, 13, 45, 9);

/** The series' own HU (stored × slope + intercept, read with dcmjs) placed on `grid` by world position. */
function seriesHu(series: DicomSeries, grid: Grid): ImageVolume {
  const data = new Float32Array(grid.dims[0] * grid.dims[1] * grid.dims[2]).fill(NaN);
  const byName = new Map(ct3Files().map((f) => [f.name, f.bytes]));
  series.slices.forEach((slice, k) => {
    const bytes = byName.get(slice.file)!;
    const { ds } = parseDicom(bytes);
    const { values, columns } = storedPixels(bytes);
    const at = slicePixelIndexer(grid, series, k);
    for (let n = 0; n < values.length; n++) {
      data[at(Math.floor(n / columns), n % columns)] = values[n] * Number(ds.RescaleSlope) + Number(ds.RescaleIntercept);
    }
  });
  expect(data.some(Number.isNaN)).toBe(false); // every voxel came from a pixel
  return { dims: grid.dims, affine: grid.affine, data };
}

/** Read written files back with dcmjs: per file, the dataset and its pixels × slope + intercept. */
function readBack(files: DicomFileInput[]): { meta: DicomDataset; ds: DicomDataset; hu: Float64Array }[] {
  return files.map((f) => {
    const { meta, ds } = parseDicom(f.bytes);
    const raw = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const hu = new Float64Array(raw.length / 2);
    for (let n = 0; n < hu.length; n++) hu[n] = view.getInt16(2 * n, true) * Number(ds.RescaleSlope) + Number(ds.RescaleIntercept);
    return { meta, ds, hu };
  });
}

/** Largest |written − volume| over all pixels, matching files to slices by ImagePositionPatient. */
function maxError(series: DicomSeries, grid: Grid, image: ImageVolume, back: ReturnType<typeof readBack>): number {
  let worst = 0;
  for (const b of back) {
    const k = series.slices.findIndex((s) => s.position.every((v, a) => v === (b.ds.ImagePositionPatient as number[])[a]));
    expect(k).toBeGreaterThanOrEqual(0);
    const at = slicePixelIndexer(grid, series, k);
    for (let n = 0; n < b.hu.length; n++) worst = Math.max(worst, Math.abs(b.hu[n] - image.data[at(Math.floor(n / series.columns), n % series.columns)]));
  }
  return worst;
}

describe.skipIf(!present)('writeDerivedSeries', () => {
  it.each([
    ['converter grid', converterGrid],
    ['top-down grid', topDownGrid],
  ])('writes the series HU with a modified block back exactly (%s)', (_name, makeGrid) => {
    const series = ct3Series();
    const grid = makeGrid(series);
    const image = seriesHu(series, grid);
    const original = Float32Array.from(image.data);
    for (let k = 0; k < 2; k++) for (let j = 200; j < 220; j++) for (let i = 240; i < 260; i++) image.data[i + 512 * (j + 512 * k)] += 100;
    const files = writeDerivedSeries(image, series, { keepIdentifiers: false, seriesDescription: DESCRIPTION, now: NOW });
    expect(files.map((f) => f.name)).toEqual(['synthetic_0001.dcm', 'synthetic_0002.dcm', 'synthetic_0003.dcm']);
    const back = readBack(files);
    expect(back.map((b) => [b.ds.RescaleSlope, b.ds.RescaleIntercept])).toEqual(Array(3).fill([1, 0]));
    expect(maxError(series, grid, image, back)).toBe(0);
    // The block is really there: against the original HU the written series differs by 100 in 800 pixels.
    let changed = 0;
    for (const [k, b] of back.entries()) {
      const at = slicePixelIndexer(grid, series, k);
      for (let n = 0; n < b.hu.length; n++) {
        const d = b.hu[n] - original[at(Math.floor(n / 512), n % 512)];
        if (d !== 0) {
          expect(d).toBe(100);
          changed++;
        }
      }
    }
    expect(changed).toBe(800);
  });

  it('stores fractional values with a slope, within half a step', () => {
    const series = ct3Series();
    const grid = converterGrid(series);
    const image = seriesHu(series, grid);
    for (let n = 0; n < image.data.length; n++) image.data[n] += 0.37 * Math.sin(n);
    const back = readBack(writeDerivedSeries(image, series, { keepIdentifiers: false, seriesDescription: DESCRIPTION }));
    const slope = Number(back[0].ds.RescaleSlope);
    expect(slope).toBeGreaterThan(0.01);
    expect(slope).toBeLessThan(0.1);
    expect(String(back[0].ds.RescaleSlope).length).toBeLessThanOrEqual(16);
    expect(maxError(series, grid, image, back)).toBeLessThanOrEqual(slope / 2 + 1e-3);
  });

  it('marks the series as derived and synthetic and links it to the source', () => {
    const series = ct3Series();
    const image = seriesHu(series, converterGrid(series));
    const back = readBack(writeDerivedSeries(image, series, { keepIdentifiers: false, seriesDescription: DESCRIPTION, seriesNumber: 42, now: NOW }));
    const sopUids = new Set<string>();
    const bySop = new Map(series.slices.map((s) => [s.sopInstanceUID, s]));
    for (const [n, { meta, ds }] of back.entries()) {
      expect(meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
      expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.2');
      expect(ds.ImageType).toEqual(['DERIVED', 'SECONDARY', 'AXIAL']);
      expect(ds.SeriesDescription).toBe(DESCRIPTION);
      expect(ds.SeriesNumber).toBe(42);
      expect(ds.InstanceNumber).toBe(n + 1);
      expect(String(ds.DerivationDescription)).toMatch(/synthetic/i);
      expect(ds.Manufacturer).toBe('FreeTumor Workbench');
      expect(ds.StudyInstanceUID).toBe(series.studyInstanceUID);
      expect(ds.FrameOfReferenceUID).toBe(series.frameOfReferenceUID);
      expect(ds.SeriesInstanceUID).toBe(back[0].ds.SeriesInstanceUID);
      expect(ds.SeriesInstanceUID).not.toBe(series.seriesInstanceUID);
      expect(isValidUid(String(ds.SOPInstanceUID))).toBe(true);
      expect(bySop.has(String(ds.SOPInstanceUID))).toBe(false);
      sopUids.add(String(ds.SOPInstanceUID));
      const src = seq(ds.SourceImageSequence)[0];
      const slice = bySop.get(String(src.ReferencedSOPInstanceUID))!;
      expect(slice).toBe(series.slices[n]);
      expect(ds.ImagePositionPatient).toEqual(slice.position);
      expect(ds.ImageOrientationPatient).toEqual(slice.orientation);
      expect(ds.PixelSpacing).toEqual(series.pixelSpacing);
      expect([ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation]).toEqual([512, 512, 16, 16, 15, 1]);
      expect([ds.PatientName, ds.PatientID, ds.PatientSex, ds.StudyDate, ds.AccessionNumber]).toEqual([[], '', '', '', '']);
      expect(ds.PatientIdentityRemoved).toBe('YES');
      expect(ds.ContentDate).toBe('20240517');
    }
    expect(sopUids.size).toBe(3);
    const kept = readBack(writeDerivedSeries(image, series, { keepIdentifiers: true, seriesDescription: DESCRIPTION }))[0].ds;
    expect([kept.PatientName, kept.PatientID, kept.StudyDate]).toEqual([[{ Alphabetic: 'JANCT000' }], '99000', '20030417']);
  });

  it('refuses an image off the series grid (by more than 1e-3 voxel), naming the slice', () => {
    const series = ct3Series();
    const grid = converterGrid(series);
    const image = seriesHu(series, grid);
    const shift = (voxels: number): ImageVolume => ({ ...image, affine: image.affine.map((v, n) => (n === 3 ? v + voxels * Math.abs(image.affine[0]) : v)) });
    expect(() => writeDerivedSeries(shift(0.01), series, { keepIdentifiers: false, seriesDescription: DESCRIPTION })).toThrow(
      /^ct-3slice_0\d\.dcm: does not coincide with the image grid: slice lies off the series grid/,
    );
    expect(writeDerivedSeries(shift(1e-4), series, { keepIdentifiers: false, seriesDescription: DESCRIPTION })).toHaveLength(3);
  });

  it('refuses a description that does not say synthetic, and non-CT sources', () => {
    const series = ct3Series();
    const image = seriesHu(series, converterGrid(series));
    expect(() => writeDerivedSeries(image, series, { keepIdentifiers: false, seriesDescription: 'CT abdomen' })).toThrow(/SeriesDescription must say the image is synthetic/);
    expect(() => writeDerivedSeries(image, { ...series, modality: 'MR' }, { keepIdentifiers: false, seriesDescription: DESCRIPTION })).toThrow(/only CT sources/);
  });
});

describe('chooseRescale', () => {
  it('keeps integers exact and spreads other ranges over int16', () => {
    expect(chooseRescale(-3024, 3071, true)).toEqual({ slope: 1, intercept: 0 });
    expect(chooseRescale(0, 60000, true)).toEqual({ slope: 1, intercept: 32768 });
    const r = chooseRescale(-1000.25, 2000.5, false);
    expect((-1000.25 - r.intercept) / r.slope).toBeGreaterThanOrEqual(-32768);
    expect((2000.5 - r.intercept) / r.slope).toBeLessThanOrEqual(32767);
    expect(chooseRescale(0, 100000, true).slope).toBeGreaterThan(1);
    expect(chooseRescale(-12.5, -12.5, false)).toEqual({ slope: 1, intercept: -12.5 });
  });
});
