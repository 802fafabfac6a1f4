/**
 * A physical field of view: a cube `fovMm` on a side around a point, sampled on `size`³ isotropic
 * voxels of fovMm / size mm. Fixing millimetres rather than voxels keeps a crop of an anisotropic
 * scan (0.7 × 0.7 × 5 mm) a cube instead of a thin slab or a tall strip, and makes every crop of a
 * study show the same amount of anatomy whatever the scan's spacing.
 *
 * The output keeps the source's axis directions (each affine column rescaled to the new spacing),
 * so orientation, handedness and any obliquity carry over unchanged. The point lands on output
 * voxel ⌊size/2⌋ on every axis. Values by trilinear interpolation; a sample more than half a voxel
 * beyond the scan (past the outermost voxel's own extent) is `padValue`, within that half voxel the
 * edge voxel is repeated.
 */
import { blend } from './resample.ts';
import { spacingOf, type Mat4, type Vec3, type VoxelArray, type Volume } from '../volume.ts';

export interface FieldOfView {
  /** Side of the cube in mm. */
  fovMm: number;
  /** Voxels per side (isotropic). */
  size: number;
}

export function fovSpacingMm(fov: FieldOfView): number {
  return fov.fovMm / fov.size;
}

export function assertFieldOfView(fov: FieldOfView): void {
  if (!(Number.isFinite(fov.fovMm) && fov.fovMm > 0)) throw new RangeError(`field of view must be a positive number of mm, got ${fov.fovMm}`);
  if (!(Number.isInteger(fov.size) && fov.size >= 1)) throw new RangeError(`field of view needs a whole number of voxels ≥ 1, got ${fov.size}`);
}

/** The sampled cube's affine: source directions at the new spacing, voxel ⌊size/2⌋ at the point's world position. */
export function fieldOfViewAffine(affine: Mat4, centre: Vec3, fov: FieldOfView): Mat4 {
  const spacing = spacingOf(affine);
  const t = fovSpacingMm(fov);
  const half = Math.floor(fov.size / 2);
  const out = [...affine];
  for (let r = 0; r < 3; r++) {
    let world = affine[r * 4 + 3];
    for (let c = 0; c < 3; c++) {
      world += affine[r * 4 + c] * centre[c];
      out[r * 4 + c] = (affine[r * 4 + c] * t) / spacing[c];
    }
    let shift = 0;
    for (let c = 0; c < 3; c++) shift += out[r * 4 + c] * half;
    out[r * 4 + 3] = world - shift;
  }
  return out;
}

/** Per output index along one axis: the two source indices (times stride), weight, and whether it lies inside. */
function axisSamples(n: number, size: number, centre: number, step: number, stride: number) {
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const w = new Float64Array(size);
  const inside = new Uint8Array(size);
  const half = Math.floor(size / 2);
  for (let i = 0; i < size; i++) {
    const x = centre + (i - half) * step;
    if (x < -0.5 || x > n - 0.5) continue;
    const xc = Math.min(n - 1, Math.max(0, x));
    const i0 = Math.min(n - 1, Math.floor(xc));
    lo[i] = i0 * stride;
    hi[i] = Math.min(n - 1, i0 + 1) * stride;
    w[i] = xc - i0;
    inside[i] = 1;
  }
  return { lo, hi, w, inside };
}

/**
 * Sample the field of view around voxel coordinate `centre` (may be fractional). The result is
 * float: callers round to their storage type.
 */
export function sampleFieldOfView(vol: Volume<VoxelArray>, centre: Vec3, fov: FieldOfView, padValue = 0): Volume<Float32Array> {
  assertFieldOfView(fov);
  const spacing = spacingOf(vol.affine);
  const t = fovSpacingMm(fov);
  const [nx, ny, nz] = vol.dims;
  const ax = axisSamples(nx, fov.size, centre[0], t / spacing[0], 1);
  const ay = axisSamples(ny, fov.size, centre[1], t / spacing[1], nx);
  const az = axisSamples(nz, fov.size, centre[2], t / spacing[2], nx * ny);
  const src = vol.data;
  const n = fov.size;
  const out = new Float32Array(n * n * n).fill(padValue);
  let o = 0;
  for (let z = 0; z < n; z++) {
    const z0 = az.lo[z], z1 = az.hi[z], wz = az.w[z];
    for (let y = 0; y < n; y++) {
      if (!az.inside[z] || !ay.inside[y]) {
        o += n;
        continue;
      }
      const y0 = ay.lo[y], y1 = ay.hi[y], wy = ay.w[y];
      const r00 = z0 + y0, r01 = z0 + y1, r10 = z1 + y0, r11 = z1 + y1;
      for (let x = 0; x < n; x++, o++) {
        if (!ax.inside[x]) continue;
        const x0 = ax.lo[x], x1 = ax.hi[x], wx = ax.w[x];
        out[o] = blend(src, r00, r01, r10, r11, x0, x1, wx, wy, wz);
      }
    }
  }
  return { dims: [n, n, n], affine: fieldOfViewAffine(vol.affine, centre, fov), data: out };
}
