import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNifti, toLabelVolume } from '../nifti/index.ts';
import { DEMO_CT_SLAB, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';
import { voxelIndex, voxelToWorld, type Mat4, type Vec3, type Volume } from '../volume.ts';
import { boundingBox, cropOrPad, expandBox, orientationCode, padToAtLeast, reorientFromRAS, reorientToRAS, resample } from './index.ts';

const CT_SM = DEMO_CT_SLAB;
const SEG = DEMO_SEG;
const present = sharedDemoPresent('geometry on the TotalSegmentator example', [CT_SM, SEG]);
const load = (p: string) => new Uint8Array(readFileSync(p));

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let n = 0; n < a.length; n++) if (!Object.is(a[n], b[n])) return n;
  return -1;
}

function expectAffineClose(a: Mat4, b: Mat4, tol = 1e-9): void {
  for (let n = 0; n < 16; n++) expect(Math.abs(a[n] - b[n])).toBeLessThanOrEqual(tol);
}

// Absent data: the describes below are skipped and never touch these.
const ct = present ? (await readNifti(load(CT_SM), CT_SM)).volume : (undefined as never);
const seg = present ? toLabelVolume(await readNifti(load(SEG), SEG), SEG) : (undefined as never);

/**
 * The CT stored the way a DICOM-derived LPS file would be, with axes also permuted: voxel axis 0
 * runs along -y (P), axis 1 along -x (L), axis 2 along +z (S). Built by hand, independently of
 * the code under test.
 */
function asPLS(vol: Volume<Float32Array>): Volume<Float32Array> {
  const [nx, ny, nz] = vol.dims;
  const dims: Vec3 = [ny, nx, nz];
  const data = new Float32Array(vol.data.length);
  for (let k = 0; k < nz; k++)
    for (let b = 0; b < nx; b++)
      for (let a = 0; a < ny; a++) data[voxelIndex(dims, a, b, k)] = vol.data[voxelIndex(vol.dims, nx - 1 - b, ny - 1 - a, k)];
  const A = vol.affine;
  // voxel (a, b, k) sits at RAS voxel (nx-1-b, ny-1-a, k).
  const origin = voxelToWorld(A, [nx - 1, ny - 1, 0]);
  const affine: Mat4 = [
    -A[1], -A[0], A[2], origin[0],
    -A[5], -A[4], A[6], origin[1],
    -A[9], -A[8], A[10], origin[2],
    0, 0, 0, 1,
  ];
  return { dims, affine, data };
}

