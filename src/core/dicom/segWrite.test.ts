import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  converterGrid,
  ct3Series,
  CT_J2K_SEG,
  dicomFixturesPresent,
  j2kSeries,
  liverSegFile,
  parseDicom,
  pixelBytes,
  seq,
  topDownGrid,
} from '../../node/testing/segFixtures.ts';
import { remapLabels, TOTALSEGMENTATOR } from '../labels.ts';
import { readNifti, toLabelVolume } from '../nifti/index.ts';
import type { LabelVolume } from '../volume.ts';
import { voxelIndex } from '../volume.ts';
import { readSeg, segmentLabelMatch } from './segRead.ts';
import { type SegSegment, writeSeg } from './segWrite.ts';
import type { DicomDataset, DicomSeries } from './types.ts';
import { isValidUid, sequentialUids } from './uid.ts';

const present = dicomFixturesPresent('SEG writer on the fixture series');
const NOW = new Date(2024, 4, 17, 13, 45, 9);

const SEGMENTS: SegSegment[] = [
  { labelId: 1, label: 'Liver', description: 'liver (from dcmqi SEG)' },
  { labelId: 2, label: 'Liver tumour', description: 'synthetic liver tumour, medium, P = 0.83' },
  { labelId: 3, label: 'Pancreas', description: 'no voxels: still one frame' },
];

/** The dcmqi liver on the converter grid, plus a 12×10 "tumour" blob on the middle slice, half in the liver. */
function liverWithTumour(series: DicomSeries): LabelVolume {
  const grid = converterGrid(series);
  const liver = readSeg(liverSegFile(), grid).masks.get(1)!;
  const data = Uint8Array.from(liver);
  // Find a liver voxel on slice 1 and centre the blob on its edge.
  let edge = -1;
  for (let j = 0; j < 512 && edge < 0; j++) {
    for (let i = 1; i < 512; i++) {
      if (liver[voxelIndex(grid.dims, i, j, 1)] && !liver[voxelIndex(grid.dims, i - 1, j, 1)]) {
        edge = voxelIndex(grid.dims, i, j + 5, 1);
        break;
      }
    }
  }
  const ei = edge % 512;
  const ej = Math.floor(edge / 512) % 512;
  for (let j = ej - 5; j < ej + 5; j++) for (let i = ei - 6; i < ei + 6; i++) data[voxelIndex(grid.dims, i, j, 1)] = 2;
  return { dims: grid.dims, affine: grid.affine, data };
}

function masksOf(labels: LabelVolume, ids: number[]): Map<number, Uint8Array> {
  return new Map(ids.map((id, n) => [n + 1, Uint8Array.from(labels.data, (v) => (v === id ? 1 : 0))]));
}

const TYPE1 = [
  'SOPClassUID',
  'SOPInstanceUID',
  'StudyInstanceUID',
  'SeriesInstanceUID',
  'Modality',
  'SeriesNumber',
  'FrameOfReferenceUID',
  'Manufacturer',
  'ManufacturerModelName',
  'DeviceSerialNumber',
  'SoftwareVersions',
  'ImageType',
  'InstanceNumber',
  'ContentLabel',
  'ContentDate',
  'ContentTime',
  'NumberOfFrames',
  'SamplesPerPixel',
  'PhotometricInterpretation',
  'Rows',
  'Columns',
  'BitsAllocated',
  'BitsStored',
  'HighBit',
  'PixelRepresentation',
  'LossyImageCompression',
  'SegmentationType',
  'SegmentSequence',
  'SharedFunctionalGroupsSequence',
  'PerFrameFunctionalGroupsSequence',
  'DimensionOrganizationSequence',
  'DimensionIndexSequence',
  'ReferencedSeriesSequence',
  'PixelData',
];
const TYPE2 = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'PositionReferenceIndicator',
  'ContentDescription',
  'ContentCreatorName',
];

/**
 * Per segment: voxel count and mismatching voxels (vitest's deep equality walks typed arrays
 * element by element, far too slowly for 5 million voxels).
 */
function compareMasks(got: Map<number, Uint8Array>, want: Map<number, Uint8Array>): [number, number, number][] {
  expect([...got.keys()]).toEqual([...want.keys()]);
  return [...want.entries()].map(([seg, w]) => {
    const g = got.get(seg)!;
    expect(g.length).toBe(w.length);
    let count = 0;
    let diff = 0;
    for (let i = 0; i < w.length; i++) {
      count += w[i];
      if (g[i] !== w[i]) diff++;
    }
    return [seg, count, diff];
  });
}

