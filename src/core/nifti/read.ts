/**
 * readNifti: bytes of a .nii or .nii.gz (gzip found by its magic bytes) → a Float32 volume in
 * scaled units plus the header. Every way a file can be wrong ends in a VolumeError naming it.
 */
import { VolumeError } from '../errors.ts';
import type { Vec3, Volume } from '../volume.ts';
import { affineFromHeader } from './affine.ts';
import { gunzip, isGzip } from './gzip.ts';
import { NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE, parseHeader } from './header.ts';
import {
  BYTES_PER_VOXEL,
  DATATYPE_CODES,
  DEFAULT_MAX_VOXELS,
  UNSUPPORTED_DATATYPE_NAMES,
  datatypeFromCode,
  type NiftiDatatype,
  type NiftiHeader,
} from './types.ts';

export interface NiftiImage {
  /** Voxel values after scl_slope/scl_inter (e.g. HU), as float32. */
  volume: Volume<Float32Array>;
  header: NiftiHeader;
  /** The datatype on disk. */
  datatype: NiftiDatatype;
}

export interface ReadNiftiOptions {
  /** Refuse volumes with more voxels than this (checked before any voxel buffer is allocated). */
  maxVoxels?: number;
}

/** What the header says about the voxel data, once checked. */
interface Layout {
  dims: Vec3;
  datatype: NiftiDatatype;
  voxels: number;
  /** voxOffset + voxels · bytes per voxel: the exact file size. */
  totalBytes: number;
}

export async function readNifti(bytes: Uint8Array, fileName: string, opts: ReadNiftiOptions = {}): Promise<NiftiImage> {
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_VOXELS;
  if (bytes.length === 0) throw new VolumeError(fileName, 'file is empty');
  let raw = bytes;
  if (isGzip(bytes)) {
    raw = await gunzip(bytes, fileName, {
      prefixBytes: NIFTI2_HEADER_SIZE,
      // Parsing the header as soon as it is in lets a bad or oversized file fail before inflating it all.
      limit: (prefix) => checkLayout(parseHeader(prefix, fileName), fileName, maxVoxels).totalBytes,
    });
    if (raw.length === 0) throw new VolumeError(fileName, 'gzip data is empty');
  }
  const header = parseHeader(raw, fileName);
  const layout = checkLayout(header, fileName, maxVoxels);
  const dataBytes = raw.length - header.voxOffset;
  const needed = layout.totalBytes - header.voxOffset;
  if (dataBytes < needed) {
    throw new VolumeError(fileName, `truncated data: dims ${layout.dims.join('×')} ${layout.datatype} need ${needed} bytes after offset ${header.voxOffset}, file has ${Math.max(0, dataBytes)}`);
  }
  if (dataBytes > needed) {
    throw new VolumeError(fileName, `data size does not match dims: ${layout.dims.join('×')} ${layout.datatype} need ${needed} bytes after offset ${header.voxOffset}, file has ${dataBytes}`);
  }
  const { affine } = affineFromHeader(header, fileName);
  const data = decodeVoxels(raw, header, layout, fileName);
  return { volume: { dims: layout.dims, affine, data }, header, datatype: layout.datatype };
}

function checkLayout(h: NiftiHeader, file: string, maxVoxels: number): Layout {
  const datatype = datatypeFromCode(h.datatypeCode);
  if (!datatype) {
    const name = UNSUPPORTED_DATATYPE_NAMES[h.datatypeCode];
    throw new VolumeError(file, `unsupported datatype code ${h.datatypeCode}${name ? ` (${name})` : ''}; supported: ${Object.entries(DATATYPE_CODES).map(([n, c]) => `${n} (${c})`).join(', ')}`);
  }
  const bpv = BYTES_PER_VOXEL[datatype];
  if (h.bitpix !== bpv * 8) throw new VolumeError(file, `bitpix ${h.bitpix} does not match datatype ${datatype} (${bpv * 8}); header is corrupt`);

  const nd = h.dim[0];
  if (!Number.isInteger(nd) || nd < 1 || nd > 7) throw new VolumeError(file, `bad dim[0] = ${nd} (number of dimensions must be 1..7)`);
  for (let n = 1; n <= nd; n++) {
    if (!(h.dim[n] >= 1)) throw new VolumeError(file, `bad dims: dim[${n}] = ${h.dim[n]} (must be at least 1)`);
  }
  // A 4-D series (time, channels) would need a choice of volume; taking the first silently could
  // hand a segmentation model the wrong one, so it is refused instead.
  const extra = h.dim.slice(4, nd + 1);
  if (extra.some((d) => d > 1)) {
    throw new VolumeError(file, `${nd}-D image (dims ${h.dim.slice(1, nd + 1).join('×')}) is not supported; only single 3-D volumes (dim[4..7] = 1)`);
  }
  const dims: Vec3 = [h.dim[1], nd >= 2 ? h.dim[2] : 1, nd >= 3 ? h.dim[3] : 1];
  const voxels = dims[0] * dims[1] * dims[2];
  if (voxels > maxVoxels) throw new VolumeError(file, `volume of ${dims.join('×')} = ${voxels} voxels exceeds the limit of ${maxVoxels}`);

  // The standard asks for room for the 4-byte extender too, but some writers omit it; data that
  // starts right after the header is still unambiguous.
  const minOffset = h.version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (!Number.isInteger(h.voxOffset) || h.voxOffset < minOffset) {
    throw new VolumeError(file, `bad vox_offset ${h.voxOffset} (must be an integer ≥ ${minOffset})`);
  }
  return { dims, datatype, voxels, totalBytes: h.voxOffset + voxels * bpv };
}

