/**
 * readNifti: bytes of a .nii or .nii.gz (gzip found by its magic bytes) → a Float32 volume in
 * scaled units plus the header. Every way a file can be wrong ends in a VolumeError naming it, and
 * the memory a file may cost is decided from its header before its voxels are read or inflated.
 */
import { VolumeError } from '../errors.ts';
import type { Volume } from '../volume.ts';
import { affineFromHeader } from './affine.ts';
import { decodeVoxels } from './decode.ts';
import { rememberExact } from './exactValues.ts';
import { gunzip, isGzip } from './gzip.ts';
import { NIFTI2_HEADER_SIZE, headerSize, parseHeader, sniffHeader } from './header.ts';
import { checkLayout, type Layout, type LayoutLimits } from './layout.ts';
import { DEFAULT_MAX_BYTES } from './limits.ts';
import type { NiftiDatatype, NiftiHeader } from './types.ts';

export interface NiftiImage {
  /** Voxel values after scl_slope/scl_inter (e.g. HU), as float32. */
  volume: Volume<Float32Array>;
  header: NiftiHeader;
  /** The datatype on disk. */
  datatype: NiftiDatatype;
  /**
   * The values exactly, present only when float32 rounds some of them (int32 beyond ±2^24,
   * float64): Int32Array for unscaled int32, else float64 in scaled units. Report from this.
   */
  exact?: Int32Array | Float64Array;
}

export interface ReadNiftiOptions {
  /**
   * Refuse a volume whose source voxels, float32 copy and extensions would take more bytes than
   * this (default DEFAULT_MAX_BYTES, 2 GiB); checked from the header before any voxel is read.
   */
  maxBytes?: number;
  /** Also refuse volumes with more voxels than this (no limit by default). */
  maxVoxels?: number;
  /** Appended to the over-limit message, e.g. how to raise the limit. */
  limitHint?: string;
}

export async function readNifti(bytes: Uint8Array, fileName: string, opts: ReadNiftiOptions = {}): Promise<NiftiImage> {
  const limits = limitsOf(opts);
  if (bytes.length === 0) throw new VolumeError(fileName, 'file is empty');
  let raw = bytes;
  if (isGzip(bytes)) {
    const inflated = await gunzip(bytes, fileName, {
      prefixBytes: NIFTI2_HEADER_SIZE,
      // Parsing the header as soon as it is in lets a bad or oversized file fail before inflating it all.
      plan: (prefix) => {
        const h = parseHeader(prefix, fileName);
        const layout = checkLayout(h, fileName, limits);
        return { size: layout.totalBytes, alignAt: h.voxOffset, sizeFrom: sizeFrom(h, layout) };
      },
    });
    if (!inflated.complete) {
      if (inflated.length === 0) throw new VolumeError(fileName, 'gzip data is empty');
      const h = parseHeader(inflated.prefix, fileName);
      throw truncated(fileName, h, checkLayout(h, fileName, limits), inflated.length);
    }
    raw = inflated.bytes;
  }
  const header = parseHeader(raw, fileName);
  const layout = checkLayout(header, fileName, limits);
  if (raw.length < layout.totalBytes) throw truncated(fileName, header, layout, raw.length);
  if (raw.length > layout.totalBytes) {
    const needed = layout.totalBytes - header.voxOffset;
    throw new VolumeError(fileName, `data size does not match dims: ${layout.dims.join('×')} ${layout.datatype} need ${needed} bytes after offset ${header.voxOffset}, file has ${raw.length - header.voxOffset}`);
  }
  const { affine } = affineFromHeader(header, fileName);
  const { data, exact } = decodeVoxels(raw, header, layout, fileName);
  if (exact) rememberExact(header, exact);
  return { volume: { dims: layout.dims, affine, data }, header, datatype: layout.datatype, ...(exact ? { exact } : {}) };
}

function limitsOf(opts: ReadNiftiOptions): LayoutLimits {
  return { maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, maxVoxels: opts.maxVoxels, limitHint: opts.limitHint };
}

function sizeFrom(h: NiftiHeader, layout: Layout): string {
  return `vox_offset ${h.voxOffset} + dims ${layout.dims.join('×')} (dim[1..3]) of ${layout.datatype}`;
}

function truncated(file: string, h: NiftiHeader, layout: Layout, length: number): VolumeError {
  const needed = layout.totalBytes - h.voxOffset;
  return new VolumeError(file, `truncated data: dims ${layout.dims.join('×')} ${layout.datatype} need ${needed} bytes after offset ${h.voxOffset}, file has ${Math.max(0, length - h.voxOffset)}`);
}

/**
 * For a caller that streams a file in (a pipe, say): what its first bytes commit it to. Returns
 * the exact size of an uncompressed NIfTI once its header is in, 'gzip' for a gzip stream (its
 * size shows only when inflated), or undefined while more bytes are needed. Bytes that can be
 * neither, or a header over the limits, throw the error readNifti would.
 */
export function expectedFileSize(prefix: Uint8Array, fileName: string, opts: ReadNiftiOptions = {}): number | 'gzip' | undefined {
  if (prefix.length < 2) return undefined;
  if (isGzip(prefix)) return 'gzip';
  if (prefix.length < 4) return undefined;
  const { version } = sniffHeader(prefix, fileName);
  if (prefix.length < headerSize(version)) return undefined;
  return checkLayout(parseHeader(prefix, fileName), fileName, limitsOf(opts)).totalBytes;
}