describe.skipIf(!present)('orientation', () => {
  it('names axis directions', () => {
    expect(orientationCode(ct.affine)).toBe('RAS');
    expect(orientationCode([-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toBe('LPS');
    expect(orientationCode([0, 1, 0, 0, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 1])).toBe('IRP');
    expect(orientationCode(asPLS(ct).affine)).toBe('PLS');
    // 20° oblique still maps to the nearest axes.
    const c = Math.cos(0.35), s = Math.sin(0.35);
    expect(orientationCode([c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toBe('RAS');
  });

  it('reorients a permuted, flipped volume to RAS and back exactly', () => {
    const pls = asPLS(ct);
    const { volume: ras, original } = reorientToRAS(pls);
    expect(orientationCode(ras.affine)).toBe('RAS');
    expect(ras.dims).toEqual(ct.dims);
    expectAffineClose(ras.affine, ct.affine);
    expect(firstDiff(ras.data, ct.data)).toBe(-1);
    const back = reorientFromRAS(ras, original);
    expect(back.dims).toEqual(pls.dims);
    expect(back.affine).toEqual(pls.affine);
    expect(firstDiff(back.data, pls.data)).toBe(-1);
    // A voxel keeps its world position through the reorientation.
    const v: Vec3 = [10, 20, 5];
    const w = voxelToWorld(pls.affine, v);
    const r: Vec3 = [ct.dims[0] - 1 - v[1], ct.dims[1] - 1 - v[0], v[2]];
    voxelToWorld(ras.affine, r).forEach((x, n) => expect(x).toBeCloseTo(w[n], 9));
    expect(ras.data[voxelIndex(ras.dims, ...r)]).toBe(pls.data[voxelIndex(pls.dims, ...v)]);
  });

  it('keeps the typed array type (labels stay uint8)', () => {
    expect(reorientToRAS(seg).volume.data).toBeInstanceOf(Uint8Array);
  });
});

describe.skipIf(!present)('resample', () => {
  it('3 mm → 1.5 mm → 3 mm: nearest keeps label ids and comes back exactly', () => {
    const fine = resample(seg, [1.5, 1.5, 1.5], 'nearest');
    expect(fine.dims).toEqual([243, 201, 223]);
    expect(fine.data).toBeInstanceOf(Uint8Array);
    expect(new Set(fine.data)).toEqual(new Set(seg.data));
    expect(voxelToWorld(fine.affine, [0, 0, 0])).toEqual(voxelToWorld(seg.affine, [0, 0, 0]));
    expect(fine.affine.slice(0, 3)).toEqual([1.5, 0, 0]);
    const back = resample(fine, [3, 3, 3], 'nearest');
    expect(back.dims).toEqual(seg.dims);
    expectAffineClose(back.affine, seg.affine);
    expect(firstDiff(back.data, seg.data)).toBe(-1);
  });

  it('trilinear: world positions of voxel centres are consistent, and 3 → 1.5 → 3 is the identity', () => {
    const fine = resample(ct, [1.5, 1.5, 1.5], 'linear');
    // Fine voxel 2i is coarse voxel i, in world space and in value.
    const v: Vec3 = [40, 50, 20];
    expect(voxelToWorld(fine.affine, [80, 100, 40])).toEqual(voxelToWorld(ct.affine, v));
    expect(fine.data[voxelIndex(fine.dims, 80, 100, 40)]).toBe(ct.data[voxelIndex(ct.dims, ...v)]);
    // Fine voxel 2i+1 is the mean of its two neighbours along i.
    const mid = (ct.data[voxelIndex(ct.dims, 40, 50, 20)] + ct.data[voxelIndex(ct.dims, 41, 50, 20)]) / 2;
    expect(fine.data[voxelIndex(fine.dims, 81, 100, 40)]).toBeCloseTo(mid, 4);
    const back = resample(fine, [3, 3, 3], 'linear');
    expect(back.dims).toEqual(ct.dims);
    expect(firstDiff(back.data, ct.data)).toBe(-1);
  });

  it('trilinear preserves a linear ramp exactly, anisotropic target included', () => {
    const dims: Vec3 = [10, 8, 6];
    const ramp = (i: number, j: number, k: number) => 2 * i + 3 * j - k + 5;
    const data = new Float32Array(480);
    for (let k = 0; k < 6; k++) for (let j = 0; j < 8; j++) for (let i = 0; i < 10; i++) data[voxelIndex(dims, i, j, k)] = ramp(i, j, k);
    const vol = { dims, affine: [3, 0, 0, 1, 0, 3, 0, 2, 0, 0, 3, 3, 0, 0, 0, 1], data };
    const out = resample(vol, [1.5, 2, 1.2], 'linear');
    expect(out.dims).toEqual([19, 11, 13]);
    let worst = 0;
    for (let k = 0; k < out.dims[2]; k++)
      for (let j = 0; j < out.dims[1]; j++)
        for (let i = 0; i < out.dims[0]; i++) {
          const want = ramp(i * 0.5, (j * 2) / 3, k * 0.4);
          worst = Math.max(worst, Math.abs(out.data[voxelIndex(out.dims, i, j, k)] - want));
        }
    expect(worst).toBeLessThan(1e-5);
    expectAffineClose(out.affine, [1.5, 0, 0, 1, 0, 2, 0, 2, 0, 0, 1.2, 3, 0, 0, 0, 1], 1e-12);
  });
});

describe.skipIf(!present)('crop, pad and bounding boxes', () => {
  it('finds the liver box published for the example labels', () => {
    expect(boundingBox(seg.data, seg.dims, [5])).toEqual({ start: [37, 25, 69], end: [105, 87, 112] });
    expect(boundingBox(seg.data, seg.dims, [200])).toBeNull();
    expect(boundingBox(new Uint8Array(8), [2, 2, 2])).toBeNull();
  });

  it('crops: each voxel keeps its value and world coordinate, the origin shifts', () => {
    const box = expandBox(boundingBox(seg.data, seg.dims, [5])!, 4, seg.dims);
    expect(box).toEqual({ start: [33, 21, 65], end: [109, 91, 112] });
    const crop = cropOrPad(seg, box);
    expect(crop.dims).toEqual([76, 70, 47]);
    expect(crop.data).toBeInstanceOf(Uint8Array);
    const v: Vec3 = [60, 40, 90];
    const c: Vec3 = [v[0] - 33, v[1] - 21, v[2] - 65];
    expect(voxelToWorld(crop.affine, c)).toEqual(voxelToWorld(seg.affine, v));
    expect(crop.data[voxelIndex(crop.dims, ...c)]).toBe(seg.data[voxelIndex(seg.dims, ...v)]);
    let liver = 0;
    for (const x of crop.data) if (x === 5) liver++;
    expect(liver).toBe(41692);
  });

  it('pads with the pad value outside the volume, and centres a size', () => {
    const small: Volume<Float32Array> = { dims: [2, 2, 2], affine: [2, 0, 0, 10, 0, 2, 0, 20, 0, 0, 2, 30, 0, 0, 0, 1], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
    const padded = cropOrPad(small, [4, 4, 3], -1024);
    expect(padded.dims).toEqual([4, 4, 3]);
    // Start (-1, -1, 0): the odd extra voxel along k goes to the end.
    expect(padded.affine.slice(0, 12)).toEqual([2, 0, 0, 8, 0, 2, 0, 18, 0, 0, 2, 30]);
    expect(padded.data[voxelIndex(padded.dims, 1, 1, 0)]).toBe(1);
    expect(padded.data[voxelIndex(padded.dims, 2, 2, 1)]).toBe(8);
    expect(padded.data[voxelIndex(padded.dims, 0, 0, 0)]).toBe(-1024);
    expect(padded.data[voxelIndex(padded.dims, 3, 3, 2)]).toBe(-1024);
    expect(voxelToWorld(padded.affine, [1, 1, 0])).toEqual(voxelToWorld(small.affine, [0, 0, 0]));
    const atLeast = padToAtLeast(ct, [128, 96, 48], -1024);
    expect(atLeast.dims).toEqual([128, 101, 48]);
    expect(padToAtLeast(ct, [48, 48, 30])).toBe(ct);
  });
});
