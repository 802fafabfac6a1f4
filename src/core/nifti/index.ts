/**
 * NIfTI-1/2 reading and writing, .nii and .nii.gz, in plain TypeScript for Node and browsers.
 *
 * Decisions (see read.ts / write.ts for details):
 * - Voxel data is float32 in scaled units (scl_slope/scl_inter applied; slope 0 or NaN = none).
 *   float64 files are narrowed to float32, int32 values beyond ±2^24 lose precision.
 * - Affine: sform if sform_code > 0, else qform, else pixdim scaling (NIfTI method 1).
 * - Only single 3-D volumes: dim[4..7] > 1 is refused, not cut to the first volume.
 * - Sizes must match exactly: trailing bytes after the voxel data are an error, like missing ones.
 * - Non-finite values after scaling are an error; so is a volume over `maxVoxels`.
 * - Writing: datatype defaults to the array's type; float output has slope 1 / intercept 0;
 *   integer output reuses the source header's scaling; geometry fields are copied verbatim
 *   when the volume's affine equals the source header's.
 */
export { readNifti, type NiftiImage, type ReadNiftiOptions } from './read.ts';
export { writeNifti, datatypeOfArray, type WriteNiftiOptions } from './write.ts';
export { toLabelVolume } from './labelVolume.ts';
export { checkSameGeometry } from './sameGeometry.ts';
export { affineFromHeader, qformFromAffine, type AffineSource } from './affine.ts';
export { isGzip } from './gzip.ts';
export {
  DEFAULT_MAX_VOXELS,
  DATATYPE_CODES,
  BYTES_PER_VOXEL,
  type NiftiDatatype,
  type NiftiHeader,
} from './types.ts';
