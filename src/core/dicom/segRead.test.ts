import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  converterGrid,
  CT3_DIR,
  ct3Series,
  dicomFixturesPresent,
  type Grid,
  liverSegFile,
  nrrdVoxelsRas,
  parseDicom,
  pixelBytes,
  readNrrd,
  rewriteDicom,
  seq,
  topDownGrid,
  worldToVoxel,
} from '../../node/testing/segFixtures.ts';
import { voxelIndex } from '../volume.ts';
import { masksToLabelVolume, readSeg, segmentLabelMatch } from './segRead.ts';
import type { DicomDataset, DicomSegmentInfo } from './types.ts';

const present = dicomFixturesPresent('SEG reader on the dcmqi liver SEG');

function countOnes(m: Uint8Array): number {
  let n = 0;
  for (const v of m) n += v;
  return n;
}

/** The reference liver (liver_seg.nrrd, value 1) as voxel indices of `grid`, via world positions. */
function referenceLiver(grid: Grid): Set<number> {
  const out = new Set<number>();
  let worst = 0;
  for (const ras of nrrdVoxelsRas(readNrrd(join(CT3_DIR, 'liver_seg.nrrd')), 1)) {
    const v = worldToVoxel(grid, ras);
    const r = v.map(Math.round);
    worst = Math.max(worst, ...v.map((x, a) => Math.abs(x - r[a])));
    out.add(voxelIndex(grid.dims, r[0], r[1], r[2]));
  }
  // The NRRD's voxels must be the grid's voxels, not merely near them.
  expect(worst).toBeLessThan(1e-3);
  return out;
}

function editSeg(edit: (ds: DicomDataset) => void, name = 'edited.dcm') {
  return { name, bytes: rewriteDicom(liverSegFile().bytes, edit) };
}