const empty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

describe.skipIf(!present)('writeSeg', () => {
  it('round-trips a label volume on the 3-slice grid through readSeg: identical masks', () => {
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const counts = [1, 2].map((id) => labels.data.filter((v) => v === id).length);
    expect(counts[0]).toBeGreaterThan(10000);
    expect(counts[1]).toBe(120);
    const bytes = writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false, now: NOW });
    const back = readSeg({ name: 'written.dcm', bytes }, converterGrid(series));
    expect(compareMasks(back.masks, masksOf(labels, [1, 2, 3]))).toEqual([
      [1, counts[0], 0],
      [2, 120, 0],
      [3, 0, 0],
    ]);
    expect(back.referencedSeriesUID).toBe(series.seriesInstanceUID);
    expect(back.segments.map((s) => [s.number, s.label, s.type, s.category, s.anatomicRegion, s.description])).toEqual([
      [1, 'Liver', 'Liver', 'Anatomical Structure', null, 'liver (from dcmqi SEG)'],
      [2, 'Liver tumour', 'Neoplasm', 'Morphologically Altered Structure', 'Liver', 'synthetic liver tumour, medium, P = 0.83'],
      [3, 'Pancreas', 'Pancreas', 'Anatomical Structure', null, 'no voxels: still one frame'],
    ]);
    // The project's own matcher recognises what the project writes.
    expect([...segmentLabelMatch(back.segments).mapping.entries()]).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // Reading onto a differently ordered grid of the same voxels gives the same world positions.
    const topDown = readSeg({ name: 'written.dcm', bytes }, topDownGrid(series)).masks.get(2)!;
    const grid = converterGrid(series);
    let moved = 0;
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 512; j++) {
        for (let i = 0; i < 512; i++) {
          if (topDown[voxelIndex(grid.dims, i, j, k)] !== back.masks.get(2)![voxelIndex(grid.dims, i, 511 - j, k)]) moved++;
        }
      }
    }
    expect(moved).toBe(0);
  });

  it('writes the Segmentation IOD attributes, references and codes', () => {
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const bytes = writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false, now: NOW, seriesDescription: 'FreeTumor labels', seriesNumber: 77 });
    const { meta, ds } = parseDicom(bytes);
    expect(meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
    expect(meta.MediaStorageSOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect(meta.MediaStorageSOPInstanceUID).toBe(ds.SOPInstanceUID);
    for (const k of TYPE1) expect(empty(ds[k]), `Type 1 ${k}`).toBe(false);
    for (const k of TYPE2) expect(k in ds, `Type 2 ${k}`).toBe(true);
    expect(ds.SOPClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
    expect(ds.Modality).toBe('SEG');
    expect(ds.Manufacturer).toBe('FreeTumor Workbench');
    expect(ds.SeriesDescription).toBe('FreeTumor labels');
    expect(ds.SeriesNumber).toBe(77);
    expect(ds.ContentDate).toBe('20240517');
    expect(ds.ContentTime).toBe('134509');
    expect(ds.ContentCreatorName).toEqual([{ Alphabetic: 'FreeTumor Workbench^' }]);
    expect([ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.SegmentationType]).toEqual([1, 1, 0, 'BINARY']);
    // Same study and frame of reference as the source, new series and instance.
    expect(ds.StudyInstanceUID).toBe(series.studyInstanceUID);
    expect(ds.FrameOfReferenceUID).toBe(series.frameOfReferenceUID);
    expect(ds.SeriesInstanceUID).not.toBe(series.seriesInstanceUID);
    for (const uid of [ds.SeriesInstanceUID, ds.SOPInstanceUID]) expect(isValidUid(String(uid))).toBe(true);
    const ref = seq(ds.ReferencedSeriesSequence);
    expect(ref).toHaveLength(1);
    expect(ref[0].SeriesInstanceUID).toBe(series.seriesInstanceUID);
    expect(seq(ref[0].ReferencedInstanceSequence).map((r) => r.ReferencedSOPInstanceUID)).toEqual(series.slices.map((s) => s.sopInstanceUID));
    // Segments: algorithm, codes, colour.
    const segs = seq(ds.SegmentSequence);
    expect(segs.map((s) => [s.SegmentAlgorithmType, s.SegmentAlgorithmName])).toEqual(Array(3).fill(['AUTOMATIC', 'FreeTumor']));
    const code = (s: DicomDataset, k: string) => {
      const c = seq(s[k])[0];
      return c ? `${c.CodingSchemeDesignator} ${c.CodeValue} ${c.CodeMeaning}` : null;
    };
    expect(segs.map((s) => code(s, 'SegmentedPropertyTypeCodeSequence'))).toEqual(['SCT 10200004 Liver', 'SCT 108369006 Neoplasm', 'SCT 15776009 Pancreas']);
    expect(code(segs[1], 'AnatomicRegionSequence')).toBe('SCT 10200004 Liver');
    for (const s of segs) expect(s.RecommendedDisplayCIELabValue).toHaveLength(3);
    // Frames: liver on 3 slices, tumour on 1, the empty pancreas once; each references its slice.
    const frames = seq(ds.PerFrameFunctionalGroupsSequence);
    expect(ds.NumberOfFrames).toBe(5);
    expect(frames).toHaveLength(5);
    expect(frames.map((f) => seq(f.SegmentIdentificationSequence)[0].ReferencedSegmentNumber)).toEqual([1, 1, 1, 2, 3]);
    const bySop = new Map(series.slices.map((s) => [s.sopInstanceUID, s]));
    for (const f of frames) {
      const src = seq(seq(f.DerivationImageSequence)[0].SourceImageSequence)[0];
      const slice = bySop.get(String(src.ReferencedSOPInstanceUID))!;
      expect(slice).toBeDefined();
      expect(src.ReferencedSOPClassUID).toBe(slice.sopClassUID);
      expect(seq(f.PlanePositionSequence)[0].ImagePositionPatient).toEqual(slice.position);
      const [segNo, pos] = seq(f.FrameContentSequence)[0].DimensionIndexValues as number[];
      expect(segNo).toBe(seq(f.SegmentIdentificationSequence)[0].ReferencedSegmentNumber);
      expect(series.slices[pos - 1]).toBe(slice);
    }
    expect(seq(ds.DimensionIndexSequence).map((d) => [d.DimensionIndexPointer, d.FunctionalGroupPointer])).toEqual([
      [0x0062000b, 0x0062000a],
      [0x00200032, 0x00209113],
    ]);
    const orgUid = seq(ds.DimensionOrganizationSequence)[0].DimensionOrganizationUID;
    for (const d of seq(ds.DimensionIndexSequence)) expect(d.DimensionOrganizationUID).toBe(orgUid);
    const shared = seq(ds.SharedFunctionalGroupsSequence)[0];
    expect(seq(shared.PlaneOrientationSequence)[0].ImageOrientationPatient).toEqual(series.slices[0].orientation);
    expect(seq(shared.PixelMeasuresSequence)[0].PixelSpacing).toEqual(series.pixelSpacing);
    // Bit stream: 5 frames × 512² bits, padded to even.
    expect(pixelBytes(ds).length).toBe((5 * 512 * 512) / 8);
  });

  it('de-identifies by default and keeps identifiers when asked', () => {
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const anon = parseDicom(writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false, now: NOW })).ds;
    expect([anon.PatientName, anon.PatientID, anon.PatientSex, anon.AccessionNumber, anon.StudyDate, anon.StudyID]).toEqual([[], '', '', '', '', '']);
    expect(anon.PatientAge).toBeUndefined();
    expect(anon.PatientIdentityRemoved).toBe('YES');
    const kept = parseDicom(writeSeg(labels, series, SEGMENTS, { keepIdentifiers: true, now: NOW })).ds;
    expect([kept.PatientName, kept.PatientID, kept.PatientSex, kept.AccessionNumber, kept.StudyDate]).toEqual([
      [{ Alphabetic: 'JANCT000' }],
      '99000',
      'M',
      '03086212',
      '20030417',
    ]);
    expect(kept.PatientIdentityRemoved).toBeUndefined();
  });

  it('is reproducible given the time and UID source', () => {
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const a = writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false, now: NOW, newUid: sequentialUids('t') });
    const b = writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false, now: NOW, newUid: sequentialUids('t') });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('round-trips TotalSegmentator labels on the 20-slice JPEG-2000 grid (series without Study/Series UIDs)', async () => {
    const series = j2kSeries();
    const nii = await readNifti(new Uint8Array(readFileSync(CT_J2K_SEG)), 'example_seg_dicom.nii.gz');
    const ts = toLabelVolume(nii, 'example_seg_dicom.nii.gz');
    const labels: LabelVolume = { dims: ts.dims, affine: ts.affine, data: remapLabels(ts.data, TOTALSEGMENTATOR) };
    // A 9×9×5 "tumour" at the first liver voxel found from the volume's middle slice on.
    const [nx, ny] = labels.dims;
    const seed = labels.data.indexOf(1, nx * ny * 10 + nx * (ny >> 1));
    const [si, sj, sk] = [seed % nx, Math.floor(seed / nx) % ny, Math.floor(seed / (nx * ny))];
    for (let k = sk - 2; k <= sk + 2; k++) {
      for (let j = sj; j < sj + 9; j++) for (let i = si; i < si + 9; i++) labels.data[voxelIndex(labels.dims, i, j, k)] = 2;
    }
    const segs: SegSegment[] = [
      { labelId: 1, label: 'Liver', description: 'TotalSegmentator liver' },
      { labelId: 3, label: 'Pancreas', description: 'TotalSegmentator pancreas' },
      { labelId: 2, label: 'Liver tumour', description: 'synthetic liver tumour, small, P = 0.5' },
    ];
    const bytes = writeSeg(labels, series, segs, { keepIdentifiers: false, now: NOW });
    const back = readSeg({ name: 'j2k-seg.dcm', bytes }, labels);
    const liver = labels.data.filter((v) => v === 1).length;
    expect(liver).toBeGreaterThan(366708 - 405);
    expect(compareMasks(back.masks, masksOf(labels, [1, 3, 2]))).toEqual([
      [1, liver, 0],
      [2, 1327, 0],
      [3, 405, 0],
    ]);
    const { ds } = parseDicom(bytes);
    // The source has blank Study/Series UIDs: stable derived ones stand in, the instances are the files' own.
    expect(isValidUid(String(ds.StudyInstanceUID))).toBe(true);
    expect(back.referencedSeriesUID).toMatch(/^2\.25\./);
    const refs = seq(seq(ds.ReferencedSeriesSequence)[0].ReferencedInstanceSequence).map((r) => r.ReferencedSOPInstanceUID);
    expect(refs).toHaveLength(20);
    expect(refs[0]).toMatch(/^1\.3\.12\.2\.1107\.5\.1\.4\.60064\./);
    expect(ds.FrameOfReferenceUID).toBe('1.3.12.2.1107.5.1.4.60064.30000022120807274275100000041');
  });

  it('refuses labels on another grid, naming the slice file, and bad segment definitions', () => {
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const shifted: LabelVolume = { ...labels, affine: labels.affine.map((v, n) => (n === 3 ? v + 0.4 : v)) };
    expect(() => writeSeg(shifted, series, SEGMENTS, { keepIdentifiers: false })).toThrow(/^ct-3slice_0\d\.dcm: does not lie on the label volume's grid: slice lies off the series grid/);
    const where = /^SEG of series/;
    expect(() => writeSeg(labels, series, [], { keepIdentifiers: false })).toThrow(where);
    expect(() => writeSeg(labels, series, [{ labelId: 9, label: 'Spleen', description: '' }], { keepIdentifiers: false })).toThrow(/label id 9 is not a project label/);
    expect(() => writeSeg(labels, series, [SEGMENTS[0], SEGMENTS[0]], { keepIdentifiers: false })).toThrow(/label id 1 is given to two segments/);
    expect(() => writeSeg(labels, series, [{ ...SEGMENTS[1], organ: 'lung' }], { keepIdentifiers: false })).toThrow(/unknown organ 'lung'/);
    expect(() => writeSeg(labels, series, [{ ...SEGMENTS[0], label: 'x'.repeat(65) }], { keepIdentifiers: false })).toThrow(/SegmentLabel is 65 characters/);
  });
});

