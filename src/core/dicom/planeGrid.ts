/**
 * Where a DICOM image plane (a slice or a SEG frame) lies on a volume grid. The volume is NIfTI
 * RAS+ with an arbitrary axis order (dcm2niix may flip rows); the plane is LPS. The plane must
 * coincide with one grid slice: its pixels map onto voxel centres within a tolerance and its rows
 * and columns run along grid axes. Nothing is resampled: a plane that does not fit is refused.
 */
import type { Mat4, Vec3 } from '../volume.ts';
import { voxelIndex } from '../volume.ts';

export interface Grid {
  dims: Vec3;
  affine: Mat4;
}

export interface DicomPlane {
  /** ImagePositionPatient (LPS mm): centre of the first pixel. */
  position: Vec3;
  /** ImageOrientationPatient: direction of a row (column index grows), then of a column (row index grows). */
  orientation: number[];
  /** PixelSpacing: [between rows, between columns] mm. */
  pixelSpacing: number[];
  rows: number;
  columns: number;
}

export interface PlaneOnGrid {
  /** Flat voxel index of pixel (row 0, column 0). */
  base: number;
  /** Flat index step per column and per row. */
  colStride: number;
  rowStride: number;
  /** The grid axis (0, 1, 2) normal to the plane and the plane's index along it. */
  normalAxis: number;
  slice: number;
}

/** Inverse of the affine's linear 3×3 part and its translation: world → voxel. */
function invertAffine(a: Mat4): { m: number[]; t: Vec3 } | null {
  const [m00, m01, m02, , m10, m11, m12, , m20, m21, m22] = a;
  const det = m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20) + m02 * (m10 * m21 - m11 * m20);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return null;
  const m = [
    (m11 * m22 - m12 * m21) / det,
    (m02 * m21 - m01 * m22) / det,
    (m01 * m12 - m02 * m11) / det,
    (m12 * m20 - m10 * m22) / det,
    (m00 * m22 - m02 * m20) / det,
    (m02 * m10 - m00 * m12) / det,
    (m10 * m21 - m11 * m20) / det,
    (m01 * m20 - m00 * m21) / det,
    (m00 * m11 - m01 * m10) / det,
  ];
  return { m, t: [a[3], a[7], a[11]] };
}

function apply(m: number[], v: Vec3): Vec3 {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

const lpsToRasVec = (v: Vec3): Vec3 => [-v[0], -v[1], v[2]];
const fmt = (v: number[]): string => v.map((x) => +x.toFixed(3)).join(', ');

/** The grid axis a step vector runs along and its sign, or null when it runs along none. */
function unitAxis(step: Vec3, tol: number): { axis: number; sign: number } | null {
  let axis = 0;
  for (let c = 1; c < 3; c++) if (Math.abs(step[c]) > Math.abs(step[axis])) axis = c;
  const sign = Math.sign(step[axis]);
  for (let c = 0; c < 3; c++) {
    const want = c === axis ? sign : 0;
    if (Math.abs(step[c] - want) > tol) return null;
  }
  return { axis, sign };
}

/**
 * Map a plane onto the grid, or return why it does not fit (the caller names the file/frame).
 * `tolVoxel` bounds the distance, in voxels, of every pixel centre from its voxel centre.
 */
export function planeOnGrid(plane: DicomPlane, grid: Grid, tolVoxel: number): PlaneOnGrid | string {
  if (plane.orientation.length !== 6 || plane.orientation.some((x) => !Number.isFinite(x))) {
    return `has no valid ImageOrientationPatient (${fmt(plane.orientation)})`;
  }
  const [rowSpacing, colSpacing] = plane.pixelSpacing;
  if (plane.pixelSpacing.length !== 2 || !(rowSpacing > 0 && colSpacing > 0)) return `has no valid PixelSpacing (${fmt(plane.pixelSpacing)})`;
  const inv = invertAffine(grid.affine);
  if (!inv) return `cannot be placed: the grid's affine is singular (${fmt(grid.affine)})`;
  const { m, t } = inv;
  const rowDir: Vec3 = [plane.orientation[0], plane.orientation[1], plane.orientation[2]];
  const colDir: Vec3 = [plane.orientation[3], plane.orientation[4], plane.orientation[5]];
  // Voxel steps per column / per row: linear part only.
  const colStep = apply(m, lpsToRasVec([rowDir[0] * colSpacing, rowDir[1] * colSpacing, rowDir[2] * colSpacing]));
  const rowStep = apply(m, lpsToRasVec([colDir[0] * rowSpacing, colDir[1] * rowSpacing, colDir[2] * rowSpacing]));
  const ras = lpsToRasVec(plane.position);
  const o = apply(m, [ras[0] - t[0], ras[1] - t[1], ras[2] - t[2]]);
  // A step error accumulates over the plane's width; bound it at the far edge.
  const stepTol = tolVoxel / Math.max(1, plane.columns - 1, plane.rows - 1);
  const colAxis = unitAxis(colStep, stepTol);
  const rowAxis = unitAxis(rowStep, stepTol);
  if (!colAxis || !rowAxis || colAxis.axis === rowAxis.axis) {
    const lenC = Math.hypot(...colStep);
    const lenR = Math.hypot(...rowStep);
    const aligned =
      unitAxis([colStep[0] / lenC, colStep[1] / lenC, colStep[2] / lenC], 1e-4) &&
      unitAxis([rowStep[0] / lenR, rowStep[1] / lenR, rowStep[2] / lenR], 1e-4);
    if (aligned) {
      return `pixel spacing ${fmt(plane.pixelSpacing)} mm does not match the series grid (one pixel = ${fmt([lenR, lenC])} voxels)`;
    }
    return `orientation (ImageOrientationPatient ${fmt(plane.orientation)}) differs from the series'`;
  }
  const normalAxis = 3 - colAxis.axis - rowAxis.axis;
  const r: Vec3 = [Math.round(o[0]), Math.round(o[1]), Math.round(o[2])];
  const off = Math.max(Math.abs(o[0] - r[0]), Math.abs(o[1] - r[1]), Math.abs(o[2] - r[2]));
  if (off > tolVoxel) {
    return `lies off the series grid: position (${fmt(plane.position)}) mm is ${off.toFixed(3)} voxel from the nearest voxel centre`;
  }
  const far: Vec3 = [...r];
  far[colAxis.axis] += colAxis.sign * (plane.columns - 1);
  far[rowAxis.axis] += rowAxis.sign * (plane.rows - 1);
  for (let c = 0; c < 3; c++) {
    const lo = Math.min(r[c], far[c]);
    const hi = Math.max(r[c], far[c]);
    if (lo < 0 || hi > grid.dims[c] - 1) {
      return c === normalAxis
        ? `lies outside the series: position (${fmt(plane.position)}) mm is at slice ${r[c]} of ${grid.dims[c]}`
        : `extends outside the series grid (voxels ${lo}..${hi} along axis ${c}, grid has ${grid.dims[c]})`;
    }
  }
  const strides = [1, grid.dims[0], grid.dims[0] * grid.dims[1]];
  return {
    base: voxelIndex(grid.dims, r[0], r[1], r[2]),
    colStride: colAxis.sign * strides[colAxis.axis],
    rowStride: rowAxis.sign * strides[rowAxis.axis],
    normalAxis,
    slice: r[normalAxis],
  };
}
