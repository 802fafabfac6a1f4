/**
 * Where a series' voxels are: DICOM patient coordinates (LPS) → our NIfTI RAS+ affine, in the
 * voxel order the converter (dcm2niix) writes, and a one-line description for choosing a series.
 *
 * Voxel order (pinned by tests against dcm2niix on both fixture series):
 *   i = column index (along the row direction cosines),
 *   j = rows - 1 - row index (dcm2niix stores rows bottom-up, so j runs against the column cosines),
 *   k = slice index, slices sorted ascending along the normal row × column.
 * SEG frames and derived slices are placed with the same mapping, so a slice's row r of file f is
 * NIfTI plane k with j = rows - 1 - r.
 */
import type { Mat4, Vec3 } from '../volume.ts';
import type { DicomSeries } from './types.ts';

/** DICOM LPS → NIfTI RAS: x and y change sign. The same map converts RAS back to LPS. */
export function lpsToRas(p: Vec3): Vec3 {
  return [-p[0], -p[1], p[2]];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Slice normal (LPS, unit length) of an ImageOrientationPatient: row cosines × column cosines. */
export function sliceNormal(orientation: readonly number[]): Vec3 {
  const n = cross([orientation[0], orientation[1], orientation[2]], [orientation[3], orientation[4], orientation[5]]);
  const len = Math.hypot(n[0], n[1], n[2]) || 1;
  return [n[0] / len, n[1] / len, n[2] / len];
}

/**
 * The RAS affine of a series in the converter's voxel order (see the file comment). The slice
 * step is the mean step from the first to the last slice, which equals each step in a series
 * without problems.
 */
export function seriesAffine(series: Pick<DicomSeries, 'rows' | 'pixelSpacing' | 'sliceSpacing' | 'slices'>): Mat4 {
  const first = series.slices[0];
  const last = series.slices[series.slices.length - 1];
  const o = first.orientation;
  const row: Vec3 = [o[0], o[1], o[2]];
  const col: Vec3 = [o[3], o[4], o[5]];
  const [dr, dc] = series.pixelSpacing;
  const n = series.slices.length;
  const step: Vec3 =
    n > 1
      ? [0, 1, 2].map((a) => (last.position[a] - first.position[a]) / (n - 1)) as Vec3
      : sliceNormal(o).map((v) => v * (series.sliceSpacing || 1)) as Vec3;
  // LPS columns: i along the row cosines, j against the column cosines, k the slice step.
  const ci: Vec3 = [row[0] * dc, row[1] * dc, row[2] * dc];
  const cj: Vec3 = [-col[0] * dr, -col[1] * dr, -col[2] * dr];
  const origin: Vec3 = [0, 1, 2].map((a) => first.position[a] + (series.rows - 1) * dr * col[a]) as Vec3;
  const sign = [-1, -1, 1];
  const m: Mat4 = [];
  for (let r = 0; r < 3; r++) m.push(sign[r] * ci[r], sign[r] * cj[r], sign[r] * step[r], sign[r] * origin[r]);
  m.push(0, 0, 0, 1);
  return m;
}

/** 0.9765625 → "0.977", 2 → "2". */
export function formatMm(x: number): string {
  return String(Number(x.toFixed(3)));
}

/** "CT Body 3.0 · #3 · 20 slices · 512×512 · 0.977×0.977×2 mm" (columns×rows, then i×j×k spacing). */
export function seriesSummary(s: DicomSeries): string {
  const parts = [s.description || '(no description)'];
  if (s.seriesNumber !== null) parts.push(`#${s.seriesNumber}`);
  parts.push(`${s.slices.length} slice${s.slices.length === 1 ? '' : 's'}`);
  parts.push(`${s.columns}×${s.rows}`);
  parts.push(`${formatMm(s.pixelSpacing[1])}×${formatMm(s.pixelSpacing[0])}×${formatMm(s.sliceSpacing)} mm`);
  return parts.join(' · ');
}