describe('writeSeg bit packing across byte boundaries', () => {
  /** A tiny synthetic series: 3 slices of 3 rows × 5 columns, so frames are 15 bits and never byte-aligned. */
  function tinySeries(): DicomSeries {
    const slices = [0, 1, 2].map((k) => ({
      file: `tiny_${k}.dcm`,
      sopInstanceUID: `1.2.3.4.${k + 1}`,
      sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
      instanceNumber: k + 1,
      position: [10, 20, 30 + 2 * k] as [number, number, number],
      orientation: [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number],
      dataset: { Modality: 'CT', PatientName: [{ Alphabetic: 'TINY^TEST' }] },
    }));
    return {
      seriesInstanceUID: '1.2.3.4',
      studyInstanceUID: '1.2.3',
      frameOfReferenceUID: '1.2.3.5',
      description: 'tiny',
      seriesNumber: 1,
      modality: 'CT',
      rows: 3,
      columns: 5,
      pixelSpacing: [0.5, 0.25],
      sliceSpacing: 2,
      transferSyntaxUID: '1.2.840.10008.1.2.1',
      transferSyntaxName: 'Explicit VR Little Endian',
      slices,
      problems: [],
    };
  }

  it('packs frames LSB-first into one continuous bit stream and reads them back', () => {
    const series = tinySeries();
    // Top-down grid: i = column, j = row, k = slice; RAS negates LPS x and y.
    const affine = [-0.25, 0, 0, -10, 0, -0.5, 0, -20, 0, 0, 2, 30, 0, 0, 0, 1];
    const data = new Uint8Array(5 * 3 * 3);
    const on: [number, number, number][] = [
      [0, 0, 0],
      [4, 2, 0],
      [1, 1, 1],
      [4, 2, 1],
      [0, 0, 2],
      [3, 2, 2],
    ];
    for (const [i, j, k] of on) data[i + 5 * (j + 3 * k)] = 1;
    const labels: LabelVolume = { dims: [5, 3, 3], affine, data };
    const bytes = writeSeg(labels, series, [{ labelId: 1, label: 'Liver', description: 'tiny' }], { keepIdentifiers: false });
    const { ds } = parseDicom(bytes);
    const bits = pixelBytes(ds);
    // 3 frames × 15 bits = 45 bits → 6 bytes, even already.
    expect(bits.length).toBe(6);
    const expected = new Uint8Array(6);
    for (const [i, j, k] of on) {
      const bit = k * 15 + j * 5 + i; // frame k, row j, column i
      expected[bit >> 3] |= 1 << (bit & 7);
    }
    expect([...bits]).toEqual([...expected]);
    const back = readSeg({ name: 'tiny.dcm', bytes }, labels);
    expect([...back.masks.get(1)!]).toEqual([...data]);
  });
});

