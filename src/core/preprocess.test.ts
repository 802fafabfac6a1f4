import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNifti, toLabelVolume } from './nifti/index.ts';
import { remapLabels, TOTALSEGMENTATOR, PROJECT_LABELS } from './labels.ts';
import { mergeMasks, preprocessCase, TINY_PREPROCESS, PAPER_PREPROCESS } from './preprocess.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../node/testing/sharedDemo.ts';
import { spacingOf, voxelToWorld, type LabelVolume, type Volume } from './volume.ts';

const present = sharedDemoPresent('preprocessCase on the TotalSegmentator example', [DEMO_CT, DEMO_SEG]);
let image: Volume<Float32Array>;
let label: LabelVolume;

beforeAll(async () => {
  if (!present) return;
  image = (await readNifti(readFileSync(DEMO_CT), 'example_ct.nii.gz')).volume;
  const seg = toLabelVolume(await readNifti(readFileSync(DEMO_SEG), 'example_seg.nii.gz'), 'example_seg.nii.gz');
  label = { ...seg, data: remapLabels(seg.data, TOTALSEGMENTATOR) };
});

const count = (d: Uint8Array, id: number) => d.reduce((s, v) => s + (v === id ? 1 : 0), 0);

describe.skipIf(!present)('preprocessCase on the demo CT', () => {
  it('at 3 mm (tiny) keeps every organ voxel, windows to [0,1] and pads to the patch', () => {
    const p = preprocessCase(image, label, TINY_PREPROCESS);
    expect(spacingOf(p.image.affine)).toEqual([3, 3, 3]);
    expect(p.image.dims).toEqual(p.label.dims);
    expect(p.image.dims.every((d) => d >= 48)).toBe(true);
    // Same spacing: no resampling, so the crop keeps the label counts exactly.
    expect(count(p.label.data, PROJECT_LABELS.liver)).toBe(41692);
    expect(count(p.label.data, PROJECT_LABELS.pancreas)).toBe(695);
    expect(count(p.label.data, PROJECT_LABELS.kidney)).toBe(7134 + 5090);
    let lo = Infinity, hi = -Infinity;
    for (const v of p.image.data) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // The crop moved the origin so that voxel (0,0,0) keeps its world position.
    const w = voxelToWorld(p.image.affine, [0, 0, 0]);
    expect(w.every(Number.isFinite)).toBe(true);
  });

  it('at 1.5 mm (paper) resamples: ~8× the organ voxels, labels stay project ids', () => {
    const p = preprocessCase(image, label, PAPER_PREPROCESS);
    expect(spacingOf(p.image.affine).map((s) => +s.toFixed(6))).toEqual([1.5, 1.5, 1.5]);
    const liver = count(p.label.data, PROJECT_LABELS.liver);
    expect(liver / 41692).toBeGreaterThan(7);
    expect(liver / 41692).toBeLessThan(9);
    expect(new Set(p.label.data)).toEqual(new Set([0, 1, 3, 5]));
  });
});

describe('mergeMasks', () => {
  it('paints tumours over their organ whatever the key order', () => {
    const liver = [1, 1, 1, 0];
    const tumor = [0, 1, 0, 0];
    const kidney = [0, 0, 0, 1];
    expect([...mergeMasks({ liver_tumor: tumor, liver, kidney_left: kidney }, 4)]).toEqual([1, 2, 1, 5]);
    expect(() => mergeMasks({ spleen: liver }, 4)).toThrow(/unknown structure 'spleen'/);
  });
});
