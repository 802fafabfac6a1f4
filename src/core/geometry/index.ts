/** Grid geometry: orientation, reorientation to RAS, resampling, crops and boxes. */
export { orientationCode, reorientToRAS, reorientFromRAS, type Geometry, type Reoriented } from './orientation.ts';
export { resample, resampledDims, type ResampleMode } from './resample.ts';
export { boundingBox, boxSize, cropOrPad, expandBox, padToAtLeast, shiftAffine, type Box } from './crop.ts';
export { assertFieldOfView, fieldOfViewAffine, fovSpacingMm, sampleFieldOfView, type FieldOfView } from './fieldOfView.ts';
