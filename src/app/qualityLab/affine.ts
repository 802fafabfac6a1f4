/** Voxel ↔ mm with a NIfTI-style 4×4 affine given as rows (niivue's hdr.affine). */
import type { Vec3 } from '../../core/volume.ts';

export function voxelToMm(a: number[][], v: Vec3): [number, number, number] {
  return [0, 1, 2].map((r) => a[r][0] * v[0] + a[r][1] * v[1] + a[r][2] * v[2] + a[r][3]) as [number, number, number];
}

/** Inverse of voxelToMm (3×3 inverse by cofactors). */
export function mmToVoxel(a: number[][], mm: Vec3): Vec3 {
  const [[a0, a1, a2], [b0, b1, b2], [c0, c1, c2]] = a;
  const det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
  const inv = [
    [(b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det, (a1 * b2 - a2 * b1) / det],
    [(b2 * c0 - b0 * c2) / det, (a0 * c2 - a2 * c0) / det, (a2 * b0 - a0 * b2) / det],
    [(b0 * c1 - b1 * c0) / det, (a1 * c0 - a0 * c1) / det, (a0 * b1 - a1 * b0) / det],
  ];
  const d = [mm[0] - a[0][3], mm[1] - a[1][3], mm[2] - a[2][3]];
  return [0, 1, 2].map((r) => inv[r][0] * d[0] + inv[r][1] * d[1] + inv[r][2] * d[2]) as Vec3;
}
