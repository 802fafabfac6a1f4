import type { DicomProgress, DicomScan, DicomSegmentInfo } from '../../core/dicom/types.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';

/** The voxel grid of the open image (the converted series): SEG frames are placed on it. */
export interface Grid {
  dims: Vec3;
  affine: Mat4;
}

/** A file as the page hands it over: the worker reads the bytes, so the page never holds them. */
export interface DroppedFile {
  /** Path relative to the dropped or picked folder, or the file name. */
  name: string;
  file: Blob;
}

export interface Scanned {
  /** Names the drop whose files the session holds; later calls quote it. */
  scanId: number;
  scan: DicomScan;
}

export interface Converted {
  /** gzip NIfTI written by core's writer: float32 HU, no header text from the DICOM. */
  nifti: Uint8Array;
  grid: Grid;
  /**
   * The UID a SEG of this series references: its SeriesInstanceUID, or, for a series exported
   * without one, the stable UID the app's own SEG writer gives it.
   */
  referenceUID: string;
  log: string[];
}

export interface SegDecoded {
  /** Names the decoded masks the session holds until segLabels. */
  segId: number;
  segments: DicomSegmentInfo[];
  referencedSeriesUID: string | null;
  /** segmentLabelMatch's guesses: segment number → project label id. */
  mapping: [number, number][];
  unmatched: DicomSegmentInfo[];
  /** Voxels of each segment's mask on the grid: [segment number, count]. */
  voxels: [number, number][];
}

export interface SegLabels {
  /** gzip uint8 NIfTI on the grid, project label ids. */
  nifti: Uint8Array;
  voxels: number;
}

/** What the DICOM opener asks for: the worker in the app, a DicomSession directly in Node tests. */
export interface DicomBackend {
  scan(files: DroppedFile[], onProgress?: (p: DicomProgress) => void): Promise<Scanned>;
  convert(scanId: number, seriesUID: string, onProgress?: (p: DicomProgress) => void): Promise<Converted>;
  readSeg(scanId: number, file: string, grid: Grid): Promise<SegDecoded>;
  /** mapping: segment number → project label id; segments left out are ignored. */
  segLabels(segId: number, mapping: [number, number][]): Promise<SegLabels>;
  /** Forget the files and masks held for that drop (a later drop's are kept). */
  release(scanId: number): void;
}

export type MainToDicom =
  | { type: 'scan'; requestId: number; files: DroppedFile[] }
  | { type: 'convert'; requestId: number; scanId: number; seriesUID: string }
  | { type: 'readSeg'; requestId: number; scanId: number; file: string; grid: Grid }
  | { type: 'segLabels'; requestId: number; segId: number; mapping: [number, number][] }
  | { type: 'release'; scanId: number };

export type DicomToMain =
  | { type: 'progress'; requestId: number; progress: DicomProgress }
  | ({ type: 'scanned'; requestId: number } & Scanned)
  | ({ type: 'converted'; requestId: number } & Converted)
  | ({ type: 'segRead'; requestId: number } & SegDecoded)
  | ({ type: 'segLabels'; requestId: number } & SegLabels)
  | { type: 'error'; requestId: number; message: string };
