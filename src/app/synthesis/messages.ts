import type { DicomSeries } from '../../core/dicom/types.ts';
import type { LabelMap, Organ } from '../../core/labels.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { TumourInfo } from '../stores/synthesisStore.ts';

/** The case as loaded: the very bytes niivue was given, so the worker sees what the viewer shows. */
export interface CaseFiles {
  image: { name: string; bytes: Uint8Array };
  label: { name: string; bytes: Uint8Array };
  /** How the label file's ids read in the project scheme (the scheme currently chosen). */
  labelMap: LabelMap;
}

/** The options of one synthesis: the same ones `freetumor simulate` takes. */
export interface SynthesisOptions {
  organ: Organ;
  sizeClass: SizeClass | null;
  seed: number;
  count: number;
  avoidVessels: { enabled: boolean; huThreshold: number };
  /** Centre voxel of the first tumour (placement by click); null = drawn. */
  centre: Vec3 | null;
}

export type MainToWorker =
  | { type: 'setCase'; caseId: number; files: CaseFiles }
  | { type: 'synthesize'; requestId: number; caseId: number; options: SynthesisOptions }
  | { type: 'export'; requestId: number; caseId: number }
  /** SEG + derived series of the last result, against the series the case was converted from. */
  | { type: 'exportDicom'; requestId: number; caseId: number; source: DicomSeries; keepIdentifiers: boolean };

export interface SynthesisReply {
  type: 'synthesized';
  requestId: number;
  /** The synthetic image in HU (float32), image grid. */
  image: Float32Array;
  /** The tumour mask M: 2/4/6 (project tumour id) inside tumours, 0 elsewhere. */
  tumourLabel: Uint8Array;
  tumours: TumourInfo[];
  darkening: number;
  elapsedMs: number;
}

export type WorkerToMain =
  | SynthesisReply
  | { type: 'exported'; requestId: number; image: Uint8Array; label: Uint8Array; elapsedMs: number }
  | { type: 'exportedDicom'; requestId: number; zip: Uint8Array; files: number; elapsedMs: number }
  | { type: 'error'; requestId: number; message: string };
