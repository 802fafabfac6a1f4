/**
 * Binary layout of NIfTI-1 (348-byte) and NIfTI-2 (540-byte) single-file headers. Parsing checks
 * only what the layout itself needs; the meaning of dims, datatype and sizes is checked in read.ts.
 */
import { VolumeError } from '../errors.ts';
import { MAX_EXTENSION_BYTES } from './limits.ts';
import type { NiftiHeader } from './types.ts';

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;

const MAGIC1 = [0x6e, 0x2b, 0x31, 0x00]; // "n+1\0"
const MAGIC2 = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]; // "n+2\0\r\n\032\n"
const MAGIC1_PAIR = [0x6e, 0x69, 0x31, 0x00]; // "ni1\0": header in a .hdr, voxels in a .img
const MAGIC2_PAIR = [0x6e, 0x69, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
const CONVERT = 'convert the pair to a single .nii or .nii.gz (e.g. nibabel, FSL fslchfiletype, 3D Slicer)';

/** Latin-1 byte strings: byte-exact in both directions, unlike a UTF-8 decoder. */
function readString(bytes: Uint8Array, at: number, len: number): string {
  let s = '';
  for (let n = 0; n < len; n++) {
    const c = bytes[at + n];
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function writeString(bytes: Uint8Array, at: number, len: number, s: string): void {
  // Leave the last byte 0 so readers that expect a C string stop inside the field.
  const n = Math.min(s.length, len - 1);
  for (let c = 0; c < n; c++) bytes[at + c] = s.charCodeAt(c) & 0xff;
}

function matches(bytes: Uint8Array, at: number, magic: number[]): boolean {
  return magic.every((b, n) => bytes[at + n] === b);
}

/** NIfTI version and byte order from sizeof_hdr, which is 348 or 540 in one of the two orders. */
export function sniffHeader(bytes: Uint8Array, file: string): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) throw new VolumeError(file, `truncated header: ${bytes.length} bytes, need at least 348`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const size = dv.getInt32(0, littleEndian);
    if (size === NIFTI1_HEADER_SIZE) return { version: 1, littleEndian };
    if (size === NIFTI2_HEADER_SIZE) return { version: 2, littleEndian };
  }
  // A .img of a .hdr/.img pair holds bare voxels, so it fails here; its name is the only clue.
  const img = /\.img(\.gz)?$/i.test(file) ? '; a .img file holds only the voxels of a .hdr/.img pair, which is not supported: ' + CONVERT : '';
  throw new VolumeError(file, `not a NIfTI file (sizeof_hdr is neither 348 nor 540 in either byte order)${img}`);
}

/** Bytes the header (without extensions) needs, for callers that stream the file in. */
export function headerSize(version: 1 | 2): number {
  return version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
}

export function parseHeader(bytes: Uint8Array, file: string): NiftiHeader {
  const { version, littleEndian: le } = sniffHeader(bytes, file);
  const size = headerSize(version);
  if (bytes.length < size) {
    throw new VolumeError(file, `truncated header: ${bytes.length} bytes, NIfTI-${version} needs ${size}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return version === 1 ? parse1(bytes, dv, le, file) : parse2(bytes, dv, le, file);
}

function parse1(bytes: Uint8Array, dv: DataView, le: boolean, file: string): NiftiHeader {
  if (!matches(bytes, 344, MAGIC1)) {
    if (matches(bytes, 344, MAGIC1_PAIR)) {
      throw new VolumeError(file, `a two-file NIfTI-1 header (.hdr of a .hdr/.img pair, magic "ni1"): not supported; ${CONVERT}`);
    }
    // ANALYZE 7.5, NIfTI's predecessor, has the same 348-byte header but no magic: those bytes are
    // its smin field, almost always 0. A zeroed NIfTI-1 magic reads the same, so both are named.
    if (bytes[344] === 0 && bytes[345] === 0 && bytes[346] === 0 && bytes[347] === 0) {
      throw new VolumeError(file, `an ANALYZE 7.5 header (.hdr of a .hdr/.img pair: sizeof_hdr 348 but no NIfTI magic at byte 344), or a NIfTI-1 header with its magic zeroed; ANALYZE is not supported (its orientation is ambiguous): ${CONVERT}`);
    }
    throw new VolumeError(file, `bad NIfTI-1 magic ${hexBytes(bytes, 344, 4)} (expected "n+1")`);
  }
  const i16 = (o: number) => dv.getInt16(o, le);
  const f32 = (o: number) => dv.getFloat32(o, le);
  const voxOffset = f32(108);
  return {
    version: 1,
    littleEndian: le,
    dim: Array.from({ length: 8 }, (_, n) => i16(40 + 2 * n)),
    datatypeCode: i16(70),
    bitpix: i16(72),
    pixdim: Array.from({ length: 8 }, (_, n) => f32(76 + 4 * n)),
    voxOffset,
    sclSlope: f32(112),
    sclInter: f32(116),
    calMax: f32(124),
    calMin: f32(128),
    sliceDuration: f32(132),
    toffset: f32(136),
    sliceStart: i16(74),
    sliceEnd: i16(120),
    sliceCode: bytes[122],
    dimInfo: bytes[39],
    intentCode: i16(68),
    intentP: [f32(56), f32(60), f32(64)],
    intentName: readString(bytes, 328, 16),
    xyztUnits: bytes[123],
    descrip: readString(bytes, 148, 80),
    auxFile: readString(bytes, 228, 24),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: Array.from({ length: 12 }, (_, n) => f32(280 + 4 * n)),
    extensions: extensionBytes(bytes, NIFTI1_HEADER_SIZE, voxOffset),
  };
}

function parse2(bytes: Uint8Array, dv: DataView, le: boolean, file: string): NiftiHeader {
  if (!matches(bytes, 4, MAGIC2)) {
    if (matches(bytes, 4, MAGIC2_PAIR)) {
      throw new VolumeError(file, `a two-file NIfTI-2 header (.hdr of a .hdr/.img pair, magic "ni2"): not supported; ${CONVERT}`);
    }
    throw new VolumeError(file, `bad NIfTI-2 magic ${hexBytes(bytes, 4, 8)} (expected "n+2")`);
  }
  const i32 = (o: number) => dv.getInt32(o, le);
  const f64 = (o: number) => dv.getFloat64(o, le);
  // int64 fields: anything past 2^53 is corrupt for our purposes, and Number keeps the check simple.
  const i64 = (o: number) => Number(dv.getBigInt64(o, le));
  const voxOffset = i64(168);
  return {
    version: 2,
    littleEndian: le,
    dim: Array.from({ length: 8 }, (_, n) => i64(16 + 8 * n)),
    datatypeCode: dv.getInt16(12, le),
    bitpix: dv.getInt16(14, le),
    pixdim: Array.from({ length: 8 }, (_, n) => f64(104 + 8 * n)),
    voxOffset,
    sclSlope: f64(176),
    sclInter: f64(184),
    calMax: f64(192),
    calMin: f64(200),
    sliceDuration: f64(208),
    toffset: f64(216),
    sliceStart: i64(224),
    sliceEnd: i64(232),
    sliceCode: i32(496),
    dimInfo: bytes[524],
    intentCode: i32(504),
    intentP: [f64(80), f64(88), f64(96)],
    intentName: readString(bytes, 508, 16),
    xyztUnits: i32(500),
    descrip: readString(bytes, 240, 80),
    auxFile: readString(bytes, 320, 24),
    qformCode: i32(344),
    sformCode: i32(348),
    quatern: [f64(352), f64(360), f64(368)],
    qoffset: [f64(376), f64(384), f64(392)],
    srow: Array.from({ length: 12 }, (_, n) => f64(400 + 8 * n)),
    extensions: extensionBytes(bytes, NIFTI2_HEADER_SIZE, voxOffset),
  };
}

/**
 * The extension region is kept as raw bytes so a rewrite carries it along untouched. An oversized
 * region is not copied: the layout check refuses its vox_offset right after parsing.
 */
function extensionBytes(bytes: Uint8Array, hdrSize: number, voxOffset: number): Uint8Array {
  const end = Math.min(Number.isFinite(voxOffset) ? Math.floor(voxOffset) : 0, bytes.length);
  if (end < hdrSize + 4 || bytes[hdrSize] === 0 || end - hdrSize > MAX_EXTENSION_BYTES) return new Uint8Array(0);
  return new Uint8Array(bytes.subarray(hdrSize + 4, end)); // a copy, even from a Node Buffer
}

function hexBytes(bytes: Uint8Array, at: number, n: number): string {
  return Array.from(bytes.subarray(at, at + n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Where voxel data starts for a header with `extLength` bytes of extensions: 16-byte aligned. */
export function voxOffsetFor(version: 1 | 2, extLength: number): number {
  const base = headerSize(version) + 4 + extLength;
  return Math.ceil(base / 16) * 16;
}

/**
 * Header bytes plus extender and extensions, up to `h.voxOffset`. The caller fills in dim,
 * datatype, bitpix, voxOffset, scaling and geometry before calling this.
 */
export function encodeHeader(h: NiftiHeader): Uint8Array {
  const out = new Uint8Array(h.voxOffset);
  const dv = new DataView(out.buffer);
  const le = h.littleEndian;
  const size = headerSize(h.version);
  if (h.version === 1) {
    const i16 = (o: number, v: number) => dv.setInt16(o, clampInt(v, -32768, 32767), le);
    const f32 = (o: number, v: number) => dv.setFloat32(o, v, le);
    dv.setInt32(0, size, le);
    out[38] = 0x72; // "r": regular, as ANALYZE readers expect
    out[39] = h.dimInfo & 0xff;
    h.dim.forEach((v, n) => i16(40 + 2 * n, v));
    f32(56, h.intentP[0]);
    f32(60, h.intentP[1]);
    f32(64, h.intentP[2]);
    i16(68, h.intentCode);
    i16(70, h.datatypeCode);
    i16(72, h.bitpix);
    i16(74, h.sliceStart);
    h.pixdim.forEach((v, n) => f32(76 + 4 * n, v));
    f32(108, h.voxOffset);
    f32(112, h.sclSlope);
    f32(116, h.sclInter);
    i16(120, h.sliceEnd);
    out[122] = h.sliceCode & 0xff;
    out[123] = h.xyztUnits & 0xff;
    f32(124, h.calMax);
    f32(128, h.calMin);
    f32(132, h.sliceDuration);
    f32(136, h.toffset);
    writeString(out, 148, 80, h.descrip);
    writeString(out, 228, 24, h.auxFile);
    i16(252, h.qformCode);
    i16(254, h.sformCode);
    h.quatern.forEach((v, n) => f32(256 + 4 * n, v));
    h.qoffset.forEach((v, n) => f32(268 + 4 * n, v));
    h.srow.forEach((v, n) => f32(280 + 4 * n, v));
    writeString(out, 328, 16, h.intentName);
    out.set(MAGIC1, 344);
  } else {
    const i32 = (o: number, v: number) => dv.setInt32(o, v, le);
    const i64 = (o: number, v: number) => dv.setBigInt64(o, BigInt(Math.trunc(v)), le);
    const f64 = (o: number, v: number) => dv.setFloat64(o, v, le);
    dv.setInt32(0, size, le);
    out.set(MAGIC2, 4);
    dv.setInt16(12, h.datatypeCode, le);
    dv.setInt16(14, h.bitpix, le);
    h.dim.forEach((v, n) => i64(16 + 8 * n, v));
    f64(80, h.intentP[0]);
    f64(88, h.intentP[1]);
    f64(96, h.intentP[2]);
    h.pixdim.forEach((v, n) => f64(104 + 8 * n, v));
    i64(168, h.voxOffset);
    f64(176, h.sclSlope);
    f64(184, h.sclInter);
    f64(192, h.calMax);
    f64(200, h.calMin);
    f64(208, h.sliceDuration);
    f64(216, h.toffset);
    i64(224, h.sliceStart);
    i64(232, h.sliceEnd);
    writeString(out, 240, 80, h.descrip);
    writeString(out, 320, 24, h.auxFile);
    i32(344, h.qformCode);
    i32(348, h.sformCode);
    h.quatern.forEach((v, n) => f64(352 + 8 * n, v));
    h.qoffset.forEach((v, n) => f64(376 + 8 * n, v));
    h.srow.forEach((v, n) => f64(400 + 8 * n, v));
    i32(496, h.sliceCode);
    i32(500, h.xyztUnits);
    i32(504, h.intentCode);
    writeString(out, 508, 16, h.intentName);
    out[524] = h.dimInfo & 0xff;
  }
  if (h.extensions.length > 0) {
    out[size] = 1;
    out.set(h.extensions.subarray(0, h.voxOffset - size - 4), size + 4);
  }
  return out;
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(v)));
}
