/** Messages between the reader study's prepare page and its worker (synthesis never runs on the page). */
import type { Organ } from '../../core/labels.ts';
import type { ModelSlot } from '../qualityLab/messages.ts';
import type { PrepCase, PrepOptions } from './prepare.ts';
import type { QualityMix } from './qualityMix.ts';
import type { ModelRef, Study } from './types.ts';

/** A checkpoint loaded into the study worker, as Prepare shows it. */
export interface StudyModelInfo extends ModelRef {
  slot: ModelSlot;
  patch: [number, number, number];
  spacingMm: number;
  labelScheme: string | null;
  /** A specialist segmentor's organ: synthetic items are then placed in that organ only. */
  organ?: Organ | null;
  /** A 3-class PyTorch .pt does not say its organ: `organ` is the user's choice (default liver). */
  organChosen?: boolean;
}

export type BuildOptions = Omit<PrepOptions, 'synthesis' | 'onProgress' | 'shouldStop'>;

export type SynthesisChoice = { method: 'handcrafted' } | { method: 'generator'; threshold: number; mix: QualityMix; maxAttempts: number };

export type MainToStudy =
  | { type: 'loadModel'; requestId: number; slot: ModelSlot; fileName: string; bytes: Uint8Array }
  | { type: 'unloadModel'; slot: ModelSlot }
  | { type: 'setSegmentorOrgan'; requestId: number; organ: Organ }
  | { type: 'build'; requestId: number; cases: PrepCase[]; options: BuildOptions; synthesis: SynthesisChoice }
  | { type: 'cancel'; requestId: number };

export type StudyToMain =
  | { type: 'backend'; backend: string; failures: { name: string; error: string }[] }
  | { type: 'modelLoaded'; requestId: number; info: StudyModelInfo }
  | { type: 'progress'; requestId: number; done: number; total: number; phase: string }
  | { type: 'built'; requestId: number; study: Study }
  | { type: 'cancelled'; requestId: number }
  | { type: 'error'; requestId: number | null; message: string };
