/**
 * NIfTI-1/2 reading and writing, .nii and .nii.gz, in plain TypeScript for Node and browsers.
 *
 * Decisions (see read.ts / write.ts / decode.ts for details):
 * - Voxel data is float32 in scaled units (scl_slope/scl_inter applied; slope 0 or NaN = none).
 *   int32 and float64 values that float32 rounds are also kept exactly (NiftiImage.exact) and
 *   written back exactly; values beyond float32's range are refused.
 * - Affine: sform if sform_code > 0, else qform, else pixdim scaling (NIfTI method 1).
 * - Only single 3-D volumes: dim[4..7] > 1 is refused, not cut to the first volume.
 * - Sizes must match exactly: trailing bytes after the voxel data are an error, like missing ones.
 * - Memory: a volume whose source voxels + float32 copy exceed `maxBytes` (default 2 GiB), or
 *   whose vox_offset leaves more than 64 MiB for extensions, is refused from its header, before
 *   any voxel is inflated or read.
 * - Writing: datatype defaults to the array's type; float output has slope 1 / intercept 0;
 *   integer output reuses the source header's scaling; geometry fields are copied verbatim
 *   when the volume's affine equals the source header's.
 */
export { readNifti, expectedFileSize, type NiftiImage, type ReadNiftiOptions } from './read.ts';
export { writeNifti, datatypeOfArray, type WriteNiftiOptions } from './write.ts';
export { toLabelVolume } from './labelVolume.ts';
export { checkSameGeometry } from './sameGeometry.ts';
export { affineFromHeader, qformFromAffine, type AffineSource } from './affine.ts';
export { isGzip } from './gzip.ts';
export { DEFAULT_MAX_BYTES, MAX_EXTENSION_BYTES, formatBytes } from './limits.ts';
export {
  DATATYPE_CODES,
  BYTES_PER_VOXEL,
  type NiftiDatatype,
  type NiftiHeader,
} from './types.ts';
