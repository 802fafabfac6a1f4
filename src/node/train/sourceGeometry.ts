/**
 * Carrying a synthetic tumour made on the preprocessed grid (RAS, target spacing, foreground crop)
 * back onto the source scan's own voxels: every source voxel near the tumour is mapped through the
 * two affines into the preprocessed crop, where the intensity change Δ = x − x̂ is read
 * trilinearly and the tumour mask M by nearest neighbour. Changes and tumour labels are kept
 * inside the tumour's organ as the source labels it, so voxels outside stay untouched, bit for bit.
 */
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';

/** Inverse of an affine 4×4 (row-major, last row 0 0 0 1). */
export function invertAffine(a: Mat4): Mat4 {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = a;
  const det = m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20) + m02 * (m10 * m21 - m11 * m20);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('singular affine');
  const i00 = (m11 * m22 - m12 * m21) / det;
  const i01 = (m02 * m21 - m01 * m22) / det;
  const i02 = (m01 * m12 - m02 * m11) / det;
  const i10 = (m12 * m20 - m10 * m22) / det;
  const i11 = (m00 * m22 - m02 * m20) / det;
  const i12 = (m02 * m10 - m00 * m12) / det;
  const i20 = (m10 * m21 - m11 * m20) / det;
  const i21 = (m01 * m20 - m00 * m21) / det;
  const i22 = (m00 * m11 - m01 * m10) / det;
  return [
    i00, i01, i02, -(i00 * t0 + i01 * t1 + i02 * t2),
    i10, i11, i12, -(i10 * t0 + i11 * t1 + i12 * t2),
    i20, i21, i22, -(i20 * t0 + i21 * t1 + i22 * t2),
    0, 0, 0, 1,
  ];
}

export function multiplyAffine(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[r * 4 + c] += a[r * 4 + k] * b[k * 4 + c];
  return out;
}

const apply = (m: Mat4, p: Vec3): Vec3 => [0, 1, 2].map((r) => m[r * 4] * p[0] + m[r * 4 + 1] * p[1] + m[r * 4 + 2] * p[2] + m[r * 4 + 3]) as Vec3;

export interface CropOnGrid {
  /** Affine of the preprocessed volume the crop was cut from. */
  affine: Mat4;
  /** Crop origin and size in preprocessed voxels (x, y, z). */
  start: Vec3;
  size: Vec3;
  /** Δ = x − x̂ in window units and M (0/1), crop voxel order (x fastest). */
  delta: Float32Array;
  mask: Float32Array;
}

export interface SourceScan {
  dims: Vec3;
  affine: Mat4;
  /** HU, modified in place. */
  image: Float32Array;
  /** Project labels, modified in place (tumour id painted on M). */
  label: Uint8Array;
}

/**
 * Apply the crop's change to the source scan: x_HU −= Δ·(hi − lo) and label = tumour id on M, both
 * inside `organ` only (existing tumour voxels untouched). Returns the number of source voxels newly
 * labelled tumour.
 */
export function applyToSource(src: SourceScan, crop: CropOnGrid, organ: Organ, windowWidthHu: number): number {
  const toCrop = multiplyAffine(invertAffine(crop.affine), src.affine);
  const toSource = multiplyAffine(invertAffine(src.affine), crop.affine);
  // Source voxels whose image can fall in the crop: the crop's corners mapped to the source grid.
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    const corner = [0, 1, 2].map((a) => crop.start[a] - 1 + ((c >> a) & 1) * (crop.size[a] + 1)) as Vec3;
    const s = apply(toSource, corner);
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a], Math.floor(s[a]));
      hi[a] = Math.max(hi[a], Math.ceil(s[a]));
    }
  }
  for (let a = 0; a < 3; a++) {
    lo[a] = Math.max(0, lo[a]);
    hi[a] = Math.min(src.dims[a] - 1, hi[a]);
  }
  const [sx, sy, sz] = crop.size;
  const at = (x: number, y: number, z: number, data: Float32Array) =>
    x < 0 || y < 0 || z < 0 || x >= sx || y >= sy || z >= sz ? 0 : data[x + sx * (y + sy * z)];
  const { organ: oid, tumor: tid } = ORGAN_IDS[organ];
  let tumour = 0;
  for (let k = lo[2]; k <= hi[2]; k++)
    for (let j = lo[1]; j <= hi[1]; j++)
      for (let i = lo[0]; i <= hi[0]; i++) {
        const v = i + src.dims[0] * (j + src.dims[1] * k);
        // Organ voxels only: an existing tumour is never synthesised on (nor counted as new).
        if (src.label[v] !== oid) continue;
        const p = apply(toCrop, [i, j, k]);
        const x = p[0] - crop.start[0];
        const y = p[1] - crop.start[1];
        const z = p[2] - crop.start[2];
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        const z0 = Math.floor(z);
        if (x0 < -1 || y0 < -1 || z0 < -1 || x0 >= sx || y0 >= sy || z0 >= sz) continue;
        const fx = x - x0;
        const fy = y - y0;
        const fz = z - z0;
        let d = 0;
        for (let c = 0; c < 8; c++) {
          const w = (c & 1 ? fx : 1 - fx) * (c & 2 ? fy : 1 - fy) * (c & 4 ? fz : 1 - fz);
          if (w) d += w * at(x0 + (c & 1), y0 + ((c >> 1) & 1), z0 + ((c >> 2) & 1), crop.delta);
        }
        if (d !== 0) src.image[v] -= d * windowWidthHu;
        if (at(Math.round(x), Math.round(y), Math.round(z), crop.mask) > 0.5) {
          src.label[v] = tid;
          tumour++;
        }
      }
  return tumour;
}

/** A crop of a volume that may reach past its edges (zeros there). */
export function cropPadded(data: Float32Array | Uint8Array, dims: Vec3, start: Vec3, size: Vec3): Float32Array {
  const out = new Float32Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++) {
    const z = start[2] + k;
    if (z < 0 || z >= dims[2]) continue;
    for (let j = 0; j < size[1]; j++) {
      const y = start[1] + j;
      if (y < 0 || y >= dims[1]) continue;
      for (let i = 0; i < size[0]; i++) {
        const x = start[0] + i;
        if (x < 0 || x >= dims[0]) continue;
        out[i + size[0] * (j + size[1] * k)] = data[x + dims[0] * (y + dims[1] * z)];
      }
    }
  }
  return out;
}

/**
 * A label map on another grid, by nearest neighbour through the two affines: every voxel of the
 * target grid (dims, affine) takes the label of the source voxel its centre falls in, 0 outside.
 * Evaluation uses it to carry a prediction made on the preprocessed grid onto the scan's own voxels.
 */
export function labelsOnGrid(labels: Uint8Array, fromDims: Vec3, fromAffine: Mat4, dims: Vec3, affine: Mat4): Uint8Array {
  const m = multiplyAffine(invertAffine(fromAffine), affine);
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const [fx, fy, fz] = fromDims;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++) {
      // Along a row only i changes: the mapped point moves by the first column of m.
      let x = m[1] * j + m[2] * k + m[3];
      let y = m[5] * j + m[6] * k + m[7];
      let z = m[9] * j + m[10] * k + m[11];
      const row = dims[0] * (j + dims[1] * k);
      for (let i = 0; i < dims[0]; i++, x += m[0], y += m[4], z += m[8]) {
        const a = Math.round(x);
        const b = Math.round(y);
        const c = Math.round(z);
        if (a < 0 || b < 0 || c < 0 || a >= fx || b >= fy || c >= fz) continue;
        out[row + i] = labels[a + fx * (b + fy * c)];
      }
    }
  return out;
}
