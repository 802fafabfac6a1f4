/**
 * Writing a label volume as a binary DICOM Segmentation (PS3.3 A.51) that references its source
 * series, for 3D Slicer, OHIF and PACS.
 *
 * - One segment per SegSegment (numbered 1..n in the given order), one frame per (segment, source
 *   slice holding that segment's voxels); a segment without voxels still gets one empty frame, as
 *   some viewers refuse a segment that no frame shows.
 * - Frames lie on the source slices (same IPP/IOP/PixelSpacing/Rows/Columns), so the label volume
 *   must be on the grid the series converts to; each slice is matched by world position, not by
 *   index, and a slice that does not fit is refused naming its file.
 * - References: ReferencedSeriesSequence lists every source instance; each frame's
 *   DerivationImageSequence/SourceImageSequence names its source slice. Study and Frame of
 *   Reference UIDs are the source's (see deidentify.ts for why they survive de-identification).
 * - Dimensions: (ReferencedSegmentNumber, ImagePositionPatient), frames ordered segment-major then
 *   along the slice normal.
 */
import { VolumeError } from '../errors.ts';
import { ORGANS, type Organ } from '../labels.ts';
import type { LabelVolume } from '../volume.ts';
import { voxelCount } from '../volume.ts';
import {
  checkLongString,
  dicomDateTime,
  dsList,
  equipment,
  patientStudyModules,
  roundedMm,
  seriesUidOf,
  sliceReference,
  uidSource,
  type WriterOptions,
} from './derivedObject.ts';
import { writePart10 } from './part10.ts';
import { planeOnGrid, type PlaneOnGrid } from './planeGrid.ts';
import { labelDicomLab, SEGMENTATION_DERIVATION, segmentCodes, SOURCE_IMAGE_PURPOSE } from './segCodes.ts';
import { SEG_GRID_TOLERANCE_VOXEL, SEGMENTATION_STORAGE } from './segRead.ts';
import type { DicomDataset, DicomSeries } from './types.ts';

export interface SegSegment {
  /** Project label id (src/core/labels.ts) whose voxels form this segment. */
  labelId: number;
  /** SegmentLabel (≤ 64 characters), e.g. "Liver tumour". */
  label: string;
  /** SegmentDescription, e.g. "synthetic liver tumour, medium, P = 0.83". */
  description: string;
  /** For a tumour id: the organ it grows in, when not the one the id implies. */
  organ?: string;
}

export interface WriteSegOptions extends WriterOptions {
  seriesDescription?: string;
  seriesNumber?: number;
  /** ContentCreatorName (PN, e.g. "Doe^Jane"); default the software, "FreeTumor Workbench^". */
  contentCreatorName?: string;
}

export const DEFAULT_SEG_SERIES_NUMBER = 1001;
export const SEG_ALGORITHM_NAME = 'FreeTumor';
/** PN with the software's name as family name; the caret keeps it out of the retired no-component form. */
export const DEFAULT_CONTENT_CREATOR = 'FreeTumor Workbench^';

const TAG_REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const TAG_SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;
const TAG_IMAGE_POSITION_PATIENT = 0x00200032;
const TAG_PLANE_POSITION_SEQUENCE = 0x00209113;

function segmentItem(seg: SegSegment, number: number, where: string): DicomDataset {
  let organ: Organ | undefined;
  if (seg.organ !== undefined) {
    if (!(ORGANS as readonly string[]).includes(seg.organ)) {
      throw new VolumeError(where, `segment '${seg.label}': unknown organ '${seg.organ}' (known: ${ORGANS.join(', ')})`);
    }
    organ = seg.organ as Organ;
  }
  const codes = segmentCodes(seg.labelId, organ);
  if (!codes) throw new VolumeError(where, `segment '${seg.label}': label id ${seg.labelId} is not a project label`);
  if (seg.label.trim() === '') throw new VolumeError(where, `segment ${number} has an empty label`);
  if (seg.description.length > 1024) throw new VolumeError(where, `segment '${seg.label}': description longer than 1024 characters`);
  const item: DicomDataset = {
    SegmentNumber: number,
    SegmentLabel: checkLongString(seg.label, 'SegmentLabel', where),
    SegmentDescription: seg.description,
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: SEG_ALGORITHM_NAME,
    SegmentedPropertyCategoryCodeSequence: [{ ...codes.category }],
    SegmentedPropertyTypeCodeSequence: [{ ...codes.type }],
    RecommendedDisplayCIELabValue: labelDicomLab(seg.labelId),
  };
  if (codes.anatomicRegion) item.AnatomicRegionSequence = [{ ...codes.anatomicRegion }];
  return item;
}

/** Pack frames' 0/1 pixels into one LSB-first bit stream, padded to an even byte count. */
function packBits(nBits: number): { bytes: Uint8Array; set: (bit: number) => void } {
  const n = Math.ceil(nBits / 8);
  const bytes = new Uint8Array(n + (n % 2));
  return { bytes, set: (bit) => (bytes[bit >> 3] |= 1 << (bit & 7)) };
}

