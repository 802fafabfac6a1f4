/**
 * The DICOM side of the workbench: what a scan of dropped files / a folder finds, and what the
 * converter, the SEG reader/writer and the derived-series writer exchange. Pure data; the dcm2niix
 * WASM module is injected by the entry points (src/node, src/app) so core never loads it.
 *
 * Coordinates: DICOM patient coordinates are LPS millimetres; our volumes are NIfTI RAS+
 * (src/core/volume.ts). Conversions between the two negate x and y.
 */
import type { Vec3 } from '../volume.ts';

/** One input file: `name` is its path relative to the dropped folder (or its file name). */
export interface DicomFileInput {
  name: string;
  bytes: Uint8Array;
}

/** A dcmjs naturalized dataset (keyword → value), without PixelData. */
export type DicomDataset = Record<string, unknown>;

/** One image slice of a series, headers only. */
export interface DicomSliceHeader {
  file: string;
  sopInstanceUID: string;
  sopClassUID: string;
  instanceNumber: number | null;
  /** ImagePositionPatient, LPS mm. */
  position: Vec3;
  /** ImageOrientationPatient: row direction cosines then column direction cosines (LPS). */
  orientation: [number, number, number, number, number, number];
  /** The file's full header (naturalized), PixelData removed; source of the Patient/Study modules. */
  dataset: DicomDataset;
}

export interface DicomSeries {
  seriesInstanceUID: string;
  studyInstanceUID: string;
  frameOfReferenceUID: string | null;
  description: string;
  seriesNumber: number | null;
  modality: string;
  rows: number;
  columns: number;
  /** PixelSpacing: [between rows (mm), between columns (mm)]. */
  pixelSpacing: [number, number];
  /** Distance between consecutive slice positions along the normal (median), mm. */
  sliceSpacing: number;
  transferSyntaxUID: string;
  /** A human name for the transfer syntax ("JPEG 2000 Image Compression (Lossless Only)"). */
  transferSyntaxName: string;
  /** Sorted along the slice normal (ascending position · normal). */
  slices: DicomSliceHeader[];
  /** Why this series cannot be converted (missing slice, inconsistent spacing, …), each naming file(s). Empty = convertible. */
  problems: string[];
}

export interface DicomSegmentInfo {
  number: number;
  label: string;
  /** SegmentedPropertyTypeCodeSequence CodeMeaning, when present. */
  type: string | null;
  category: string | null;
}

/** A DICOM SEG object found among the files (headers only; frames decoded by the SEG reader). */
export interface DicomSegObject {
  file: string;
  seriesInstanceUID: string;
  /** The image series it references (ReferencedSeriesSequence), or null when it names none. */
  referencedSeriesUID: string | null;
  segments: DicomSegmentInfo[];
}

export interface DicomSkipped {
  file: string;
  reason: string;
}

export interface DicomScan {
  series: DicomSeries[];
  segs: DicomSegObject[];
  /** Files left out and why: not DICOM, localiser, non-image object (SR, presentation state, …). */
  skipped: DicomSkipped[];
}

/**
 * The Emscripten module of dcm2niix's WASM build (@niivue/dcm2niix, "jpeg" build: OpenJPEG +
 * CharLS). One instance converts once: callMain cannot be re-entered, so a factory is passed.
 */
export interface Dcm2niixModule {
  FS: {
    mkdir(path: string): void;
    writeFile(path: string, data: Uint8Array): void;
    readFile(path: string): Uint8Array;
    readdir(path: string): string[];
  };
  callMain(args: string[]): number;
}
export type Dcm2niixFactory = (opts: { print: (s: string) => void; printErr: (s: string) => void }) => Promise<Dcm2niixModule>;

/** Progress of a conversion, for a progress bar: stage and done/total within it. */
export interface DicomProgress {
  stage: 'reading' | 'scanning' | 'converting' | 'checking';
  done: number;
  total: number;
}

/** Whether written DICOM/NIfTI keeps patient-identifying fields (default: no). */
export interface PrivacyOptions {
  keepIdentifiers: boolean;
}
