/**
 * A 3-D volume in NIfTI voxel order: index = i + nx * (j + ny * k), i fastest.
 * `affine` maps voxel (i, j, k, 1) to world millimetres in NIfTI's RAS+ convention
 * (row-major 4×4, 16 numbers). Spacing is derived from the affine, never stored twice.
 */
export type Vec3 = [number, number, number];
/** Row-major 4×4 matrix, 16 numbers. */
export type Mat4 = number[];

export type VoxelArray =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint16Array;

export interface Volume<T extends VoxelArray = VoxelArray> {
  dims: Vec3;
  affine: Mat4;
  data: T;
}

/** An image in Hounsfield units (or [0,1] after windowing). */
export type ImageVolume = Volume<Float32Array>;
/** A label map: integer ids, 0 = background. */
export type LabelVolume = Volume<Uint8Array>;

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}

export function voxelIndex(dims: Vec3, i: number, j: number, k: number): number {
  return i + dims[0] * (j + dims[1] * k);
}

/** Column norms of the affine's 3×3 part: the voxel size in mm along i, j, k. */
export function spacingOf(affine: Mat4): Vec3 {
  const s: Vec3 = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    s[c] = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
  }
  return s;
}

/** World position (mm) of a voxel coordinate (may be fractional). */
export function voxelToWorld(affine: Mat4, v: Vec3): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    out[r] = affine[r * 4] * v[0] + affine[r * 4 + 1] * v[1] + affine[r * 4 + 2] * v[2] + affine[r * 4 + 3];
  }
  return out;
}

/** True when two volumes share dims and (within `tolMm`) the same affine. */
export function sameGeometry(a: Pick<Volume, 'dims' | 'affine'>, b: Pick<Volume, 'dims' | 'affine'>, tolMm = 1e-3): boolean {
  if (a.dims[0] !== b.dims[0] || a.dims[1] !== b.dims[1] || a.dims[2] !== b.dims[2]) return false;
  for (let n = 0; n < 12; n++) if (Math.abs(a.affine[n] - b.affine[n]) > tolMm) return false;
  return true;
}