export function writeSeg(labels: LabelVolume, source: DicomSeries, segments: SegSegment[], opts: WriteSegOptions): Uint8Array<ArrayBuffer> {
  const where = `SEG of series ${source.description || source.seriesInstanceUID || '(unnamed)'}`;
  if (segments.length === 0) throw new VolumeError(where, 'no segments to write');
  if (source.slices.length === 0) throw new VolumeError(where, 'the source series has no slices');
  if (labels.data.length !== voxelCount(labels.dims)) {
    throw new VolumeError(where, `label volume has ${labels.data.length} voxels for dims ${labels.dims.join('×')}`);
  }
  const ids = new Set<number>();
  for (const s of segments) {
    if (ids.has(s.labelId)) throw new VolumeError(where, `label id ${s.labelId} is given to two segments`);
    ids.add(s.labelId);
  }
  const { rows, columns } = source;
  const newUid = uidSource(opts);
  const segItems = segments.map((s, n) => segmentItem(s, n + 1, where));

  // Place every source slice on the label grid, and note which labels each slice holds.
  const places: PlaneOnGrid[] = source.slices.map((slice) => {
    const p = planeOnGrid(
      { position: slice.position, orientation: slice.orientation, pixelSpacing: source.pixelSpacing, rows, columns },
      labels,
      SEG_GRID_TOLERANCE_VOXEL,
    );
    if (typeof p === 'string') throw new VolumeError(slice.file, `does not lie on the label volume's grid: slice ${p}`);
    return p;
  });
  const present = places.map((place) => {
    const seen = new Uint8Array(256);
    for (let r = 0; r < rows; r++) {
      let idx = place.base + r * place.rowStride;
      for (let c = 0; c < columns; c++, idx += place.colStride) seen[labels.data[idx]] = 1;
    }
    return seen;
  });
  const frames: { seg: number; slice: number }[] = [];
  segments.forEach((s, n) => {
    const before = frames.length;
    present.forEach((seen, k) => {
      if (seen[s.labelId]) frames.push({ seg: n + 1, slice: k });
    });
    if (frames.length === before) frames.push({ seg: n + 1, slice: 0 });
  });

  const framePixels = rows * columns;
  const bits = packBits(frames.length * framePixels);
  frames.forEach((f, n) => {
    const id = segments[f.seg - 1].labelId;
    const place = places[f.slice];
    let bit = n * framePixels;
    for (let r = 0; r < rows; r++) {
      let idx = place.base + r * place.rowStride;
      for (let c = 0; c < columns; c++, idx += place.colStride, bit++) if (labels.data[idx] === id) bits.set(bit);
    }
  });

  const { date, time } = dicomDateTime(opts.now ?? new Date());
  const refs = source.slices.map(sliceReference);
  const dimensionOrganizationUID = newUid();
  const first = source.slices[0].dataset;
  const sliceThickness = Number(first.SliceThickness) > 0 ? Number(first.SliceThickness) : source.sliceSpacing;
  const seriesDescription = checkLongString(opts.seriesDescription ?? 'FreeTumor segmentation', 'SeriesDescription', where);
  const ds: DicomDataset = {
    _vrMap: { PixelData: 'OB' },
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: SEGMENTATION_STORAGE,
    SOPInstanceUID: newUid(),
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    ...patientStudyModules(source, opts),
    // General Series / Segmentation Series
    Modality: 'SEG',
    SeriesInstanceUID: newUid(),
    SeriesNumber: opts.seriesNumber ?? DEFAULT_SEG_SERIES_NUMBER,
    SeriesDescription: seriesDescription,
    SeriesDate: date,
    SeriesTime: time,
    ...equipment(opts),
    // General Image / Segmentation Image / Multi-frame Functional Groups
    ImageType: ['DERIVED', 'PRIMARY'],
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    ContentLabel: 'FREETUMOR',
    ContentDescription: seriesDescription,
    ContentCreatorName: [{ Alphabetic: opts.contentCreatorName ?? DEFAULT_CONTENT_CREATOR }],
    BurnedInAnnotation: 'NO',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: segItems,
    NumberOfFrames: frames.length,
    // Multi-frame Dimension
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUID }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUID,
        DimensionIndexPointer: TAG_REFERENCED_SEGMENT_NUMBER,
        FunctionalGroupPointer: TAG_SEGMENT_IDENTIFICATION_SEQUENCE,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUID,
        DimensionIndexPointer: TAG_IMAGE_POSITION_PATIENT,
        FunctionalGroupPointer: TAG_PLANE_POSITION_SEQUENCE,
        DimensionDescriptionLabel: 'ImagePositionPatient',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: dsList(source.slices[0].orientation) }],
        PixelMeasuresSequence: [
          {
            PixelSpacing: dsList(source.pixelSpacing),
            SliceThickness: roundedMm(sliceThickness),
            SpacingBetweenSlices: roundedMm(source.sliceSpacing),
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: frames.map((f) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [{ ...refs[f.slice], PurposeOfReferenceCodeSequence: [{ ...SOURCE_IMAGE_PURPOSE }] }],
          DerivationCodeSequence: [{ ...SEGMENTATION_DERIVATION }],
        },
      ],
      FrameContentSequence: [{ DimensionIndexValues: [f.seg, f.slice + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: dsList(source.slices[f.slice].position) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.seg }],
    })),
    // Common Instance Reference
    ReferencedSeriesSequence: [{ SeriesInstanceUID: seriesUidOf(source), ReferencedInstanceSequence: refs.map((r) => ({ ...r })) }],
    PixelData: [bits.bytes.buffer],
  };
  return writePart10(ds);
}
