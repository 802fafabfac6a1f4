import { describe, expect, it } from 'vitest';
import { connectedComponents, diceOf, evaluateCase, lesionClass, normalizedSurfaceDice, overlap, summariseCases, surfaceVoxels } from './metrics.ts';
import type { Vec3 } from './volume.ts';

const dims: Vec3 = [10, 10, 10];
const idx = (i: number, j: number, k: number) => i + 10 * (j + 10 * k);
function cube(vol: Uint8Array, at: Vec3, size: number, id: number) {
  for (let k = 0; k < size; k++) for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) vol[idx(at[0] + i, at[1] + j, at[2] + k)] = id;
}

describe('metrics', () => {
  it('Dice: 2TP/(2TP+FP+FN), NaN when both are empty', () => {
    expect(diceOf({ tp: 3, fp: 1, fn: 1 })).toBeCloseTo(0.75);
    expect(diceOf({ tp: 0, fp: 0, fn: 0 })).toBeNaN();
    expect(overlap([2, 2, 0, 1], [2, 0, 2, 2], 2)).toEqual({ tp: 1, fp: 1, fn: 2 });
  });

  it('connected components are 26-connected', () => {
    const m = new Uint8Array(1000);
    m[idx(0, 0, 0)] = 1;
    m[idx(1, 1, 1)] = 1; // diagonal neighbour: same component
    m[idx(5, 5, 5)] = 1;
    const cc = connectedComponents(m, dims);
    expect(cc.sizes).toEqual([0, 2, 1]);
    expect(cc.labels[idx(1, 1, 1)]).toBe(cc.labels[idx(0, 0, 0)]);
  });

  it('size classes follow the equivalent-sphere radius', () => {
    const ball = (r: number) => (4 / 3) * Math.PI * r ** 3;
    expect(lesionClass(ball(6))).toBe('tiny');
    expect(lesionClass(ball(12))).toBe('small');
    expect(lesionClass(ball(24))).toBe('medium');
    expect(lesionClass(ball(48))).toBe('large');
  });

  it('per case, per organ, and the summary: paper Dice, global Dice, FP volume, detection', () => {
    // Case a: two liver lesions, one found exactly, one missed.
    const gtA = new Uint8Array(1000);
    const prA = new Uint8Array(1000);
    cube(gtA, [0, 0, 0], 2, 2);
    cube(prA, [0, 0, 0], 2, 2);
    cube(gtA, [6, 6, 6], 2, 2);
    // Case b: no tumour, 3 false-positive voxels.
    const gtB = new Uint8Array(1000);
    const prB = new Uint8Array(1000);
    prB[0] = prB[1] = prB[2] = 2;
    const spacing: Vec3 = [2, 2, 2];
    const a = evaluateCase('a', prA, gtA, dims, spacing, ['liver']);
    const b = evaluateCase('b', prB, gtB, dims, spacing, ['liver']);
    expect(a.organs[0].dice).toBeCloseTo(2 * 8 / (16 + 8));
    expect(a.lesions.map((l) => l.detected)).toEqual([true, false]);
    expect(b.organs[0].hasTumour).toBe(false);
    expect(b.organs[0].fpVolumeMm3).toBe(24);
    const [s] = summariseCases([a, b], ['liver']);
    expect(s.casesWithTumour).toBe(1);
    expect(s.meanDice).toBeCloseTo(2 / 3);
    expect(s.globalDice).toBeCloseTo((2 * 8) / (2 * 8 + 3 + 8));
    expect(s.meanFpVolumeTumourFreeMm3).toBe(24);
    expect(s.detection.tiny).toEqual({ lesions: 2, detected: 1, rate: 0.5 });
  });
  it('NSD at 2 mm: two 6³ cubes 3 voxels apart along x score 232/304 (counted by hand)', () => {
    const d: Vec3 = [14, 10, 10];
    const a = new Uint8Array(d[0] * d[1] * d[2]);
    const b = new Uint8Array(a.length);
    const box = (m: Uint8Array, x0: number) => {
      for (let k = 2; k <= 7; k++) for (let j = 2; j <= 7; j++) for (let i = x0; i <= x0 + 5; i++) m[i + d[0] * (j + d[1] * k)] = 1;
    };
    box(a, 2);
    box(b, 5);
    // Each surface has 6³ − 4³ = 152 voxels. Within 2 mm of the other cube's surface: the side
    // rings (20 voxels per x-slice) of the 5 slices nearest the other cube, and the one facing
    // face's 4×4 interior: 100 + 16 = 116 per cube.
    expect(surfaceVoxels(a, d).reduce((s, v) => s + v, 0)).toBe(152);
    expect(normalizedSurfaceDice(a, b, d, [1, 1, 1], 2)).toBeCloseTo(232 / 304, 10);
    // At 3 mm the far ring slices and the far face come within reach too.
    expect(normalizedSurfaceDice(a, b, d, [1, 1, 1], 3)).toBeCloseTo(1, 10);
  });

  it('NSD: two spheres offset by less than the tolerance score 1, far apart 0; empty cases', () => {
    const d: Vec3 = [30, 20, 20];
    const sphere = (c: Vec3, r: number) => {
      const m = new Uint8Array(d[0] * d[1] * d[2]);
      for (let k = 0; k < d[2]; k++) for (let j = 0; j < d[1]; j++) for (let i = 0; i < d[0]; i++)
        if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r) m[i + d[0] * (j + d[1] * k)] = 1;
      return m;
    };
    const a = sphere([8, 10, 10], 4);
    // One voxel along z at 1.5 mm spacing: the shifted surface is the same voxels 1.5 mm away.
    const up = sphere([8, 10, 11], 4);
    expect(normalizedSurfaceDice(a, up, d, [1, 1, 1.5], 2)).toBe(1);
    // … but not at a 1 mm tolerance, where only the voxels both surfaces share remain.
    expect(normalizedSurfaceDice(a, up, d, [1, 1, 1.5], 1)).toBeLessThan(1);
    const far = sphere([22, 10, 10], 4);
    expect(normalizedSurfaceDice(a, far, d, [1, 1, 1], 2)).toBe(0);
    expect(normalizedSurfaceDice(a, new Uint8Array(a.length), d, [1, 1, 1], 2)).toBe(0);
    expect(Number.isNaN(normalizedSurfaceDice(new Uint8Array(a.length), new Uint8Array(a.length), d, [1, 1, 1], 2))).toBe(true);
  });

  it('lesion-wise: false-positive lesions per scan by size class; unlabelled cases are skipped, not tumour-free', () => {
    const gt = new Uint8Array(1000);
    const pr = new Uint8Array(1000);
    cube(gt, [0, 0, 0], 2, 2);
    cube(pr, [0, 0, 0], 2, 2); // found
    cube(pr, [6, 6, 6], 2, 2); // a component touching no true tumour: one FP lesion (8 voxels)
    const spacing: Vec3 = [2, 2, 2];
    const a = evaluateCase('a', pr, gt, dims, spacing, ['liver']);
    expect(a.falseLesions).toEqual([{ organ: 'liver', voxels: 8, volumeMm3: 64, sizeClass: 'tiny' }]);
    expect(a.organs[0].nsd).toBeGreaterThan(0);
    // An organ-only case where the model finds a tumour: with labels it would be a tumour-free
    // case with a false positive; unlabelled it must not count at all.
    const organOnly = new Uint8Array(1000);
    const found = new Uint8Array(1000);
    cube(found, [4, 4, 4], 2, 2);
    const u = evaluateCase('u', found, organOnly, dims, spacing, ['liver'], { labeled: false });
    const [s] = summariseCases([a, u], ['liver']);
    expect(s.unlabelledSkipped).toBe(1);
    expect(s.scans).toBe(1);
    expect(s.tumourFreeCases).toBe(0);
    expect(Number.isNaN(s.meanFpVolumeTumourFreeMm3)).toBe(true);
    expect(s.falseLesionsPerScan.all).toBe(1);
    expect(s.falseLesionsPerScan.tiny).toBe(1);
    expect(s.falseLesionsPerScan.small).toBe(0);
    expect(s.detection.tiny).toEqual({ lesions: 1, detected: 1, rate: 1 });
    expect(s.meanNsd).toBeCloseTo(a.organs[0].nsd, 12);
  });
});
