/**
 * Crops, pads and bounding boxes in voxel indices. Every output keeps its affine true: the new
 * voxel (0,0,0) is the old voxel `start`, so the origin moves by affine·start and each voxel keeps
 * its world position.
 */
import type { Mat4, Vec3, VoxelArray, Volume } from '../volume.ts';

/** A voxel box: start inclusive, end exclusive, per axis (i, j, k). May reach outside a volume. */
export interface Box {
  start: Vec3;
  end: Vec3;
}

export function boxSize(box: Box): Vec3 {
  return [box.end[0] - box.start[0], box.end[1] - box.start[1], box.end[2] - box.start[2]];
}

/** Smallest box holding every voxel whose value is in `ids` (default: any non-zero); null if none. */
export function boundingBox(labelData: ArrayLike<number>, dims: Vec3, ids?: readonly number[]): Box | null {
  const want = ids ? new Set(ids) : null;
  const [nx, ny, nz] = dims;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  let n = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, n++) {
        const v = labelData[n];
        if (want ? !want.has(v) : v === 0) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  if (hi[0] < 0) return null;
  return { start: lo, end: [hi[0] + 1, hi[1] + 1, hi[2] + 1] };
}

/** Grow a box by a margin (voxels) per side; with `within`, clip it to [0, within). */
export function expandBox(box: Box, margin: number | Vec3, within?: Vec3): Box {
  const m = typeof margin === 'number' ? [margin, margin, margin] : margin;
  const start = box.start.map((s, c) => (within ? Math.max(0, s - m[c]) : s - m[c])) as Vec3;
  const end = box.end.map((e, c) => (within ? Math.min(within[c], e + m[c]) : e + m[c])) as Vec3;
  return { start, end };
}

/** Origin shift for a new grid whose voxel (0,0,0) is old voxel `start`. */
export function shiftAffine(affine: Mat4, start: Vec3): Mat4 {
  const out = [...affine];
  for (let row = 0; row < 3; row++) {
    out[row * 4 + 3] += affine[row * 4] * start[0] + affine[row * 4 + 1] * start[1] + affine[row * 4 + 2] * start[2];
  }
  return out;
}

/**
 * Cut `box` out of the volume, filling any part outside it with `padValue`. Given a size instead of
 * a box, centre that size on the volume (the extra voxel of an odd difference goes to the end).
 */
export function cropOrPad<T extends VoxelArray>(vol: Volume<T>, boxOrSize: Box | Vec3, padValue = 0): Volume<T> {
  const box: Box = Array.isArray(boxOrSize)
    ? (() => {
        // trunc, not floor: the odd voxel of a crop or a pad both go to the end.
        const start = vol.dims.map((n, c) => Math.trunc((n - boxOrSize[c]) / 2) + 0) as Vec3;
        return { start, end: start.map((s, c) => s + boxOrSize[c]) as Vec3 };
      })()
    : boxOrSize;
  const size = boxSize(box);
  if (!size.every((s) => Number.isInteger(s) && s >= 1) || !box.start.every(Number.isInteger)) {
    throw new RangeError(`cropOrPad: bad box start ${box.start.join(',')} end ${box.end.join(',')}`);
  }
  const [nx, ny, nz] = vol.dims;
  const src = vol.data;
  const out = new (src.constructor as new (n: number) => T)(size[0] * size[1] * size[2]);
  if (padValue !== 0) out.fill(padValue);
  // The overlap of box and volume, in source indices.
  const i0 = Math.max(0, box.start[0]), i1 = Math.min(nx, box.end[0]);
  const j0 = Math.max(0, box.start[1]), j1 = Math.min(ny, box.end[1]);
  const k0 = Math.max(0, box.start[2]), k1 = Math.min(nz, box.end[2]);
  if (i1 > i0) {
    for (let k = k0; k < k1; k++) {
      for (let j = j0; j < j1; j++) {
        const s = i0 + nx * (j + ny * k);
        const d = i0 - box.start[0] + size[0] * (j - box.start[1] + size[1] * (k - box.start[2]));
        out.set(src.subarray(s, s + i1 - i0) as ArrayLike<number>, d);
      }
    }
  }
  return { dims: size, affine: shiftAffine(vol.affine, box.start), data: out };
}

/** Pad (centred) only along axes smaller than `minSize`; other axes are left whole. */
export function padToAtLeast<T extends VoxelArray>(vol: Volume<T>, minSize: Vec3, padValue = 0): Volume<T> {
  if (vol.dims.every((n, c) => n >= minSize[c])) return vol;
  return cropOrPad(vol, vol.dims.map((n, c) => Math.max(n, minSize[c])) as Vec3, padValue);
}
