/**
 * writeNifti: a Volume → .nii (or .nii.gz) bytes.
 *
 * Choices a caller should know:
 * - The datatype defaults to the data's own array type (Float32Array → float32, Uint8Array → uint8,
 *   Uint16Array → int32), never to the source header's, so nothing is rounded unless asked for.
 *   Pass `datatype: img.datatype` to keep a file's on-disk type.
 * - Float datatypes are written in the volume's units with scl_slope = 1, scl_inter = 0: the data is
 *   already scaled, and re-deriving raw values through a float slope would not be bit-exact.
 * - Integer datatypes reuse the source header's scl_slope/scl_inter when it has the same datatype
 *   (so a file's raw integers come back exactly), else 1/0. Values are rounded to the nearest
 *   integer; a value the datatype cannot hold, or a non-finite one, is a VolumeError, not a clip.
 * - With a source header whose affine equals the volume's, every geometry field (srow, sform and
 *   qform codes, quaternion, qoffset, pixdim incl. qfac) is copied verbatim. When the volume's affine
 *   differs (after a resample or crop), the sform is the new affine and the qform its quaternion.
 * - Version (NIfTI-1/2), byte order and raw extensions follow the source header; new files are
 *   little-endian NIfTI-1 unless `version: 2`.
 * - With a header readNifti returned for an int32 or float64 file that float32 rounds, every voxel
 *   still at the value the reader gave is written with the file's exact value (see decode.ts), so
 *   unchanged voxels round-trip bit for bit and int32 extremes do not read as out of range.
 */
import { VolumeError } from '../errors.ts';
import { voxelCount, type Mat4, type VoxelArray, type Volume } from '../volume.ts';
import { affineFromHeader, affinesClose, qformFromAffine } from './affine.ts';
import { gzip as gzipBytes } from './gzip.ts';
import { allocate } from './allocate.ts';
import { exactFor } from './exactValues.ts';
import { encodeHeader, voxOffsetFor } from './header.ts';
import { BYTES_PER_VOXEL, DATATYPE_CODES, datatypeFromCode, type NiftiDatatype, type NiftiHeader } from './types.ts';

export interface WriteNiftiOptions {
  /** Source header: geometry, descriptions, byte order and extensions are carried over. */
  header?: NiftiHeader;
  datatype?: NiftiDatatype;
  /** Default true. */
  gzip?: boolean;
  /** Default: the source header's version, else 1. */
  version?: 1 | 2;
  /** Only used to name the output in error messages. */
  fileName?: string;
}

/** NIFTI_XFORM_ALIGNED_ANAT: the code for "an affine we computed", used when no source code exists. */
const XFORM_ALIGNED = 2;
/** NIFTI_UNITS_MM. */
const UNITS_MM = 2;
const DEFAULT_DESCRIP = 'FreeTumor Workbench';

const INT_RANGE: Partial<Record<NiftiDatatype, [number, number]>> = {
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

export function datatypeOfArray(data: VoxelArray): NiftiDatatype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array || data instanceof Uint16Array) return 'int32';
  if (data instanceof Float64Array) return 'float64';
  return 'float32';
}

export async function writeNifti(volume: Volume, opts: WriteNiftiOptions = {}): Promise<Uint8Array> {
  const file = opts.fileName ?? '(volume being written)';
  const src = opts.header;
  const n = voxelCount(volume.dims);
  if (!volume.dims.every((d) => Number.isInteger(d) && d >= 1)) throw new VolumeError(file, `bad dims ${volume.dims.join('×')}`);
  if (volume.data.length !== n) {
    throw new VolumeError(file, `data has ${volume.data.length} voxels but dims ${volume.dims.join('×')} need ${n}`);
  }
  if (volume.affine.length !== 16 || !volume.affine.every(Number.isFinite)) throw new VolumeError(file, 'affine must be 16 finite numbers');

  const datatype = opts.datatype ?? datatypeOfArray(volume.data);
  const version = opts.version ?? src?.version ?? 1;
  if (version === 1 && volume.dims.some((d) => d > 32767)) {
    throw new VolumeError(file, `dims ${volume.dims.join('×')} exceed NIfTI-1's 32767 per axis; write with version: 2`);
  }
  const littleEndian = src?.littleEndian ?? true;
  const extensions = src?.extensions ?? new Uint8Array(0);
  const isInt = datatype in INT_RANGE;
  const keepScale = isInt && src !== undefined && datatypeFromCode(src.datatypeCode) === datatype && src.sclSlope !== 0 && Number.isFinite(src.sclSlope) && Number.isFinite(src.sclInter);
  const sclSlope = keepScale ? src!.sclSlope : 1;
  const sclInter = keepScale ? src!.sclInter : 0;

  const header: NiftiHeader = {
    version,
    littleEndian,
    dim: [src && src.dim[0] >= 3 ? src.dim[0] : 3, ...volume.dims, 1, 1, 1, 1],
    datatypeCode: DATATYPE_CODES[datatype],
    bitpix: BYTES_PER_VOXEL[datatype] * 8,
    pixdim: src ? [...src.pixdim] : [1, 1, 1, 1, 1, 1, 1, 1],
    voxOffset: voxOffsetFor(version, extensions.length),
    sclSlope,
    sclInter,
    calMax: src?.calMax ?? 0,
    calMin: src?.calMin ?? 0,
    sliceDuration: src?.sliceDuration ?? 0,
    toffset: src?.toffset ?? 0,
    sliceStart: src?.sliceStart ?? 0,
    sliceEnd: src?.sliceEnd ?? 0,
    sliceCode: src?.sliceCode ?? 0,
    dimInfo: src?.dimInfo ?? 0,
    intentCode: src?.intentCode ?? 0,
    intentP: src ? [...src.intentP] : [0, 0, 0],
    intentName: src?.intentName ?? '',
    xyztUnits: src?.xyztUnits ?? UNITS_MM,
    descrip: src?.descrip ?? DEFAULT_DESCRIP,
    auxFile: src?.auxFile ?? '',
    qformCode: 0,
    sformCode: 0,
    quatern: [0, 0, 0],
    qoffset: [0, 0, 0],
    srow: [],
    extensions,
  };
  setGeometry(header, volume.affine, src, file);

  const headBytes = encodeHeader(header);
  const exact = exactFor(src);
  const bpv = BYTES_PER_VOXEL[datatype];
  const out = allocate(file, headBytes.length + n * bpv, `${n} ${datatype} voxels`, () => new Uint8Array(headBytes.length + n * bpv));
  out.set(headBytes);
  // voxOffsetFor keeps the data 16-byte aligned, so the encoder's typed views need no copy.
  encodeVoxels(volume.data, exact?.length === n ? exact : undefined, out.subarray(headBytes.length), datatype, sclSlope, sclInter, littleEndian, file);
  return opts.gzip === false ? out : gzipBytes(out);
}

