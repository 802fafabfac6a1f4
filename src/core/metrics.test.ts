import { describe, expect, it } from 'vitest';
import { connectedComponents, diceOf, evaluateCase, lesionClass, overlap, summariseCases } from './metrics.ts';
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
});
