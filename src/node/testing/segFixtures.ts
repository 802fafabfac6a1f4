/**
 * Test support for the SEG reader/writer and the derived-series writer: the fixture series as
 * scanned DicomSeries, their grids, a small NRRD reader for the dcmqi reference masks, and
 * dataset edits through dcmjs. Node only; not part of the public API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { scanDicom } from '../../core/dicom/scan.ts';
import { seriesAffine } from '../../core/dicom/seriesGeometry.ts';
import type { DicomDataset, DicomFileInput, DicomSeries } from '../../core/dicom/types.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { CT3_DIR, ct3Files, CT_J2K_DIR, readFolder } from './dicomFixtures.ts';

export { CT3_DIR, CT_J2K_DIR, CT_J2K_SEG, dicomFixturesPresent } from './dicomFixtures.ts';

const { DicomMessage, DicomMetaDictionary, DicomDict } = dcmjs.data;

export interface Grid {
  dims: Vec3;
  affine: Mat4;
}

export function liverSegFile(): DicomFileInput {
  return { name: 'liver.dcm', bytes: new Uint8Array(readFileSync(join(CT3_DIR, 'liver.dcm'))) };
}

function onlySeries(files: DicomFileInput[], what: string): DicomSeries {
  const scan = scanDicom(files);
  if (scan.series.length !== 1 || scan.series[0].problems.length) {
    throw new Error(`${what}: expected one clean series, got ${JSON.stringify(scan.series.map((s) => s.problems))}`);
  }
  return scan.series[0];
}

/** The 3-slice uncompressed CT series (dcmqi). */
export function ct3Series(): DicomSeries {
  return onlySeries(ct3Files(), 'ct-3slice');
}

/** The 20-slice JPEG-2000 CT series (TotalSegmentator). */
export function j2kSeries(): DicomSeries {
  return onlySeries(readFolder(CT_J2K_DIR), 'example_ct_dicom');
}

/** The grid the converter (dcm2niix) gives the series: rows stored bottom-up. */
export function converterGrid(s: DicomSeries): Grid {
  return { dims: [s.columns, s.rows, s.slices.length], affine: seriesAffine(s) };
}

/**
 * Another grid of the same voxels, computed here from IPP/IOP/PixelSpacing: i = column,
 * j = row (top-down), k = slice ascending along the normal; LPS → RAS negates x and y. Readers and
 * writers must place pixels by world position, so both grids must give the same world answers.
 */
export function topDownGrid(s: DicomSeries): Grid {
  const o = s.slices[0].orientation;
  const p0 = s.slices[0].position;
  const pn = s.slices[s.slices.length - 1].position;
  const n = s.slices.length;
  const [dr, dc] = s.pixelSpacing;
  const cols: Vec3[] = [
    [o[0] * dc, o[1] * dc, o[2] * dc],
    [o[3] * dr, o[4] * dr, o[5] * dr],
    [0, 1, 2].map((a) => (pn[a] - p0[a]) / (n - 1)) as Vec3,
  ];
  const sign = [-1, -1, 1];
  const affine: Mat4 = [];
  for (let r = 0; r < 3; r++) affine.push(sign[r] * cols[0][r], sign[r] * cols[1][r], sign[r] * cols[2][r], sign[r] * p0[r]);
  affine.push(0, 0, 0, 1);
  return { dims: [s.columns, s.rows, n], affine };
}

/** World (RAS) → voxel coordinates of a grid, not rounded. */
export function worldToVoxel(grid: Grid, ras: Vec3): Vec3 {
  const a = grid.affine;
  const m = [
    [a[0], a[1], a[2]],
    [a[4], a[5], a[6]],
    [a[8], a[9], a[10]],
  ];
  const d = [ras[0] - a[3], ras[1] - a[7], ras[2] - a[11]];
  // Cramer's rule: small and exact enough for 3×3.
  const det3 = (c: number[][]) =>
    c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1]) - c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0]) + c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]);
  const det = det3(m);
  return [0, 1, 2].map((col) => det3(m.map((row, r) => row.map((v, c) => (c === col ? d[r] : v)))) / det) as Vec3;
}

export interface Nrrd {
  sizes: number[];
  space: string;
  /** One direction vector per axis, in `space` coordinates. */
  directions: Vec3[];
  origin: Vec3;
  data: Int16Array | Uint8Array | Uint16Array | Int32Array | Float32Array;
}

