import { create } from 'zustand';
import type { DicomProgress, DicomSeries, DicomSkipped } from '../../core/dicom/types.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';

/** The DICOM series behind the open case: its headers are what a SEG and a derived series reference. */
export interface DicomSource {
  series: DicomSeries;
  /** The converted image's voxel grid (NIfTI RAS+), on which SEG frames are placed. */
  grid: { dims: Vec3; affine: Mat4 };
  /** The converted image's name in the viewer, e.g. "example_ct_dicom.nii.gz". */
  imageName: string;
  /** The series UID a SEG of it references (derived when the series was exported without one). */
  referenceUID: string;
}

/** One series of a drop, as the chooser lists it. */
export interface SeriesChoice {
  uid: string;
  description: string;
  seriesNumber: number | null;
  slices: number;
  /** seriesSummary(): "CT Body 3.0 · #3 · 20 slices · 512×512 · 0.977×0.977×2 mm". */
  summary: string;
  /** "512×512 · 0.977×0.977×2 mm": pixels and voxel spacing. */
  geometry: string;
  transferSyntax: string;
  /** Why it cannot be opened (each naming files); empty = it can. */
  problems: string[];
}

/** One segment of a SEG, as the mapping dialog lists it. */
export interface SegmentChoice {
  number: number;
  label: string;
  type: string | null;
  voxels: number;
  /** segmentLabelMatch's project label id, or null when it found none. */
  guess: number | null;
}

export interface ChooserState {
  series: SeriesChoice[];
  skipped: DicomSkipped[];
}

export interface MappingState {
  file: string;
  segments: SegmentChoice[];
}

interface DicomState {
  /** Set while the open case came from DICOM; cleared when any other case opens. */
  source: DicomSource | null;
  /** Whether DICOM written by the app keeps patient-identifying fields; off unless the user ticks it. */
  keepIdentifiers: boolean;
  /** Reading / scanning / converting, for the progress bar; null when idle. */
  progress: (DicomProgress & { what: string }) | null;
  chooser: ChooserState | null;
  mapping: MappingState | null;
  setSource: (source: DicomSource) => void;
  clearSource: () => void;
  setKeepIdentifiers: (keep: boolean) => void;
  setProgress: (progress: (DicomProgress & { what: string }) | null) => void;
  setChooser: (chooser: ChooserState | null) => void;
  setMapping: (mapping: MappingState | null) => void;
  reset: () => void;
}

const initial = { source: null, keepIdentifiers: false, progress: null, chooser: null, mapping: null };

export const useDicomStore = create<DicomState>()((set) => ({
  ...initial,
  setSource: (source) => set({ source }),
  clearSource: () => set({ source: null }),
  setKeepIdentifiers: (keepIdentifiers) => set({ keepIdentifiers }),
  setProgress: (progress) => set({ progress }),
  setChooser: (chooser) => set({ chooser }),
  setMapping: (mapping) => set({ mapping }),
  reset: () => set({ ...initial }),
}));

/** A chooser or mapping dialog is up: the workbench's shortcuts wait (as under the help overlay). */
export function dicomHoldsKeyboard(): boolean {
  const s = useDicomStore.getState();
  return s.chooser !== null || s.mapping !== null;
}

/** Stage names for the progress bar. */
export const STAGE_NAMES: Record<DicomProgress['stage'], string> = {
  reading: 'Reading files',
  scanning: 'Scanning headers',
  converting: 'Converting (dcm2niix)',
  checking: 'Checking the volume',
};
