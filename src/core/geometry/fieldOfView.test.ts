import { describe, expect, it } from 'vitest';
import { spacingOf, voxelToWorld, type Mat4, type Vec3, type Volume } from '../volume.ts';
import { sampleFieldOfView } from './fieldOfView.ts';

/** A grid of 0.8 × 0.8 × 4 mm whose voxel axes run along -y, +x and +z (permuted, flipped). */
const AFFINE: Mat4 = [0, 0.8, 0, -30, -0.8, 0, 0, 40, 0, 0, 4, -100, 0, 0, 0, 1];
const DIMS: Vec3 = [60, 70, 20];

function filled(f: (w: Vec3) => number): Volume<Float32Array> {
  const [nx, ny, nz] = DIMS;
  const data = new Float32Array(nx * ny * nz);
  let n = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[n++] = f(voxelToWorld(AFFINE, [i, j, k]));
  return { dims: DIMS, affine: AFFINE, data };
}

describe('sampleFieldOfView', () => {
  const centre: Vec3 = [30, 35, 10];
  const fov = { fovMm: 40, size: 32 };

  it('is a cube of fovMm on a side in isotropic voxels, the point at voxel ⌊size/2⌋', () => {
    const out = sampleFieldOfView(filled(() => 0), centre, fov);
    expect(out.dims).toEqual([32, 32, 32]);
    for (const s of spacingOf(out.affine)) expect(s).toBeCloseTo(40 / 32, 12);
    const at = voxelToWorld(out.affine, [16, 16, 16]);
    const want = voxelToWorld(AFFINE, centre);
    for (let c = 0; c < 3; c++) expect(at[c]).toBeCloseTo(want[c], 9);
    // Directions kept: the output's first axis still runs along -y.
    expect(out.affine[0]).toBeCloseTo(0, 12);
    expect(out.affine[4]).toBeLessThan(0);
  });

  it('samples a world-linear field exactly where its own affine says each voxel is', () => {
    const f = (w: Vec3) => 2 * w[0] - 3 * w[1] + 0.5 * w[2] + 7;
    const out = sampleFieldOfView(filled(f), centre, fov);
    let worst = 0;
    for (let k = 0; k < 32; k += 3) for (let j = 0; j < 32; j += 5) for (let i = 0; i < 32; i += 7) {
      const v = out.data[i + 32 * (j + 32 * k)];
      worst = Math.max(worst, Math.abs(v - f(voxelToWorld(out.affine, [i, j, k]))));
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('a 10 mm sphere on 4 mm slices comes out round, not stretched along the slice axis', () => {
    const c = voxelToWorld(AFFINE, centre);
    const out = sampleFieldOfView(filled((w) => (Math.hypot(w[0] - c[0], w[1] - c[1], w[2] - c[2]) <= 10 ? 100 : 0)), centre, fov);
    const extentMm = [0, 1, 2].map((axis) => {
      let n = 0;
      for (let s = 0; s < 32; s++) {
        const idx: Vec3 = [16, 16, 16];
        idx[axis] = s;
        if (out.data[idx[0] + 32 * (idx[1] + 32 * idx[2])] >= 50) n++;
      }
      return n * (40 / 32);
    });
    // Diameter 20 mm on every axis, to within the 4 mm slice the source could resolve.
    for (const e of extentMm) expect(Math.abs(e - 20)).toBeLessThanOrEqual(4);
  });

  it('fills beyond the scan with the pad value', () => {
    const out = sampleFieldOfView(filled(() => 5), [0, 0, 0], fov, -1024);
    expect(out.data[0]).toBe(-1024);
    expect(out.data[out.data.length - 1]).toBe(5);
  });

  it('refuses a bad field of view', () => {
    expect(() => sampleFieldOfView(filled(() => 0), centre, { fovMm: 0, size: 32 })).toThrow(/positive number of mm/);
    expect(() => sampleFieldOfView(filled(() => 0), centre, { fovMm: 40, size: 2.5 })).toThrow(/whole number/);
  });
});