const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type TypedCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayLike<number>; BYTES_PER_ELEMENT: number };
const VIEW_CTORS: Record<NiftiDatatype, TypedCtor> = {
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

function decodeVoxels(raw: Uint8Array, h: NiftiHeader, layout: Layout, file: string): Float32Array {
  const { voxels: n, datatype } = layout;
  const bpv = BYTES_PER_VOXEL[datatype];
  const start = raw.byteOffset + h.voxOffset;
  let src: ArrayLike<number>;
  if (h.littleEndian === PLATFORM_LITTLE_ENDIAN) {
    // Typed views need element alignment; copy the data block once if the file's offset breaks it.
    // (A copy via the constructor: Node's Buffer.slice would return a view with the same misalignment.)
    const aligned = start % bpv === 0 ? raw : new Uint8Array(raw.subarray(h.voxOffset));
    const at = aligned === raw ? start : 0;
    src = new VIEW_CTORS[datatype](aligned.buffer, at, n);
  } else {
    src = swappedCopy(raw, h.voxOffset, n, datatype);
  }
  const out = new Float32Array(n);
  // Slope 0 means "no scaling" in NIfTI; NaN is what some writers leave when they mean the same.
  const scaled = h.sclSlope !== 0 && !Number.isNaN(h.sclSlope) && !(h.sclSlope === 1 && h.sclInter === 0);
  if (scaled) {
    const slope = h.sclSlope;
    const inter = Number.isNaN(h.sclInter) ? 0 : h.sclInter;
    for (let v = 0; v < n; v++) out[v] = src[v] * slope + inter;
  } else {
    out.set(src);
  }
  if (scaled || datatype === 'float32' || datatype === 'float64') checkFinite(out, file, scaled);
  return out;
}

function swappedCopy(raw: Uint8Array, offset: number, n: number, datatype: NiftiDatatype): ArrayLike<number> {
  const dv = new DataView(raw.buffer, raw.byteOffset + offset, raw.length - offset);
  switch (datatype) {
    case 'uint8':
      return raw.subarray(offset, offset + n);
    case 'int16': {
      const a = new Int16Array(n);
      for (let v = 0; v < n; v++) a[v] = dv.getInt16(2 * v, !PLATFORM_LITTLE_ENDIAN);
      return a;
    }
    case 'int32': {
      const a = new Int32Array(n);
      for (let v = 0; v < n; v++) a[v] = dv.getInt32(4 * v, !PLATFORM_LITTLE_ENDIAN);
      return a;
    }
    case 'float32': {
      const a = new Float32Array(n);
      for (let v = 0; v < n; v++) a[v] = dv.getFloat32(4 * v, !PLATFORM_LITTLE_ENDIAN);
      return a;
    }
    case 'float64': {
      const a = new Float64Array(n);
      for (let v = 0; v < n; v++) a[v] = dv.getFloat64(8 * v, !PLATFORM_LITTLE_ENDIAN);
      return a;
    }
  }
}

function checkFinite(data: Float32Array, file: string, scaled: boolean): void {
  let bad = 0;
  let first = -1;
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (x - x !== 0) {
      if (first < 0) first = v;
      bad++;
    }
  }
  if (bad > 0) {
    throw new VolumeError(file, `${bad} non-finite voxel value(s)${scaled ? ' after scl_slope/scl_inter' : ''} (first at index ${first}: ${data[first]})`);
  }
}
