import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Just enough NIfTI-1 to get ground truth for the readout test, independent of the app's code. */
export interface NodeNifti {
  dims: [number, number, number];
  affine: number[];
  value: (i: number, j: number, k: number) => number;
}

export function readNiftiFile(path: string): NodeNifti {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getInt32(0, true) !== 348) throw new Error(`${path}: not little-endian NIfTI-1`);
  const dims: [number, number, number] = [dv.getInt16(42, true), dv.getInt16(44, true), dv.getInt16(46, true)];
  const datatype = dv.getInt16(70, true);
  const voxOffset = dv.getFloat32(108, true);
  const rawSlope = dv.getFloat32(112, true);
  const slope = rawSlope === 0 || Number.isNaN(rawSlope) ? 1 : rawSlope;
  const inter = Number.isNaN(dv.getFloat32(116, true)) ? 0 : dv.getFloat32(116, true);
  const affine = [...Array(12)].map((_, n) => dv.getFloat32(280 + 4 * n, true)).concat([0, 0, 0, 1]);
  const start = Math.round(voxOffset);
  const read: Record<number, [number, (o: number) => number]> = {
    2: [1, (o) => dv.getUint8(o)],
    4: [2, (o) => dv.getInt16(o, true)],
    8: [4, (o) => dv.getInt32(o, true)],
    16: [4, (o) => dv.getFloat32(o, true)],
    512: [2, (o) => dv.getUint16(o, true)],
  };
  const r = read[datatype];
  if (!r) throw new Error(`${path}: datatype ${datatype} not handled by the test reader`);
  const [size, get] = r;
  return {
    dims,
    affine,
    value: (i, j, k) => get(start + size * (i + dims[0] * (j + dims[1] * k))) * slope + inter,
  };
}

/** A voxel of `id` whose 26 neighbours share it, nearest the label's centroid: robust to rounding. */
export function interiorVoxel(seg: NodeNifti, id: number): [number, number, number] {
  const [nx, ny, nz] = seg.dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    if (seg.value(i, j, k) === id) { si += i; sj += j; sk += k; n++; }
  }
  if (n === 0) throw new Error(`label ${id} absent`);
  const c = [si / n, sj / n, sk / n];
  let best: [number, number, number] | null = null;
  let bestD = Infinity;
  for (let k = 1; k < nz - 1; k++) for (let j = 1; j < ny - 1; j++) for (let i = 1; i < nx - 1; i++) {
    if (seg.value(i, j, k) !== id) continue;
    const d = (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2;
    if (d >= bestD) continue;
    let interior = true;
    for (let dk = -1; dk <= 1 && interior; dk++) for (let dj = -1; dj <= 1 && interior; dj++) for (let di = -1; di <= 1; di++) {
      if (seg.value(i + di, j + dj, k + dk) !== id) { interior = false; break; }
    }
    if (interior) { best = [i, j, k]; bestD = d; }
  }
  if (!best) throw new Error(`label ${id} has no interior voxel`);
  return best;
}
