/**
 * Axis orientation codes and lossless reorientation to RAS+ (axis permutations and flips only, no
 * interpolation), plus the exact inverse so results computed in RAS go back onto the source grid.
 */
import type { Mat4, Vec3, VoxelArray, Volume } from '../volume.ts';

export type Geometry = Pick<Volume, 'dims' | 'affine'>;

/** Letter for the world direction a voxel axis points to: +x R, -x L, +y A, -y P, +z S, -z I. */
const LETTERS = [['L', 'R'], ['P', 'A'], ['I', 'S']] as const;

interface AxisMap {
  /** World axis (0 x, 1 y, 2 z) that voxel axis j mostly points along. */
  world: Vec3;
  /** +1 or -1: whether voxel axis j points towards + or - of that world axis. */
  sign: Vec3;
}

/**
 * Each voxel axis gets the world axis it is most aligned with, the strongest pairs first, so an
 * oblique scan still yields a permutation (never two voxel axes on one world axis).
 */
function axisMap(affine: Mat4): AxisMap {
  const world: Vec3 = [-1, -1, -1];
  const sign: Vec3 = [1, 1, 1];
  const rowUsed = [false, false, false];
  for (let pick = 0; pick < 3; pick++) {
    let best = -1, bestRow = 0, bestCol = 0;
    for (let col = 0; col < 3; col++) {
      if (world[col] >= 0) continue;
      const norm = Math.hypot(affine[col], affine[4 + col], affine[8 + col]) || 1;
      for (let row = 0; row < 3; row++) {
        if (rowUsed[row]) continue;
        const v = Math.abs(affine[row * 4 + col]) / norm;
        if (v > best) { best = v; bestRow = row; bestCol = col; }
      }
    }
    world[bestCol] = bestRow;
    sign[bestCol] = affine[bestRow * 4 + bestCol] < 0 ? -1 : 1;
    rowUsed[bestRow] = true;
  }
  return { world, sign };
}

/** 'RAS', 'LPS', 'PIR', ...: the direction each voxel axis (i, j, k) increases towards. */
export function orientationCode(affine: Mat4): string {
  const { world, sign } = axisMap(affine);
  return [0, 1, 2].map((j) => LETTERS[world[j]][sign[j] > 0 ? 1 : 0]).join('');
}

/** How to walk the source grid in RAS order: per RAS axis the source step, plus the start index. */
interface Walk {
  rasDims: Vec3;
  steps: Vec3;
  base: number;
  rasAffine: Mat4;
}

function rasWalk(g: Geometry): Walk {
  const { world, sign } = axisMap(g.affine);
  const [nx, ny] = g.dims;
  const strides = [1, nx, nx * ny];
  const rasDims: Vec3 = [0, 0, 0];
  const steps: Vec3 = [0, 0, 0];
  let base = 0;
  const a = g.affine;
  const rasAffine: Mat4 = [...a];
  for (let j = 0; j < 3; j++) {
    const w = world[j];
    rasDims[w] = g.dims[j];
    steps[w] = sign[j] * strides[j];
    for (let row = 0; row < 3; row++) rasAffine[row * 4 + w] = sign[j] * a[row * 4 + j];
    if (sign[j] < 0) {
      base += (g.dims[j] - 1) * strides[j];
      for (let row = 0; row < 3; row++) rasAffine[row * 4 + 3] += (g.dims[j] - 1) * a[row * 4 + j];
    }
  }
  return { rasDims, steps, base, rasAffine };
}

function emptyLike<T extends VoxelArray>(data: T, n: number): T {
  return new (data.constructor as new (n: number) => T)(n);
}

/** Visit RAS voxels in order with their source index; `toRas` picks the copy direction. */
function copyWalk<T extends VoxelArray>(src: T, dst: T, walk: Walk, toRas: boolean): void {
  const [rx, ry, rz] = walk.rasDims;
  const [sx, sy, sz] = walk.steps;
  let ras = 0;
  for (let z = 0; z < rz; z++) {
    for (let y = 0; y < ry; y++) {
      let orig = walk.base + z * sz + y * sy;
      if (toRas) for (let x = 0; x < rx; x++, orig += sx) dst[ras++] = src[orig];
      else for (let x = 0; x < rx; x++, orig += sx) dst[orig] = src[ras++];
    }
  }
}

export interface Reoriented<T extends VoxelArray> {
  volume: Volume<T>;
  /** The source grid; pass to reorientFromRAS to map RAS results back onto it. */
  original: Geometry;
}

/** Permute and flip axes so i→R, j→A, k→S. World positions of voxel centres are unchanged. */
export function reorientToRAS<T extends VoxelArray>(vol: Volume<T>): Reoriented<T> {
  const walk = rasWalk(vol);
  const data = emptyLike(vol.data, vol.data.length);
  copyWalk(vol.data, data, walk, true);
  return {
    volume: { dims: walk.rasDims, affine: walk.rasAffine, data },
    original: { dims: [...vol.dims], affine: [...vol.affine] },
  };
}

/** The exact inverse of reorientToRAS: source dims, source affine (copied), source voxel order. */
export function reorientFromRAS<T extends VoxelArray>(rasVol: Volume<T>, original: Geometry): Volume<T> {
  const walk = rasWalk(original);
  if (walk.rasDims.some((d, n) => d !== rasVol.dims[n])) {
    throw new RangeError(`reorientFromRAS: volume dims ${rasVol.dims.join('×')} are not the RAS dims ${walk.rasDims.join('×')} of the original grid`);
  }
  const data = emptyLike(rasVol.data, rasVol.data.length);
  copyWalk(rasVol.data, data, walk, false);
  return { dims: [...original.dims], affine: [...original.affine], data };
}