describe.skipIf(!present)('readSeg on the dcmqi liver SEG', () => {
  it.each([
    ['converter grid (rows bottom-up)', converterGrid],
    ['top-down grid', topDownGrid],
  ])('matches liver_seg.nrrd voxel for voxel in world terms on the %s', (_name, makeGrid) => {
    const series = ct3Series();
    const grid = makeGrid(series);
    const res = readSeg(liverSegFile(), grid);
    expect(res.segments).toEqual([
      { number: 1, label: 'Liver', type: 'Liver', category: 'Tissue', anatomicRegion: null, description: null },
    ]);
    expect(res.referencedSeriesUID).toBe(series.seriesInstanceUID);
    const mask = res.masks.get(1)!;
    const ref = referenceLiver(grid);
    expect(ref.size).toBeGreaterThan(10000); // a real liver, not an empty comparison
    expect(countOnes(mask)).toBe(ref.size);
    for (const idx of ref) expect(mask[idx]).toBe(1);
  });

  it('is independent of frame order: reversing the frames gives the same mask', () => {
    const grid = converterGrid(ct3Series());
    const original = readSeg(liverSegFile(), grid).masks.get(1)!;
    const reversed = editSeg((ds) => {
      const bytes = pixelBytes(ds);
      const frame = bytes.length / 3;
      const out = new Uint8Array(bytes.length);
      for (let f = 0; f < 3; f++) out.set(bytes.subarray(f * frame, (f + 1) * frame), (2 - f) * frame);
      ds.PixelData = [out.buffer];
      ds.PerFrameFunctionalGroupsSequence = [...seq(ds.PerFrameFunctionalGroupsSequence)].reverse();
    });
    expect(readSeg(reversed, grid).masks.get(1)).toEqual(original);
  });

  it('reads a FRACTIONAL SEG, thresholding at 50 % of MaximumFractionalValue', () => {
    const grid = converterGrid(ct3Series());
    const binary = readSeg(liverSegFile(), grid).masks.get(1)!;
    // Re-encode the liver as 8-bit fractions: inside 200, and two test pixels just below/at the threshold.
    let below = -1;
    let at = -1;
    const frac = editSeg((ds) => {
      const bits = pixelBytes(ds);
      const n = 3 * 512 * 512;
      const out = new Uint8Array(n);
      for (let p = 0; p < n; p++) out[p] = (bits[p >> 3] >> (p & 7)) & 1 ? 200 : 0;
      for (let p = 0; p < n; p++) {
        if (out[p] === 0 && below < 0) below = p;
        else if (out[p] === 0 && below >= 0 && at < 0 && p > below + 10) at = p;
      }
      out[below] = 127;
      out[at] = 128;
      Object.assign(ds, {
        SegmentationType: 'FRACTIONAL',
        SegmentationFractionalType: 'PROBABILITY',
        MaximumFractionalValue: 255,
        BitsAllocated: 8,
        BitsStored: 8,
        HighBit: 7,
        PixelData: [out.buffer],
      });
    });
    const res = readSeg(frac, grid);
    expect(res.notes.join(' ')).toMatch(/50 % of MaximumFractionalValue 255 \(value ≥ 128\)/);
    const mask = res.masks.get(1)!;
    const diff: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i] !== binary[i]) diff.push(i);
    expect(diff).toHaveLength(1); // only the pixel at 128; the one at 127 stays outside
  });

  it('refuses a frame off the grid, naming the file and the frame', () => {
    const grid = converterGrid(ct3Series());
    const shifted = editSeg((ds) => {
      const item = seq(seq(ds.PerFrameFunctionalGroupsSequence)[1].PlanePositionSequence)[0];
      const p = item.ImagePositionPatient as number[];
      item.ImagePositionPatient = [p[0], p[1], +(p[2] + 0.4).toFixed(4)];
    }, 'shifted.dcm');
    expect(() => readSeg(shifted, grid)).toThrow(/^shifted\.dcm: frame 2 \(segment 1\) lies off the series grid/);
    const halfPixel = editSeg((ds) => {
      const item = seq(seq(ds.PerFrameFunctionalGroupsSequence)[0].PlanePositionSequence)[0];
      const p = item.ImagePositionPatient as number[];
      item.ImagePositionPatient = [+(p[0] + 0.4).toFixed(4), p[1], p[2]];
    }, 'half.dcm');
    expect(() => readSeg(halfPixel, grid)).toThrow(/^half\.dcm: frame 1 .*off the series grid/);
  });

  it('refuses a frame outside the series and a different orientation', () => {
    const grid = converterGrid(ct3Series());
    const outside = editSeg((ds) => {
      const item = seq(seq(ds.PerFrameFunctionalGroupsSequence)[2].PlanePositionSequence)[0];
      const p = item.ImagePositionPatient as number[];
      item.ImagePositionPatient = [p[0], p[1], p[2] + 10];
    }, 'outside.dcm');
    expect(() => readSeg(outside, grid)).toThrow(/^outside\.dcm: frame 3 .*outside the series/);
    const oblique = editSeg((ds) => {
      const shared = seq(ds.SharedFunctionalGroupsSequence)[0];
      const c = +Math.cos(0.2).toFixed(8);
      const s = +Math.sin(0.2).toFixed(8);
      seq(shared.PlaneOrientationSequence)[0].ImageOrientationPatient = [c, s, 0, -s, c, 0];
    }, 'oblique.dcm');
    expect(() => readSeg(oblique, grid)).toThrow(/^oblique\.dcm: frame 1 .*orientation .*differs/);
    const spacing = editSeg((ds) => {
      seq(seq(ds.SharedFunctionalGroupsSequence)[0].PixelMeasuresSequence)[0].PixelSpacing = [0.7, 0.7];
    }, 'spacing.dcm');
    expect(() => readSeg(spacing, grid)).toThrow(/^spacing\.dcm: frame 1 .*pixel spacing/);
  });

  it('refuses what is not a readable SEG, naming the file', () => {
    const grid = converterGrid(ct3Series());
    const ct = { name: 'ct-3slice_01.dcm', bytes: parseDicomBytes('ct-3slice_01.dcm') };
    expect(() => readSeg(ct, grid)).toThrow(/^ct-3slice_01\.dcm: is not a DICOM SEG \(SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2, modality CT\)/);
    expect(() => readSeg({ name: 'notes.txt', bytes: new TextEncoder().encode('hello') }, grid)).toThrow(/^notes\.txt: not a readable DICOM file/);
    const truncated = editSeg((ds) => {
      ds.PixelData = [pixelBytes(ds).slice(0, 1000).buffer];
    }, 'short.dcm');
    expect(() => readSeg(truncated, grid)).toThrow(/^short\.dcm: PixelData holds 1000 bytes; 3 frames of 512×512 need 98304/);
    const badRef = editSeg((ds) => {
      seq(seq(ds.PerFrameFunctionalGroupsSequence)[0].SegmentIdentificationSequence)[0].ReferencedSegmentNumber = 7;
    }, 'badref.dcm');
    expect(() => readSeg(badRef, grid)).toThrow(/^badref\.dcm: frame 1 references segment 7/);
    const labelmap = editSeg((ds) => {
      ds.SegmentationType = 'LABELMAP';
    }, 'labelmap.dcm');
    expect(() => readSeg(labelmap, grid)).toThrow(/^labelmap\.dcm: .*LABELMAP/);
  });
});

