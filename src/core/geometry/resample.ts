/**
 * Resampling to a new voxel size.
 *
 * Convention: the centre of voxel (0,0,0) stays at the same world position and the output's voxel
 * centres span the input's, never beyond: along axis c the output has
 * floor((n_c − 1)·s_c / t_c) + 1 voxels, output voxel i sits at input coordinate i·t_c/s_c, and the
 * affine's column c is scaled by t_c/s_c (origin unchanged). So no value is extrapolated,
 * 3 mm → 1.5 mm → 3 mm returns the original grid and values, and a linear ramp stays exact.
 * `targetSpacing` is per voxel axis (i, j, k); after reorientToRAS that is x, y, z.
 */
import { spacingOf, type Vec3, type VoxelArray, type Volume } from '../volume.ts';

export type ResampleMode = 'linear' | 'nearest';

/** Guards floor() against (n−1)·s/t landing a hair below an integer through rounding. */
const EPS = 1e-6;

export function resampledDims(dims: Vec3, spacing: Vec3, target: Vec3): Vec3 {
  return dims.map((n, c) => Math.floor(((n - 1) * spacing[c]) / target[c] + EPS) + 1) as Vec3;
}

export function resample(vol: Volume<VoxelArray>, targetSpacing: Vec3, mode: 'linear'): Volume<Float32Array>;
export function resample<T extends VoxelArray>(vol: Volume<T>, targetSpacing: Vec3, mode: 'nearest'): Volume<T>;
export function resample(vol: Volume<VoxelArray>, targetSpacing: Vec3, mode: ResampleMode): Volume<VoxelArray>;
export function resample(vol: Volume<VoxelArray>, targetSpacing: Vec3, mode: ResampleMode): Volume<VoxelArray> {
  if (!targetSpacing.every((t) => t > 0 && Number.isFinite(t))) {
    throw new RangeError(`resample: target spacing must be positive, got ${targetSpacing.join(', ')}`);
  }
  const spacing = spacingOf(vol.affine);
  const dims = resampledDims(vol.dims, spacing, targetSpacing);
  const ratio = targetSpacing.map((t, c) => t / spacing[c]) as Vec3;
  const affine = [...vol.affine];
  for (let c = 0; c < 3; c++) for (let row = 0; row < 3; row++) affine[row * 4 + c] *= ratio[c];
  const data = mode === 'nearest' ? nearest(vol, dims, ratio) : trilinear(vol, dims, ratio);
  return { dims, affine, data };
}

function nearest(vol: Volume<VoxelArray>, dims: Vec3, ratio: Vec3): VoxelArray {
  const [nx, ny] = vol.dims;
  const pick = (c: number, stride: number) => {
    const idx = new Int32Array(dims[c]);
    for (let i = 0; i < dims[c]; i++) idx[i] = Math.min(vol.dims[c] - 1, Math.floor(i * ratio[c] + 0.5)) * stride;
    return idx;
  };
  const ix = pick(0, 1), iy = pick(1, nx), iz = pick(2, nx * ny);
  const src = vol.data;
  const out = new (src.constructor as new (n: number) => VoxelArray)(dims[0] * dims[1] * dims[2]);
  let o = 0;
  for (let z = 0; z < dims[2]; z++) {
    for (let y = 0; y < dims[1]; y++) {
      const row = iz[z] + iy[y];
      for (let x = 0; x < dims[0]; x++) out[o++] = src[row + ix[x]];
    }
  }
  return out;
}

/** Per output index along one axis: the two source indices (pre-multiplied by stride) and weight. */
function axisWeights(n: number, nOut: number, ratio: number, stride: number) {
  const lo = new Int32Array(nOut);
  const hi = new Int32Array(nOut);
  const w = new Float64Array(nOut);
  for (let i = 0; i < nOut; i++) {
    const x = i * ratio;
    const i0 = Math.min(n - 1, Math.floor(x + EPS));
    lo[i] = i0 * stride;
    hi[i] = Math.min(n - 1, i0 + 1) * stride;
    w[i] = Math.min(1, Math.max(0, x - i0));
  }
  return { lo, hi, w };
}

/**
 * Trilinear interpolation from four row starts (z0/z1 × y0/y1, flat offsets) and the two x
 * offsets with their weights; shared by resampling and field-of-view sampling.
 */
export function blend(src: VoxelArray, r00: number, r01: number, r10: number, r11: number, x0: number, x1: number, wx: number, wy: number, wz: number): number {
  const c00 = src[r00 + x0] + wx * (src[r00 + x1] - src[r00 + x0]);
  const c01 = src[r01 + x0] + wx * (src[r01 + x1] - src[r01 + x0]);
  const c10 = src[r10 + x0] + wx * (src[r10 + x1] - src[r10 + x0]);
  const c11 = src[r11 + x0] + wx * (src[r11 + x1] - src[r11 + x0]);
  const c0 = c00 + wy * (c01 - c00);
  const c1 = c10 + wy * (c11 - c10);
  return c0 + wz * (c1 - c0);
}

function trilinear(vol: Volume<VoxelArray>, dims: Vec3, ratio: Vec3): Float32Array {
  const [nx, ny, nz] = vol.dims;
  const ax = axisWeights(nx, dims[0], ratio[0], 1);
  const ay = axisWeights(ny, dims[1], ratio[1], nx);
  const az = axisWeights(nz, dims[2], ratio[2], nx * ny);
  const src = vol.data;
  const out = new Float32Array(dims[0] * dims[1] * dims[2]);
  let o = 0;
  for (let z = 0; z < dims[2]; z++) {
    const z0 = az.lo[z], z1 = az.hi[z], wz = az.w[z];
    for (let y = 0; y < dims[1]; y++) {
      const y0 = ay.lo[y], y1 = ay.hi[y], wy = ay.w[y];
      const r00 = z0 + y0, r01 = z0 + y1, r10 = z1 + y0, r11 = z1 + y1;
      for (let x = 0; x < dims[0]; x++) {
        const x0 = ax.lo[x], x1 = ax.hi[x], wx = ax.w[x];
        out[o++] = blend(src, r00, r01, r10, r11, x0, x1, wx, wy, wz);
      }
    }
  }
  return out;
}
