/**
 * The elastic deformation on its own (every geometry test elsewhere turns it off): seeded,
 * displacement bounded by its σ, a real change of the shape, and M still inside the organ.
 */
import { describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../labels.ts';
import { Rng } from '../random.ts';
import type { LabelVolume, Mat4, Vec3 } from '../volume.ts';
import { DEFAULT_ELASTIC_OPTIONS, deformAxisPair, elasticDeform } from './elasticDeformation.ts';
import { ellipsoidBox } from './ellipsoid.ts';
import { simulateTumourPositions } from './positionSimulation.ts';

const shape = ellipsoidBox([6, 5, 4], 2);
const diff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, n) => s + (v !== b[n] ? 1 : 0), 0);

/** Largest distance (voxels) from a set voxel of `b` to the nearest set voxel of `a`. */
function reach(a: Uint8Array, b: Uint8Array, d: Vec3): number {
  const pts: Vec3[] = [];
  for (let n = 0; n < a.length; n++) if (a[n]) pts.push([n % d[0], Math.floor(n / d[0]) % d[1], Math.floor(n / (d[0] * d[1]))]);
  let worst = 0;
  for (let n = 0; n < b.length; n++) {
    if (!b[n]) continue;
    const p = [n % d[0], Math.floor(n / d[0]) % d[1], Math.floor(n / (d[0] * d[1]))];
    let best = Infinity;
    for (const q of pts) best = Math.min(best, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
    worst = Math.max(worst, best);
  }
  return worst;
}

describe('elastic deformation', () => {
  it('is seeded: same seed, same shape; another seed, another shape', () => {
    const sigma: Vec3 = [2, 2, 2];
    const a = elasticDeform(shape.data, shape.dims, sigma, new Rng(3));
    const b = elasticDeform(shape.data, shape.dims, sigma, new Rng(3));
    const c = elasticDeform(shape.data, shape.dims, sigma, new Rng(4));
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(a.bounds).toEqual(b.bounds);
    expect(diff(a.data, c.data)).toBeGreaterThan(0);
  });

  it('σ = 0 is the identity; a σ of a few voxels changes the shape, more with a larger σ', () => {
    const id = elasticDeform(shape.data, shape.dims, [0, 0, 0], new Rng(1));
    expect(Buffer.from(id.data).equals(Buffer.from(shape.data))).toBe(true);
    let small = 0;
    let large = 0;
    for (let seed = 0; seed < 6; seed++) {
      small += diff(shape.data, elasticDeform(shape.data, shape.dims, [0.75, 0.75, 0.75], new Rng(seed)).data);
      large += diff(shape.data, elasticDeform(shape.data, shape.dims, [2.5, 2.5, 2.5], new Rng(seed)).data);
    }
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(1.5 * small);
  });

  it('moves no voxel further than its control displacements allow', () => {
    // One pass: the field interpolates 2·3² normal draws (Catmull–Rom with linear end
    // extrapolation: Σ|w| peaks at 31/27 ≈ 1.15 per axis; 1.25 is used), then rounds. Replaying the
    // draws gives the bound.
    const sigma: Vec3 = [1.5, 1.5, 1.5];
    for (let seed = 0; seed < 8; seed++) {
      const replay = new Rng(seed);
      let maxDraw = 0;
      for (let g = 0; g < 18; g++) maxDraw = Math.max(maxDraw, Math.abs(replay.normal(0, sigma[0])));
      const one = deformAxisPair(shape.data, shape.dims, [0, 1], sigma, 3, new Rng(seed));
      const bound = Math.SQRT2 * (1.25 * 1.25 * maxDraw + 0.5);
      expect(reach(shape.data, one.data, shape.dims)).toBeLessThanOrEqual(bound);
      // The shape is not thrown away: most of it survives a pass.
      expect(diff(shape.data, one.data)).toBeLessThan(shape.data.reduce((s, v) => s + v, 0));
    }
    // All three passes of the reference: the bound adds up.
    const all = elasticDeform(shape.data, shape.dims, sigma, new Rng(9));
    expect(reach(shape.data, all.data, shape.dims)).toBeLessThanOrEqual(3 * Math.SQRT2 * (1.25 * 1.25 * 4 * sigma[0] + 0.5));
    expect(DEFAULT_ELASTIC_OPTIONS.axisPairs).toHaveLength(3);
  });

  it('in position simulation it changes M (same centre and axes) and M stays inside the organ', () => {
    const S = 1.5;
    const affine: Mat4 = [S, 0, 0, 0, 0, S, 0, 0, 0, 0, S, 0, 0, 0, 0, 1];
    const dims: Vec3 = [48, 48, 48];
    // A liver ball of radius 18 voxels: a large tumour's deformed mask reaches past its edge.
    const data = new Uint8Array(48 ** 3);
    for (let k = 0; k < 48; k++)
      for (let j = 0; j < 48; j++) for (let i = 0; i < 48; i++) if ((i - 24) ** 2 + (j - 24) ** 2 + (k - 24) ** 2 <= 18 ** 2) data[i + 48 * (j + 48 * k)] = ORGAN_IDS.liver.organ;
    const label: LabelVolume = { dims, affine, data };
    let changed = 0;
    for (let seed = 0; seed < 4; seed++) {
      const on = simulateTumourPositions(label, { seed, sizeClass: 'medium' });
      const off = simulateTumourPositions(label, { seed, sizeClass: 'medium', elastic: { enabled: false } });
      expect(on.tumours[0].centreVoxel).toEqual(off.tumours[0].centreVoxel);
      expect(on.tumours[0].semiAxesMm).toEqual(off.tumours[0].semiAxesMm);
      changed += diff(on.tumourLabel, off.tumourLabel);
      let outside = 0;
      for (let n = 0; n < data.length; n++) if (on.tumourLabel[n] && data[n] !== ORGAN_IDS.liver.organ) outside++;
      expect(outside).toBe(0);
    }
    expect(changed).toBeGreaterThan(0);
  });
});