function parseDicomBytes(name: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(join(CT3_DIR, name)));
  // The negative test means something only if the file itself is a sound CT slice.
  expect(parseDicom(bytes).ds.Modality).toBe('CT');
  return bytes;
}

describe('segmentLabelMatch', () => {
  const seg = (number: number, label: string, type: string | null = null, anatomicRegion: string | null = null) =>
    ({ number, label, type, category: null, anatomicRegion }) as DicomSegmentInfo;

  it.each([
    ['Liver', null, null, 1],
    ['liver', 'Liver', null, 1],
    ['LIVER TUMOR', null, null, 2],
    ['Liver lesion', null, null, 2],
    ['liver_tumour 1', null, null, 2],
    ['Hepatic neoplasm', null, null, 2],
    ['HCC', null, null, 2],
    ['Pancreas', null, null, 3],
    ['pancreatic mass', null, null, 4],
    ['Kidney', null, null, 5],
    ['Left kidney', null, null, 5],
    ['kidney_right', null, null, 5],
    ['Right Kidney Tumor', null, null, 6],
    ['renal cancer', null, null, 6],
    ['Segment_1', 'Liver', null, 1],
    ['Segment_2', 'Neoplasm', 'Liver', 2],
    ['Tumour', 'Neoplasm', 'Pancreas', 4],
    ['Tumor', 'Kidney', null, 6],
    ['synthetic liver tumour, medium', null, null, 2],
  ])('%s (type %s, region %s) → %i', (label, type, region, id) => {
    const { mapping, unmatched } = segmentLabelMatch([seg(3, label, type, region)]);
    expect(unmatched).toEqual([]);
    expect(mapping.get(3)).toBe(id);
  });

  it.each([
    ['Spine', 'Vertebral column'],
    ['Liver vessels', 'Blood vessel'],
    ['Kidney cyst', 'Cyst'],
    ['Tumor', 'Neoplasm'],
    ['Liver and kidney', null],
    ['Segment_1', null],
    ['Segment_1', 'Blood vessel'],
  ])('leaves %s (type %s) unmatched', (label, type) => {
    const s = seg(1, label, type);
    const { mapping, unmatched } = segmentLabelMatch([s]);
    expect(mapping.size).toBe(0);
    expect(unmatched).toEqual([s]);
  });

  it('maps several segments at once, left and right kidney to one id', () => {
    const { mapping, unmatched } = segmentLabelMatch([seg(1, 'Left kidney'), seg(2, 'Right kidney'), seg(3, 'Spleen'), seg(4, 'Liver')]);
    expect([...mapping.entries()]).toEqual([
      [1, 5],
      [2, 5],
      [4, 1],
    ]);
    expect(unmatched.map((s) => s.number)).toEqual([3]);
  });
});

describe('masksToLabelVolume', () => {
  it('paints tumours over organs whatever the segment order; unmapped segments are left out', () => {
    const grid: Grid = { dims: [4, 1, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
    const masks = new Map([
      [1, Uint8Array.from([0, 1, 1, 0])], // tumour
      [2, Uint8Array.from([1, 1, 1, 0])], // organ
      [3, Uint8Array.from([0, 0, 0, 1])], // unmapped
    ]);
    const lv = masksToLabelVolume(masks, new Map([[1, 2], [2, 1]]), grid);
    expect([...lv.data]).toEqual([1, 2, 2, 0]);
    expect(lv.dims).toEqual([4, 1, 1]);
  });
});