function setGeometry(h: NiftiHeader, affine: Mat4, src: NiftiHeader | undefined, file: string): void {
  if (src) {
    let srcAffine: Mat4 | undefined;
    try {
      srcAffine = affineFromHeader(src, file).affine;
    } catch {
      srcAffine = undefined; // a header with broken geometry: describe the volume's affine afresh
    }
    if (srcAffine && affinesClose(srcAffine, affine)) {
      h.sformCode = src.sformCode;
      h.qformCode = src.qformCode;
      h.srow = [...src.srow];
      h.quatern = [...src.quatern];
      h.qoffset = [...src.qoffset];
      return;
    }
  }
  const q = qformFromAffine(affine);
  const code = src ? src.sformCode || src.qformCode || XFORM_ALIGNED : XFORM_ALIGNED;
  h.sformCode = code;
  h.srow = affine.slice(0, 12);
  // A sheared affine has no quaternion form; qform_code 0 tells readers to ignore the qform.
  h.qformCode = q.exact ? code : 0;
  h.quatern = q.quatern;
  h.qoffset = q.qoffset;
  h.pixdim[0] = q.qfac;
  h.pixdim[1] = q.spacing[0];
  h.pixdim[2] = q.spacing[1];
  h.pixdim[3] = q.spacing[2];
}

const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function encodeVoxels(
  data: VoxelArray,
  exact: Int32Array | Float64Array | undefined,
  bytes: Uint8Array,
  datatype: NiftiDatatype,
  slope: number,
  inter: number,
  le: boolean,
  file: string,
): void {
  const n = data.length;
  const bpv = BYTES_PER_VOXEL[datatype];
  const { buffer, byteOffset } = bytes;
  let target: Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  switch (datatype) {
    case 'uint8': target = bytes; break;
    case 'int16': target = new Int16Array(buffer, byteOffset, n); break;
    case 'int32': target = new Int32Array(buffer, byteOffset, n); break;
    case 'float32': target = new Float32Array(buffer, byteOffset, n); break;
    case 'float64': target = new Float64Array(buffer, byteOffset, n); break;
  }
  // A voxel still at its read (float32-rounded) value takes the file's exact value back.
  const valueAt = exact
    ? (v: number): number => (data[v] === Math.fround(exact[v]) ? exact[v] : data[v])
    : (v: number): number => data[v];
  const range = INT_RANGE[datatype];
  if (range) {
    const [lo, hi] = range;
    const identity = slope === 1 && inter === 0;
    for (let v = 0; v < n; v++) {
      const x = identity ? valueAt(v) : (valueAt(v) - inter) / slope;
      const r = Math.round(x);
      if (!(r >= lo && r <= hi)) {
        // 2^31 is where float32 puts int32's largest values, so the likely cause is worth naming.
        const why = datatype === 'int32' && Math.abs(data[v]) === 2 ** 31 ? ' (float32 rounds int32 values near ±2^31 to ±2^31; write with the header readNifti returned to keep them exact)' : '';
        throw new VolumeError(file, `voxel ${v} value ${valueAt(v)} does not fit ${datatype}${identity ? '' : ` with scl_slope ${slope}, scl_inter ${inter}`}${why}`);
      }
      target[v] = r;
    }
  } else {
    if (exact && datatype === 'float64') for (let v = 0; v < n; v++) target[v] = valueAt(v);
    else target.set(data);
    for (let v = 0; v < n; v++) {
      const x = target[v];
      if (x - x !== 0) throw new VolumeError(file, `voxel ${v} value ${data[v]} is not finite as ${datatype}`);
    }
  }
  if (le !== PLATFORM_LITTLE_ENDIAN && bpv > 1) swapBytes(bytes, bpv);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let at = 0; at < bytes.length; at += width) {
    for (let a = at, b = at + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
