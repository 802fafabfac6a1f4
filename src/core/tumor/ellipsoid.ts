/**
 * The undeformed tumour shape: a solid ellipsoid centred in a box (SynTumor's get_ellipsoid).
 * Semi-axes are per-axis voxel counts and may be fractional, because a physical size in mm
 * rarely maps to whole voxels on anisotropic scans.
 */
import type { Vec3 } from '../volume.ts';

export interface ShapeBox {
  dims: Vec3;
  /** 0/1 voxels, NIfTI order (i fastest). */
  data: Uint8Array;
  /** Voxel of the box that sits on the tumour centre. */
  centre: Vec3;
  /** Inclusive bounds of the shape's voxels in the box. */
  bounds: { lo: Vec3; hi: Vec3 };
}

/**
 * Ellipsoid with semi-axes `radii` (voxels) in a box reaching `boxFactor`·radius from the centre
 * on each side (the reference's 4r box for boxFactor 2), which leaves room for the elastic
 * deformation to push the surface outwards without clipping it.
 */
export function ellipsoidBox(radii: Vec3, boxFactor = 2): ShapeBox {
  const half: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    if (!(radii[a] > 0)) throw new RangeError(`ellipsoid semi-axis ${a} must be > 0, got ${radii[a]}`);
    half[a] = Math.max(1, Math.ceil(boxFactor * radii[a]));
  }
  const dims: Vec3 = [2 * half[0] + 1, 2 * half[1] + 1, 2 * half[2] + 1];
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const inv0 = 1 / (radii[0] * radii[0]);
  const inv1 = 1 / (radii[1] * radii[1]);
  const inv2 = 1 / (radii[2] * radii[2]);
  for (let k = 0; k < dims[2]; k++) {
    const dk = k - half[2];
    const qk = dk * dk * inv2;
    if (qk > 1) continue;
    for (let j = 0; j < dims[1]; j++) {
      const dj = j - half[1];
      const qjk = qk + dj * dj * inv1;
      if (qjk > 1) continue;
      const row = dims[0] * (j + dims[1] * k);
      for (let i = 0; i < dims[0]; i++) {
        const di = i - half[0];
        if (qjk + di * di * inv0 <= 1) data[row + i] = 1;
      }
    }
  }
  // The ellipsoid reaches exactly ±floor(r) voxels along each axis (the axis points themselves).
  const reach = radii.map((r) => Math.floor(r)) as Vec3;
  return {
    dims,
    data,
    centre: half,
    bounds: { lo: [half[0] - reach[0], half[1] - reach[1], half[2] - reach[2]], hi: [half[0] + reach[0], half[1] + reach[1], half[2] + reach[2]] },
  };
}
