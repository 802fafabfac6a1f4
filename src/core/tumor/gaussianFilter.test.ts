import { describe, expect, it } from 'vitest';
import { Rng } from '../random.ts';
import type { Vec3 } from '../volume.ts';
import { gaussianFilter3d, gaussianKernel1d, reflectIndex } from './gaussianFilter.ts';

const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let n = 0; n < a.length; n++) s += a[n];
  return s;
};

describe('gaussianFilter3d', () => {
  it('1-D kernel is the normalised sampled Gaussian with radius ceil(4σ)', () => {
    const k = gaussianKernel1d(1.5);
    expect(k.length).toBe(2 * 6 + 1);
    expect(sum(k)).toBeCloseTo(1, 12);
    expect(k[6] / k[7]).toBeCloseTo(Math.exp(0.5 / 2.25), 12);
  });

  it('a delta in the interior gives the analytic separable kernel', () => {
    const dims: Vec3 = [31, 29, 27];
    const sigma: Vec3 = [1.3, 2, 0.8];
    const data = new Float32Array(dims[0] * dims[1] * dims[2]);
    const c: Vec3 = [15, 14, 13];
    data[c[0] + dims[0] * (c[1] + dims[1] * c[2])] = 1;
    const out = gaussianFilter3d(data, dims, sigma);
    const g = (x: number, s: number): number => {
      const r = Math.ceil(4 * s);
      if (Math.abs(x) > r) return 0;
      let z = 0;
      for (let t = -r; t <= r; t++) z += Math.exp((-t * t) / (2 * s * s));
      return Math.exp((-x * x) / (2 * s * s)) / z;
    };
    let maxErr = 0;
    for (let k = 0; k < dims[2]; k++) {
      for (let j = 0; j < dims[1]; j++) {
        for (let i = 0; i < dims[0]; i++) {
          const want = g(i - c[0], sigma[0]) * g(j - c[1], sigma[1]) * g(k - c[2], sigma[2]);
          maxErr = Math.max(maxErr, Math.abs(out[i + dims[0] * (j + dims[1] * k)] - want));
        }
      }
    }
    expect(maxErr).toBeLessThan(1e-7);
  });

  it('keeps the sum with reflecting borders, even for mass at the edge and kernels longer than the line', () => {
    const rng = new Rng(3);
    for (const [dims, sigma] of [
      [[12, 9, 7], [1, 2, 1.5]],
      [[5, 4, 3], [3, 3, 3]],
      [[20, 1, 6], [2, 2, 0]],
    ] as [Vec3, Vec3][]) {
      const data = new Float32Array(dims[0] * dims[1] * dims[2]);
      for (let n = 0; n < data.length; n++) data[n] = rng.uniform() < 0.3 ? rng.uniform() : 0;
      data[0] = 1; // a corner voxel
      const before = sum(data);
      const out = gaussianFilter3d(data, dims, sigma);
      expect(Math.abs(sum(out) - before) / before).toBeLessThan(1e-5);
    }
  });

  it('keeps a constant constant and leaves sigma 0 alone', () => {
    const dims: Vec3 = [6, 6, 6];
    const ones = new Float32Array(216).fill(1);
    const out = gaussianFilter3d(ones, dims, [2, 2, 2]);
    for (const v of out) expect(v).toBeCloseTo(1, 6);
    const rnd = new Float32Array(216).map((_, n) => n);
    expect(gaussianFilter3d(rnd, dims, [0, 0, 0])).toEqual(rnd);
  });

  it('reflectIndex mirrors half-sample and repeats with period 2n', () => {
    expect([-3, -2, -1, 0, 3, 4, 5, 7, 8].map((i) => reflectIndex(i, 4))).toEqual([2, 1, 0, 0, 3, 3, 2, 0, 0]);
  });
});
