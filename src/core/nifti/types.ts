import type { Vec3 } from '../volume.ts';

/** Datatypes this reader and writer support (NIfTI codes in DATATYPE_CODES). */
export type NiftiDatatype = 'uint8' | 'int16' | 'int32' | 'float32' | 'float64';

export const DATATYPE_CODES: Record<NiftiDatatype, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
};

export const BYTES_PER_VOXEL: Record<NiftiDatatype, number> = {
  uint8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Names of the NIfTI datatype codes we do not read, so the error can say what the file holds. */
export const UNSUPPORTED_DATATYPE_NAMES: Record<number, string> = {
  0: 'unknown',
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  256: 'int8',
  512: 'uint16',
  768: 'uint32',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

export function datatypeFromCode(code: number): NiftiDatatype | undefined {
  for (const [name, c] of Object.entries(DATATYPE_CODES)) if (c === code) return name as NiftiDatatype;
  return undefined;
}

/**
 * Every field of a NIfTI-1 or NIfTI-2 header that carries meaning, in one version-neutral shape
 * (NIfTI-1 floats are widened to numbers, so writing them back as float32 is bit-exact).
 * Obsolete ANALYZE fields (db_name, glmax, ...) are not kept.
 */
export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[0] = number of dimensions, dim[1..7] sizes. */
  dim: number[];
  datatypeCode: number;
  bitpix: number;
  /** pixdim[0] is qfac (±1), pixdim[1..3] voxel sizes, pixdim[4] the time step. */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  calMax: number;
  calMin: number;
  sliceDuration: number;
  toffset: number;
  sliceStart: number;
  sliceEnd: number;
  sliceCode: number;
  dimInfo: number;
  intentCode: number;
  intentP: [number, number, number];
  intentName: string;
  xyztUnits: number;
  descrip: string;
  auxFile: string;
  qformCode: number;
  sformCode: number;
  quatern: Vec3;
  qoffset: Vec3;
  /** srow_x, srow_y, srow_z: the first three rows of the sform, 12 numbers. */
  srow: number[];
  /** Raw extension bytes (after the 4-byte extender), empty when the file has none. */
  extensions: Uint8Array;
}
