/**
 * NIfTI geometry: the voxel→world affine from a header (sform, else qform, else pixdim scaling),
 * and the qform quaternion for an affine when a writer has to describe a new geometry.
 */
import { VolumeError } from '../errors.ts';
import type { Mat4, Vec3 } from '../volume.ts';
import type { NiftiHeader } from './types.ts';

export type AffineSource = 'sform' | 'qform' | 'pixdim';

export function affineFromHeader(h: NiftiHeader, file: string): { affine: Mat4; source: AffineSource } {
  let affine: Mat4;
  let source: AffineSource;
  if (h.sformCode > 0) {
    affine = [...h.srow, 0, 0, 0, 1];
    source = 'sform';
  } else if (h.qformCode > 0) {
    affine = qformAffine(h, file);
    source = 'qform';
  } else {
    // NIfTI "method 1" (ANALYZE compatibility): pure scaling, origin at voxel 0.
    const [, dx, dy, dz] = h.pixdim;
    if (!(dx > 0 && dy > 0 && dz > 0)) {
      throw new VolumeError(file, `no sform or qform, and pixdim[1..3] = ${dx}, ${dy}, ${dz} is not a positive voxel size`);
    }
    affine = [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0, 0, 0, 0, 1];
    source = 'pixdim';
  }
  if (!affine.every(Number.isFinite)) throw new VolumeError(file, `${source} affine has non-finite entries`);
  const det = det3(affine);
  // A singular affine has a zero voxel size somewhere, which breaks every resample and distance.
  if (!(Math.abs(det) > 1e-12)) throw new VolumeError(file, `${source} affine is singular (determinant ${det})`);
  return { affine, source };
}

function qformAffine(h: NiftiHeader, file: string): Mat4 {
  const [b, c, d] = h.quatern;
  const [, dx, dy, dz] = h.pixdim;
  if (!(dx > 0 && dy > 0 && dz > 0)) {
    throw new VolumeError(file, `qform needs positive pixdim[1..3], got ${dx}, ${dy}, ${dz}`);
  }
  // b, c, d are stored as float32 in NIfTI-1, so 1 - b² - c² - d² can dip just below zero.
  let a2 = 1 - (b * b + c * c + d * d);
  let qb = b, qc = c, qd = d;
  if (a2 < 1e-7) {
    const norm = Math.hypot(b, c, d);
    if (norm > 1 + 1e-3) throw new VolumeError(file, `qform quaternion (${b}, ${c}, ${d}) is longer than 1`);
    qb /= norm; qc /= norm; qd /= norm;
    a2 = 0;
  }
  const a = Math.sqrt(a2);
  const qfac = h.pixdim[0] < 0 ? -1 : 1;
  const r = [
    a * a + qb * qb - qc * qc - qd * qd, 2 * (qb * qc - a * qd), 2 * (qb * qd + a * qc),
    2 * (qb * qc + a * qd), a * a + qc * qc - qb * qb - qd * qd, 2 * (qc * qd - a * qb),
    2 * (qb * qd - a * qc), 2 * (qc * qd + a * qb), a * a + qd * qd - qb * qb - qc * qc,
  ];
  const s = [dx, dy, dz * qfac];
  const m: Mat4 = new Array(16).fill(0);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) m[row * 4 + col] = r[row * 3 + col] * s[col];
    m[row * 4 + 3] = h.qoffset[row];
  }
  m[15] = 1;
  return m;
}

export function det3(m: Mat4): number {
  return (
    m[0] * (m[5] * m[10] - m[6] * m[9]) -
    m[1] * (m[4] * m[10] - m[6] * m[8]) +
    m[2] * (m[4] * m[9] - m[5] * m[8])
  );
}

export interface Qform {
  quatern: Vec3;
  qoffset: Vec3;
  qfac: 1 | -1;
  spacing: Vec3;
  /** False when the affine shears, which a quaternion cannot describe (write qform_code 0 then). */
  exact: boolean;
}

/** The qform description of an affine: rotation quaternion, qfac for a left-handed grid, offset. */
export function qformFromAffine(affine: Mat4): Qform {
  const spacing: Vec3 = [0, 0, 0];
  const r: number[] = new Array(9);
  for (let col = 0; col < 3; col++) {
    spacing[col] = Math.hypot(affine[col], affine[4 + col], affine[8 + col]);
    for (let row = 0; row < 3; row++) r[row * 3 + col] = affine[row * 4 + col] / spacing[col];
  }
  const det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  if (qfac < 0) for (let row = 0; row < 3; row++) r[row * 3 + 2] = -r[row * 3 + 2];
  let exact = true;
  for (let p = 0; p < 3; p++) {
    for (let q = p + 1; q < 3; q++) {
      const dot = r[p] * r[q] + r[3 + p] * r[3 + q] + r[6 + p] * r[6 + q];
      if (Math.abs(dot) > 1e-4) exact = false;
    }
  }
  const [r00, r01, r02, r10, r11, r12, r20, r21, r22] = r;
  const trace = r00 + r11 + r22;
  let a: number, b: number, c: number, d: number;
  // Take the square root of the largest of the four candidates, for accuracy near 180° turns.
  if (trace > 0) {
    a = 0.5 * Math.sqrt(1 + trace);
    b = (r21 - r12) / (4 * a);
    c = (r02 - r20) / (4 * a);
    d = (r10 - r01) / (4 * a);
  } else if (r00 >= r11 && r00 >= r22) {
    b = 0.5 * Math.sqrt(Math.max(0, 1 + r00 - r11 - r22));
    a = (r21 - r12) / (4 * b);
    c = (r01 + r10) / (4 * b);
    d = (r02 + r20) / (4 * b);
  } else if (r11 >= r22) {
    c = 0.5 * Math.sqrt(Math.max(0, 1 - r00 + r11 - r22));
    a = (r02 - r20) / (4 * c);
    b = (r01 + r10) / (4 * c);
    d = (r12 + r21) / (4 * c);
  } else {
    d = 0.5 * Math.sqrt(Math.max(0, 1 - r00 - r11 + r22));
    a = (r10 - r01) / (4 * d);
    b = (r02 + r20) / (4 * d);
    c = (r12 + r21) / (4 * d);
  }
  // NIfTI stores only b, c, d and implies a ≥ 0.
  if (a < 0) { b = -b; c = -c; d = -d; }
  return {
    quatern: [b, c, d],
    qoffset: [affine[3], affine[7], affine[11]],
    qfac,
    spacing,
    exact,
  };
}

/** Entry-wise closeness, scaled to the entry's size so 1e-3 mm origins and unit directions both pass. */
export function affinesClose(a: Mat4, b: Mat4, rel = 1e-6): boolean {
  for (let n = 0; n < 12; n++) {
    if (Math.abs(a[n] - b[n]) > rel * Math.max(1, Math.abs(a[n]), Math.abs(b[n]))) return false;
  }
  return true;
}
