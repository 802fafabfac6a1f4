/**
 * What a header says about the voxel data, checked against the reader's limits before a single
 * voxel is read or inflated: a header is a few hundred bytes, and it alone decides how much memory
 * the read will take.
 */
import { VolumeError } from '../errors.ts';
import type { Vec3 } from '../volume.ts';
import { NIFTI1_HEADER_SIZE, NIFTI2_HEADER_SIZE } from './header.ts';
import { MAX_EXTENSION_BYTES, formatBytes, heldBytes } from './limits.ts';
import {
  BYTES_PER_VOXEL,
  DATATYPE_CODES,
  UNSUPPORTED_DATATYPE_NAMES,
  datatypeFromCode,
  type NiftiDatatype,
  type NiftiHeader,
} from './types.ts';

export interface Layout {
  dims: Vec3;
  datatype: NiftiDatatype;
  voxels: number;
  /** voxOffset + voxels · bytes per voxel: the exact (uncompressed) file size. */
  totalBytes: number;
  /** Whether scl_slope/scl_inter change the values. */
  scaled: boolean;
}

export interface LayoutLimits {
  maxBytes: number;
  maxVoxels?: number;
  /** Appended to the over-budget message: how the caller's user raises the limit. */
  limitHint?: string;
}

/** Slope 0 means "no scaling" in NIfTI; NaN is what some writers leave when they mean the same. */
export function isScaled(h: NiftiHeader): boolean {
  return h.sclSlope !== 0 && !Number.isNaN(h.sclSlope) && !(h.sclSlope === 1 && (h.sclInter === 0 || Number.isNaN(h.sclInter)));
}

export function checkLayout(h: NiftiHeader, file: string, limits: LayoutLimits): Layout {
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
  if (limits.maxVoxels !== undefined && voxels > limits.maxVoxels) {
    throw new VolumeError(file, `volume of ${dims.join('×')} = ${voxels} voxels exceeds the limit of ${limits.maxVoxels}`);
  }

  // The standard asks for room for the 4-byte extender too, but some writers omit it; data that
  // starts right after the header is still unambiguous.
  const minOffset = h.version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (!Number.isInteger(h.voxOffset) || h.voxOffset < minOffset) {
    throw new VolumeError(file, `bad vox_offset ${h.voxOffset} (must be an integer ≥ ${minOffset})`);
  }
  const gap = h.voxOffset - minOffset;
  if (gap > MAX_EXTENSION_BYTES) {
    throw new VolumeError(file, `vox_offset ${h.voxOffset} puts the voxel data ${formatBytes(gap)} past the header; header extensions may take at most ${formatBytes(MAX_EXTENSION_BYTES)}, so vox_offset is corrupt`);
  }
  const scaled = isScaled(h);
  const parts = heldBytes(voxels, datatype, scaled);
  const held = parts.source + parts.float32 + parts.exact + gap;
  if (held > limits.maxBytes) {
    const items = [
      `${formatBytes(parts.source)} ${datatype} voxels`,
      `${formatBytes(parts.float32)} float32 copy`,
      ...(parts.exact ? [`${formatBytes(parts.exact)} exact float64 copy of the scaled values`] : []),
      // The 4-byte extender and alignment padding are not worth naming; real extensions are.
      ...(gap > 64 ? [`${formatBytes(gap)} header extensions (vox_offset ${h.voxOffset})`] : []),
    ];
    throw new VolumeError(
      file,
      `dims ${dims.join('×')} (dim[1..3]) of ${datatype} (datatype ${h.datatypeCode}) would hold ${formatBytes(held)} in memory (${items.join(' + ')}), over the ${formatBytes(limits.maxBytes)} limit for one volume${limits.limitHint ? `; ${limits.limitHint}` : ''}`,
    );
  }
  return { dims, datatype, voxels, totalBytes: h.voxOffset + voxels * bpv, scaled };
}
