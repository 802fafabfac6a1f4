/**
 * How much memory one read volume may take. The budget is in bytes held, not voxels, because a
 * float64 file costs three times an int16 one of the same size; it is checked from the header
 * alone, before the voxel data is inflated or read, so a small file that declares a huge volume
 * costs nothing.
 */
import type { NiftiDatatype } from './types.ts';
import { BYTES_PER_VOXEL } from './types.ts';

const MiB = 1024 * 1024;

/**
 * Default budget: the source voxels plus their float32 copy. 2 GiB holds a 512×512×1365 int16 CT or
 * a 512×512×1024 float32 one, and refuses 512×512×1024 float64 (3 GiB).
 */
export const DEFAULT_MAX_BYTES = 2048 * MiB;

/**
 * The most header extension (the gap between the header and vox_offset) a file may carry. Real
 * extensions (DICOM tags, AFNI XML) are kilobytes to a few megabytes; anything near this is a corrupt
 * vox_offset, and it is carried into every file written from the volume.
 */
export const MAX_EXTENSION_BYTES = 64 * MiB;

/**
 * Bytes a read holds for `voxels` of `datatype`: the source voxels, the float32 copy, and, for
 * scaled int32 data, the float64 copy that keeps it exact (see decode.ts).
 */
export function heldBytes(voxels: number, datatype: NiftiDatatype, scaled: boolean): { source: number; float32: number; exact: number } {
  return {
    source: voxels * BYTES_PER_VOXEL[datatype],
    float32: voxels * 4,
    exact: scaled && datatype === 'int32' ? voxels * 8 : 0,
  };
}

/** "2 GiB", "600 MiB", or "1.5 KiB" for the small limits tests use. */
export function formatBytes(n: number): string {
  if (n >= 1024 * MiB) return `${+(n / (1024 * MiB)).toFixed(2)} GiB`;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
