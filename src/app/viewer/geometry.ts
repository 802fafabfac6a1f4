import { voxelToWorld, type Mat4, type Vec3 } from '../../core/volume.ts';

/** Inverse of a row-major 4×4 affine (rigid or not); throws on a singular matrix. */
export function invertAffine(m: Mat4): Mat4 {
  // Affine: invert the 3×3 block and map the translation through it.
  const [a, b, c, tx, d, e, f, ty, g, h, i, tz] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('affine is singular');
  const r = [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
  return [
    r[0], r[1], r[2], -(r[0] * tx + r[1] * ty + r[2] * tz),
    r[3], r[4], r[5], -(r[3] * tx + r[4] * ty + r[5] * tz),
    r[6], r[7], r[8], -(r[6] * tx + r[7] * ty + r[8] * tz),
    0, 0, 0, 1,
  ];
}

/** Nearest voxel (native file order) of a world position; may lie outside the volume. */
export function worldToVoxel(inverseAffine: Mat4, mm: ArrayLike<number>): Vec3 {
  const v = voxelToWorld(inverseAffine, [mm[0], mm[1], mm[2]]);
  // +0 turns -0 into 0 so the readout never shows "-0".
  return [Math.round(v[0]) + 0, Math.round(v[1]) + 0, Math.round(v[2]) + 0];
}

export function insideVolume(dims: Vec3, v: Vec3): boolean {
  return v[0] >= 0 && v[1] >= 0 && v[2] >= 0 && v[0] < dims[0] && v[1] < dims[1] && v[2] < dims[2];
}

/** niivue keeps the header affine as rows; the project uses a flat row-major array. */
export function flattenAffine(rows: ArrayLike<ArrayLike<number>>): Mat4 {
  const out: number[] = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) out.push(Number(rows[r][c]));
  return out;
}

export function spacingFromAffine(m: Mat4): Vec3 {
  return [0, 1, 2].map((c) => Math.hypot(m[c], m[4 + c], m[8 + c])) as Vec3;
}

/**
 * World coordinates in the frame a reader asks for. NIfTI and niivue work in RAS+ (x to the
 * patient's left is negative); DICOM and PACS readouts use LPS+, the same point with x and y negated.
 */
export type WorldFrame = 'RAS' | 'LPS';

export function worldIn(frame: WorldFrame, rasMm: readonly number[]): Vec3 {
  // +0 keeps "-0.0" out of the readout.
  return frame === 'RAS' ? [rasMm[0] + 0, rasMm[1] + 0, rasMm[2] + 0] : [-rasMm[0] + 0, -rasMm[1] + 0, rasMm[2] + 0];
}