/** A minimal NRRD reader: text header, raw or gzip data, little endian, 3-D. */
export function readNrrd(path: string): Nrrd {
  const buf = readFileSync(path);
  const end = buf.indexOf('\n\n');
  if (end < 0) throw new Error(`${path}: no NRRD header end`);
  const fields = new Map<string, string>();
  for (const line of buf.subarray(0, end).toString('latin1').split('\n').slice(1)) {
    if (line.startsWith('#') || !line.includes(':')) continue;
    const at = line.indexOf(':');
    fields.set(line.slice(0, at).trim(), line.slice(at + 1).replace(/^=/, '').trim());
  }
  const vec = (s: string): Vec3 => s.replace(/[()]/g, '').split(',').map(Number) as Vec3;
  const sizes = fields.get('sizes')!.split(/\s+/).map(Number);
  const directions = fields.get('space directions')!.match(/\([^)]*\)/g)!.map(vec);
  const origin = vec(fields.get('space origin')!);
  let raw: Buffer = buf.subarray(end + 2);
  const encoding = fields.get('encoding');
  if (encoding === 'gzip' || encoding === 'gz') raw = gunzipSync(raw);
  else if (encoding !== 'raw') throw new Error(`${path}: NRRD encoding ${encoding} not handled by this test reader`);
  if (fields.get('endian') && fields.get('endian') !== 'little') throw new Error(`${path}: big-endian NRRD`);
  const bytes = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  const types: Record<string, (b: ArrayBuffer) => Nrrd['data']> = {
    short: (b) => new Int16Array(b),
    int16: (b) => new Int16Array(b),
    'unsigned short': (b) => new Uint16Array(b),
    uint16: (b) => new Uint16Array(b),
    uchar: (b) => new Uint8Array(b),
    'unsigned char': (b) => new Uint8Array(b),
    int: (b) => new Int32Array(b),
    float: (b) => new Float32Array(b),
  };
  const make = types[fields.get('type')!];
  if (!make) throw new Error(`${path}: NRRD type ${fields.get('type')} not handled`);
  return { sizes, space: fields.get('space') ?? '', directions, origin, data: make(bytes) };
}

/** World positions (RAS mm) of the NRRD voxels holding `value`. */
export function nrrdVoxelsRas(n: Nrrd, value: number): Vec3[] {
  const toRas: Record<string, (p: Vec3) => Vec3> = {
    'left-posterior-superior': (p) => [-p[0], -p[1], p[2]],
    LPS: (p) => [-p[0], -p[1], p[2]],
    'right-anterior-superior': (p) => p,
    RAS: (p) => p,
  };
  const conv = toRas[n.space];
  if (!conv) throw new Error(`NRRD space '${n.space}' not handled`);
  const [nx, ny] = n.sizes;
  const out: Vec3[] = [];
  for (let idx = 0; idx < n.data.length; idx++) {
    if (n.data[idx] !== value) continue;
    const i = idx % nx;
    const j = Math.floor(idx / nx) % ny;
    const k = Math.floor(idx / (nx * ny));
    const p = [0, 1, 2].map((a) => n.origin[a] + i * n.directions[0][a] + j * n.directions[1][a] + k * n.directions[2][a]) as Vec3;
    out.push(conv(p));
  }
  return out;
}

/** Parse a Part-10 file to a naturalized dataset (with pixel data) and its meta header. */
export function parseDicom(bytes: Uint8Array): { meta: DicomDataset; ds: DicomDataset } {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const d = DicomMessage.readFile(buf);
  return { meta: DicomMetaDictionary.naturalizeDataset(d.meta), ds: DicomMetaDictionary.naturalizeDataset(d.dict) };
}

/** Edit a file's naturalized dataset and write it back (same meta, explicit VR little endian). */
export function rewriteDicom(bytes: Uint8Array, edit: (ds: DicomDataset) => void): Uint8Array {
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const d = DicomMessage.readFile(buf);
  const ds = DicomMetaDictionary.naturalizeDataset(d.dict);
  edit(ds);
  const meta = { ...d.meta, '00020010': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] } };
  const out = new DicomDict(meta);
  out.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(out.write());
}

/** PixelData of a naturalized dataset as one byte array. */
export function pixelBytes(ds: DicomDataset): Uint8Array {
  const parts = (Array.isArray(ds.PixelData) ? ds.PixelData : [ds.PixelData]) as ArrayBuffer[];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/** Sequence items of a naturalized attribute. */
export function seq(v: unknown): DicomDataset[] {
  if (Array.isArray(v)) return v as DicomDataset[];
  return v && typeof v === 'object' ? [v as DicomDataset] : [];
}

/**
 * Flat voxel index of pixel (row, column) of `slice` in `grid`, found through world positions
 * (the pixel's LPS centre → RAS → voxel), so the test does not assume an axis order.
 */
export function slicePixelIndexer(grid: Grid, series: DicomSeries, slice: number): (row: number, column: number) => number {
  const s = series.slices[slice];
  const o = s.orientation;
  const [dr, dc] = series.pixelSpacing;
  const voxelOf = (r: number, c: number): Vec3 => {
    const lps = [0, 1, 2].map((a) => s.position[a] + c * dc * o[a] + r * dr * o[3 + a]);
    return worldToVoxel(grid, [-lps[0], -lps[1], lps[2]]);
  };
  const v0 = voxelOf(0, 0);
  const vc = voxelOf(0, 1).map((x, a) => Math.round(x - v0[a]));
  const vr = voxelOf(1, 0).map((x, a) => Math.round(x - v0[a]));
  const base = v0.map(Math.round);
  const [nx, ny] = grid.dims;
  return (r, c) => {
    const i = base[0] + c * vc[0] + r * vr[0];
    const j = base[1] + c * vc[1] + r * vr[1];
    const k = base[2] + c * vc[2] + r * vr[2];
    return i + nx * (j + ny * k);
  };
}