describe.skipIf(!present)('writeSeg output in a viewer loader', () => {
  it("loads through dcmjs's Cornerstone SEG adapter (the loader OHIF's descends from) onto the source images", async () => {
    const dcmjs = (await import('dcmjs')).default;
    const series = ct3Series();
    const labels = liverWithTumour(series);
    const bytes = writeSeg(labels, series, SEGMENTS, { keepIdentifiers: false });
    // One imageId per source slice, in a shuffled order: the adapter must place frames by reference.
    const order = [2, 0, 1];
    const imageIds = order.map((k) => `slice:${k}`);
    const sliceOf = (id: string) => series.slices[Number(id.slice(6))];
    const provider = {
      get(type: string, id: string) {
        const s = sliceOf(id);
        switch (type) {
          case 'imagePlaneModule':
            return { rowCosines: s.orientation.slice(0, 3), columnCosines: s.orientation.slice(3), imagePositionPatient: s.position, rows: series.rows, columns: series.columns };
          case 'generalSeriesModule':
            return { seriesInstanceUID: series.seriesInstanceUID };
          case 'sopCommonModule':
            return { sopInstanceUID: s.sopInstanceUID, sopClassUID: s.sopClassUID };
          case 'imagePixelModule':
            return { rows: series.rows, columns: series.columns };
          case 'instance':
            return { ...s.dataset, ImagePositionPatient: s.position, SeriesInstanceUID: series.seriesInstanceUID };
          default:
            return undefined;
        }
      },
    };
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const state = dcmjs.adapters.Cornerstone.Segmentation.generateToolState(imageIds, buf, provider);
    const labelmap = new Uint16Array(state.labelmapBufferArray[0]);
    const grid = converterGrid(series);
    const want = [0, 1, 2]; // segment number per project label id 0, 1, 2 (3 has no voxels)
    let mismatches = 0;
    let tumour = 0;
    order.forEach((k, n) => {
      for (let r = 0; r < 512; r++) {
        for (let c = 0; c < 512; c++) {
          const got = labelmap[n * 512 * 512 + r * 512 + c];
          const id = labels.data[voxelIndex(grid.dims, c, 511 - r, k)];
          if (got !== want[id]) mismatches++;
          if (got === 2) tumour++;
        }
      }
    });
    expect(tumour).toBe(120);
    expect(mismatches).toBe(0);
  });
});
