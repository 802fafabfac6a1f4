/**
 * Reading a DICOM Segmentation (SEG) object onto the grid of the series it segments.
 *
 * - BINARY SEGs (BitsAllocated 1): PixelData is one bit stream over all frames, least significant
 *   bit first, so a frame may start in the middle of a byte; frames are not byte-aligned.
 * - FRACTIONAL SEGs (BitsAllocated 8, PROBABILITY or OCCUPANCY): a pixel belongs to the segment
 *   when its value is at least 50 % of MaximumFractionalValue (the threshold is stated in `notes`).
 * - LABELMAP SEGs and compressed pixel data are refused by name.
 * - Each frame is placed by its own PlanePositionSequence and the (per-frame or shared)
 *   PlaneOrientation / PixelMeasures, never by frame order; a frame that does not coincide with a
 *   grid slice (within SEG_GRID_TOLERANCE_VOXEL) is refused, naming the file and the frame.
 * - Frames of the same segment at the same position are OR-ed.
 */
import { VolumeError } from '../errors.ts';
import { ORGAN_IDS } from '../labels.ts';
import type { LabelVolume } from '../volume.ts';
import { voxelCount } from '../volume.ts';
import { firstItem, isUncompressedSyntax, items, numbers, pixelDataBytes, readPart10, text } from './part10.ts';
import { type Grid, planeOnGrid, type PlaneOnGrid } from './planeGrid.ts';
import type { DicomDataset, DicomFileInput, DicomSegmentInfo } from './types.ts';
export { segmentLabelMatch, type SegmentLabelMatch } from './segLabelMatch.ts';

const TUMOUR_IDS = new Set(Object.values(ORGAN_IDS).map((o) => o.tumor));

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
const LABEL_MAP_SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.7';

/**
 * How far (in voxels) a SEG frame's pixel centres may lie from the grid's voxel centres. Writers
 * round positions to a few decimals of a millimetre; a real misfit (another grid, half-voxel shift)
 * is far larger.
 */
export const SEG_GRID_TOLERANCE_VOXEL = 0.05;

/** Fraction of MaximumFractionalValue at or above which a FRACTIONAL SEG pixel counts as inside. */
export const FRACTIONAL_THRESHOLD = 0.5;

/** A segment as the SEG describes it; `anatomicRegion` tells a "Neoplasm" of which organ. */
export interface SegSegmentInfo extends DicomSegmentInfo {
  anatomicRegion: string | null;
  description: string | null;
}

export interface SegReadResult {
  segments: SegSegmentInfo[];
  /** The series the SEG references (first ReferencedSeriesSequence item), or null. */
  referencedSeriesUID: string | null;
  /** Segment number → 0/1 mask on the grid (every segment of the SegmentSequence, possibly empty). */
  masks: Map<number, Uint8Array>;
  /** What the reader decided that a user may want to know (fractional threshold, frame count). */
  notes: string[];
}

function segmentInfo(item: DicomDataset): SegSegmentInfo {
  const meaning = (seq: unknown): string | null => {
    const m = text(firstItem(seq)?.CodeMeaning);
    return m === '' ? null : m;
  };
  const description = text(item.SegmentDescription);
  return {
    number: Number(item.SegmentNumber),
    label: text(item.SegmentLabel),
    type: meaning(item.SegmentedPropertyTypeCodeSequence),
    category: meaning(item.SegmentedPropertyCategoryCodeSequence),
    anatomicRegion: meaning(item.AnatomicRegionSequence),
    description: description === '' ? null : description,
  };
}

/** A functional group macro from the frame's own item, else the shared one. */
function group(perFrame: DicomDataset | undefined, shared: DicomDataset | undefined, key: string): DicomDataset | undefined {
  return firstItem(perFrame?.[key]) ?? firstItem(shared?.[key]);
}

