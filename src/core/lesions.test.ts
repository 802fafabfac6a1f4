import { describe, expect, it } from 'vitest';
import { findLesions, longestDiameter } from './lesions.ts';
import { Rng } from './random.ts';
import type { Mat4, Vec3 } from './volume.ts';

const DIMS: Vec3 = [40, 30, 20];
const N = DIMS[0] * DIMS[1] * DIMS[2];
/** Anisotropic and flipped like a typical CT: 0.8 × 0.8 × 2.5 mm, x and y negated. */
const AFFINE: Mat4 = [-0.8, 0, 0, 10, 0, -0.8, 0, 20, 0, 0, 2.5, -30, 0, 0, 0, 1];
const at = (i: number, j: number, k: number) => i + DIMS[0] * (j + DIMS[1] * k);

function ball(data: Uint8Array, c: Vec3, r: number, id: number): number {
  let n = 0;
  for (let k = 0; k < DIMS[2]; k++) for (let j = 0; j < DIMS[1]; j++) for (let i = 0; i < DIMS[0]; i++) {
    if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r) {
      data[at(i, j, k)] = id;
      n++;
    }
  }
  return n;
}

function bruteDiameter(idx: number[]): number {
  let best = 0;
  const p = idx.map((v) => [(v % DIMS[0]) * 0.8, (Math.floor(v / DIMS[0]) % DIMS[1]) * 0.8, Math.floor(v / (DIMS[0] * DIMS[1])) * 2.5]);
  for (let a = 0; a < p.length; a++) for (let b = a + 1; b < p.length; b++) best = Math.max(best, Math.hypot(p[a][0] - p[b][0], p[a][1] - p[b][1], p[a][2] - p[b][2]));
  return best;
}

describe('findLesions', () => {
  it('finds one lesion per connected component of each tumour label, with volume in mL', () => {
    const labels = new Uint8Array(N);
    labels.fill(1, at(0, 0, 0), at(0, 0, 10)); // liver everywhere below k = 10: not a lesion
    const big = ball(labels, [10, 10, 5], 4, 2);
    const small = ball(labels, [30, 10, 5], 2, 2);
    const kidney = ball(labels, [20, 22, 14], 3, 6);
    const lesions = findLesions({ dims: DIMS, affine: AFFINE, labels });
    expect(lesions.map((l) => [l.organ, l.voxels])).toEqual([['liver', big], ['liver', small], ['kidney', kidney]]);
    expect(lesions.map((l) => l.index)).toEqual([1, 2, 3]);
    expect(lesions[0].volumeMl).toBeCloseTo((big * 0.8 * 0.8 * 2.5) / 1000, 10);
    expect(lesions[0].anchorVoxel).toEqual([10, 10, 5]);
    expect(lesions[0].anchorMm).toEqual([10 - 8, 20 - 8, -30 + 12.5]);
    expect(lesions.every((l) => !l.synthetic && l.meanHu === null)).toBe(true);
  });

  it('joins voxels that touch only at a corner (26-connectivity)', () => {
    const labels = new Uint8Array(N);
    labels[at(5, 5, 5)] = 4;
    labels[at(6, 6, 6)] = 4;
    labels[at(8, 6, 6)] = 4;
    const lesions = findLesions({ dims: DIMS, affine: AFFINE, labels });
    expect(lesions.map((l) => [l.organ, l.voxels])).toEqual([['pancreas', 2], ['pancreas', 1]]);
    expect(lesions[0].longestDiameterMm).toBeCloseTo(Math.hypot(0.8, 0.8, 2.5), 10);
    expect(lesions[1].longestDiameterMm).toBe(0);
  });

  it('keeps synthetic tumours apart from real ones and reads the mean HU through slope and intercept', () => {
    const labels = new Uint8Array(N);
    ball(labels, [10, 10, 5], 3, 2);
    const synthetic = new Uint8Array(N);
    // Touching the real lesion, still its own lesion.
    const sVox = ball(synthetic, [17, 10, 5], 3, 2);
    const image = new Int16Array(N).fill(100);
    for (let v = 0; v < N; v++) if (synthetic[v]) image[v] = 20;
    const lesions = findLesions({ dims: DIMS, affine: AFFINE, labels, synthetic, image: { data: image, slope: 2, inter: -1000 } });
    expect(lesions.map((l) => [l.synthetic, l.meanHu])).toEqual([[false, -800], [true, -960]]);
    expect(lesions[1].voxels).toBe(sVox);
  });

  it('measures the longest diameter exactly (against all pairs)', () => {
    const rng = new Rng(3);
    const rand = () => rng.uniform();
    for (let trial = 0; trial < 5; trial++) {
      const labels = new Uint8Array(N);
      const idx: number[] = [];
      // A random blob: a walk of small balls, so the shape is connected and not convex.
      let c: Vec3 = [20, 15, 10];
      for (let s = 0; s < 6; s++) {
        ball(labels, c, 1 + Math.floor(rand() * 3), 2);
        c = [Math.min(36, Math.max(3, c[0] + Math.round(rand() * 6 - 3))), Math.min(26, Math.max(3, c[1] + Math.round(rand() * 6 - 3))), Math.min(16, Math.max(3, c[2] + Math.round(rand() * 4 - 2)))];
      }
      for (let v = 0; v < N; v++) if (labels[v]) idx.push(v);
      const lesions = findLesions({ dims: DIMS, affine: AFFINE, labels });
      const all = lesions.reduce((s, l) => s + l.voxels, 0);
      expect(all).toBe(idx.length);
      if (lesions.length === 1) expect(lesions[0].longestDiameterMm).toBeCloseTo(bruteDiameter(idx), 9);
      expect(longestDiameter(Int32Array.from(idx), DIMS[0], DIMS[1], AFFINE)).toBeCloseTo(bruteDiameter(idx), 9);
    }
  });

  it('refuses a label map of the wrong size', () => {
    expect(() => findLesions({ dims: DIMS, affine: AFFINE, labels: new Uint8Array(10) })).toThrow(/label map has 10 voxels, expected 40×30×20/);
  });
});
