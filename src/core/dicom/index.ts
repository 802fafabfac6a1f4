/** DICOM in and out: scanning dropped files, converting a series, SEG and derived series. */
export * from './types.ts';
export { scanDicom, fileList } from './scan.ts';
export { transferSyntaxName, transferSyntaxSupported, transferSyntaxBitLimit } from './transferSyntax.ts';
export { lpsToRas, sliceNormal, seriesAffine, seriesSummary, formatMm } from './seriesGeometry.ts';
export { convertSeries, seriesLabel, type ConvertOptions, type ConvertResult } from './convert.ts';
export { readSeg, masksToLabelVolume, segmentLabelMatch, SEG_GRID_TOLERANCE_VOXEL, FRACTIONAL_THRESHOLD, type SegReadResult, type SegSegmentInfo, type SegmentLabelMatch } from './segRead.ts';
export { writeSeg, type SegSegment, type WriteSegOptions } from './segWrite.ts';
export { writeDerivedSeries, chooseRescale, type DerivedSeriesOptions } from './derivedSeries.ts';
export { deidentify, IDENTIFYING_KEYWORDS, isIdentifyingKeyword } from './deidentify.ts';
export { seriesUidOf, studyUidOf, frameOfReferenceUidOf, type WriterOptions } from './derivedObject.ts';
export { randomUid, nameUid, type UidSource } from './uid.ts';