export function readSeg(file: DicomFileInput, grid: Grid): SegReadResult {
  const fail = (problem: string): never => {
    throw new VolumeError(file.name, problem);
  };
  const { meta, dataset: ds, transferSyntaxUID } = readPart10(file);
  const sopClass = text(ds.SOPClassUID) || text(meta.MediaStorageSOPClassUID);
  if (sopClass === LABEL_MAP_SEGMENTATION_STORAGE) fail('is a label-map SEG (LABELMAP), which this reader does not support');
  if (sopClass !== SEGMENTATION_STORAGE) {
    fail(`is not a DICOM SEG (SOP class ${sopClass || 'missing'}, modality ${text(ds.Modality) || 'missing'})`);
  }
  if (!isUncompressedSyntax(transferSyntaxUID)) {
    fail(`has compressed pixel data (transfer syntax ${transferSyntaxUID}); only uncompressed SEGs are read`);
  }
  const segType = text(ds.SegmentationType).toUpperCase();
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  const nFrames = Number(ds.NumberOfFrames ?? 1);
  const bits = Number(ds.BitsAllocated);
  if (!(rows > 0 && columns > 0 && nFrames > 0)) fail(`has no valid Rows/Columns/NumberOfFrames (${ds.Rows}×${ds.Columns}, ${ds.NumberOfFrames})`);
  const notes: string[] = [];
  let threshold = 1;
  if (segType === 'BINARY') {
    if (bits !== 1) fail(`is a BINARY SEG with BitsAllocated ${bits} (must be 1)`);
  } else if (segType === 'FRACTIONAL') {
    if (bits !== 8) fail(`is a FRACTIONAL SEG with BitsAllocated ${bits} (must be 8)`);
    const max = Number(ds.MaximumFractionalValue);
    if (!(max > 0 && max <= 255)) fail(`is a FRACTIONAL SEG without a valid MaximumFractionalValue (${ds.MaximumFractionalValue})`);
    threshold = Math.max(1, Math.ceil(FRACTIONAL_THRESHOLD * max));
    notes.push(
      `fractional SEG (${text(ds.SegmentationFractionalType) || 'type unstated'}): pixels at or above ` +
        `${FRACTIONAL_THRESHOLD * 100} % of MaximumFractionalValue ${max} (value ≥ ${threshold}) count as inside`,
    );
  } else if (segType === 'LABELMAP') {
    fail('is a label-map SEG (SegmentationType LABELMAP), which this reader does not support');
  } else {
    fail(`has an unknown SegmentationType '${segType || 'missing'}'`);
  }

  const segments = items(ds.SegmentSequence).map(segmentInfo);
  if (segments.length === 0) fail('has no SegmentSequence items');
  const masks = new Map<number, Uint8Array>();
  const nVox = voxelCount(grid.dims);
  for (const s of segments) {
    if (!Number.isInteger(s.number) || s.number < 1) fail(`has a segment with invalid SegmentNumber '${s.number}'`);
    if (masks.has(s.number)) fail(`has SegmentNumber ${s.number} twice`);
    masks.set(s.number, new Uint8Array(nVox));
  }

  const pixels = pixelDataBytes(ds.PixelData);
  const framePixels = rows * columns;
  const needBytes = bits === 1 ? Math.ceil((nFrames * framePixels) / 8) : nFrames * framePixels;
  if (pixels.length < needBytes) {
    fail(`PixelData holds ${pixels.length} bytes; ${nFrames} frames of ${rows}×${columns} need ${needBytes}`);
  }
  const shared = firstItem(ds.SharedFunctionalGroupsSequence);
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  if (perFrame.length !== nFrames) fail(`has ${perFrame.length} PerFrameFunctionalGroupsSequence items for ${nFrames} frames`);

  const placements = new Map<string, PlaneOnGrid>();
  for (let f = 0; f < nFrames; f++) {
    const pf = perFrame[f];
    const segNo = Number(group(pf, shared, 'SegmentIdentificationSequence')?.ReferencedSegmentNumber);
    const mask = masks.get(segNo);
    if (!mask) fail(`frame ${f + 1} references segment ${segNo}, which the SegmentSequence does not define`);
    const position = numbers(group(pf, shared, 'PlanePositionSequence')?.ImagePositionPatient);
    const orientation = numbers(group(pf, shared, 'PlaneOrientationSequence')?.ImageOrientationPatient);
    const spacing = numbers(group(pf, shared, 'PixelMeasuresSequence')?.PixelSpacing);
    if (position.length !== 3 || position.some((x) => !Number.isFinite(x))) fail(`frame ${f + 1} has no valid ImagePositionPatient`);
    if (orientation.length !== 6) fail(`frame ${f + 1} has no valid ImageOrientationPatient`);
    if (spacing.length !== 2) fail(`frame ${f + 1} has no valid PixelSpacing`);
    const key = [...position, ...orientation, ...spacing].join(',');
    let place = placements.get(key);
    if (!place) {
      const p = planeOnGrid(
        { position: [position[0], position[1], position[2]], orientation, pixelSpacing: spacing, rows, columns },
        grid,
        SEG_GRID_TOLERANCE_VOXEL,
      );
      if (typeof p === 'string') fail(`frame ${f + 1} (segment ${segNo}) ${p}`);
      place = p as PlaneOnGrid;
      placements.set(key, place);
    }
    decodeFrame(pixels, f, rows, columns, bits, threshold, place, mask!);
  }
  notes.push(`${nFrames} frame(s), ${segments.length} segment(s)`);
  const ref = firstItem(ds.ReferencedSeriesSequence);
  const refUid = text(ref?.SeriesInstanceUID);
  return { segments, referencedSeriesUID: refUid === '' ? null : refUid, masks, notes };
}

function decodeFrame(
  pixels: Uint8Array,
  frame: number,
  rows: number,
  columns: number,
  bits: number,
  threshold: number,
  place: PlaneOnGrid,
  mask: Uint8Array,
): void {
  const start = frame * rows * columns;
  for (let r = 0; r < rows; r++) {
    let idx = place.base + r * place.rowStride;
    let p = start + r * columns;
    for (let c = 0; c < columns; c++, p++, idx += place.colStride) {
      const on = bits === 1 ? (pixels[p >> 3] >> (p & 7)) & 1 : pixels[p] >= threshold ? 1 : 0;
      if (on) mask[idx] = 1;
    }
  }
}

/**
 * Combine segment masks into one project label volume. Segments without a mapping are left out.
 * Tumour labels are painted after organ labels so a lesion inside its organ keeps the tumour id
 * whatever the segment order.
 */
export function masksToLabelVolume(masks: Map<number, Uint8Array>, mapping: Map<number, number>, grid: Grid): LabelVolume {
  const n = voxelCount(grid.dims);
  const data = new Uint8Array(n);
  const isTumour = (id: number): boolean => TUMOUR_IDS.has(id);
  const order = [...mapping.entries()]
    .filter(([seg]) => masks.has(seg))
    .sort((a, b) => Number(isTumour(a[1])) - Number(isTumour(b[1])) || a[0] - b[0]);
  for (const [seg, id] of order) {
    const m = masks.get(seg)!;
    if (m.length !== n) throw new Error(`masksToLabelVolume: mask of segment ${seg} has ${m.length} voxels, grid ${n}`);
    for (let i = 0; i < n; i++) if (m[i]) data[i] = id;
  }
  return { dims: [...grid.dims], affine: [...grid.affine], data };
}
