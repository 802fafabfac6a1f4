/**
 * Reader study ("can you tell real from synthetic tumours?", the paper's Fig. 7 as a measured
 * experiment). A study is an ordered list of items; each item is a NIfTI crop centred on one
 * lesion. What an item *is* (its truth, organ, size, provenance) lives in the answer key, which a
 * reader package does not carry.
 */
import type { Organ } from '../../core/labels.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { QualityMix } from './qualityMix.ts';

export type Truth = 'real' | 'synthetic';

/**
 * Where an item comes from. 'real-annotation': a tumour label the researcher vouches for as a real
 * tumour. 'mechanics-test': a label drawn to test the software, NOT a tumour (no redistributable CT
 * with a real tumour label ships with this repo). 'synthetic-handcrafted': made here by core
 * handcrafted synthesis (not quality-tested). 'synthetic-generator': made by the generator G with
 * Eq. 1 and scored by the segmentor S (the quality test).
 */
export type Provenance = 'real-annotation' | 'mechanics-test' | 'synthetic-handcrafted' | 'synthetic-generator';

/** A checkpoint a study's synthetic items were made / scored with. */
export interface ModelRef {
  fileName: string;
  /** SHA-256 (hex) of the checkpoint file's bytes. */
  sha256: string;
  networkName: string;
  /** Training step in the checkpoint's manifest. */
  step: number;
}

export interface QualityModels {
  generator: ModelRef;
  segmentor: ModelRef;
}

/** The quality test (generator-based discriminator) result; all null when it was not computed. */
export interface QualityResult {
  /** P = |M ∩ S(x̂)| / |M| on the model grid. */
  p: number | null;
  /** P ≥ threshold. */
  pass: boolean | null;
  /** Human-readable, e.g. "not tested (handcrafted synthesis)". */
  note: string;
  /** T the pass decision used (absent in files written before the quality test ran). */
  threshold?: number;
  /** G and S that made / scored the item (absent for handcrafted items and old files). */
  models?: QualityModels;
}

export type QualityStatus = 'passed' | 'failed' | 'not-tested' | 'n/a';

export const NOT_TESTED: QualityResult = {
  p: null,
  pass: null,
  note: 'not tested (handcrafted synthesis: no generator, no quality test)',
};

/**
 * How a study's synthetic items were made: answer-key side (a reader package drops it, since the
 * counts would tell a reader how many items are synthetic). Absent in files from before it existed.
 */
export interface SynthesisRecord {
  method: 'generator' | 'handcrafted';
  /** Quality-test threshold T; null for handcrafted. */
  threshold: number | null;
  models: QualityModels | null;
  mix: QualityMix;
  requested: { total: number; pass: number | null; fail: number | null };
  got: { pass: number; fail: number; notTested: number };
  /** Candidates drawn (generator) / tumours tried (handcrafted), and the cap on them. */
  attempts: number;
  maxAttempts: number;
  /** One line for people, e.g. "balanced: asked 2 passing + 1 failing, got 0 + 3 after 30 of 30 candidates …". */
  report: string;
}

/** The answer key for one item: researcher-only. */
export interface ItemKey {
  itemId: string;
  truth: Truth;
  organ: Organ;
  sizeClass: SizeClass;
  provenance: Provenance;
  /** Name of the case it was cut from (never shown to readers). */
  caseName: string;
  /** Lesion centre in the source case's voxels. */
  centreVoxel: Vec3;
  /** Lesion volume (label voxels × voxel volume), mm³. */
  volumeMm3: number;
  /** Real items: 'n/a' quality. Synthetic: the quality test, or not tested. */
  quality: QualityResult;
  /** Synthetic only: the tumour seed and how it was made. */
  seed?: number;
  method?: 'handcrafted' | 'generator';
}

export interface StudyItem {
  /** Opaque id ("item-07"), numbered in reading order: says nothing about the answer. */
  id: string;
  /** NIfTI-1 .nii.gz bytes, int16 HU, centred on the lesion (world origin at the lesion). */
  crop: Uint8Array;
}

export const STUDY_FORMAT = 'freetumor-reader-study';
export const ANSWERS_FORMAT = 'freetumor-reader-answers';

export interface Study {
  format: typeof STUDY_FORMAT;
  version: 1;
  id: string;
  title: string;
  createdAt: string;
  seed: number;
  /** Voxels per side of every item. */
  cropVoxels: number;
  /**
   * Side of every item's cube in mm, on isotropic voxels of fovMm / cropVoxels. Absent in studies
   * made before crops were physical: their items are cropVoxels³ source voxels.
   */
  fovMm?: number;
  /** The display window readers start in. */
  window: { width: number; level: number };
  /** True when any item is a mechanics-test item: its results measure nothing about realism. */
  mechanicsTest: boolean;
  items: StudyItem[];
  /** The answer key, in item order; null in a reader package. */
  key: ItemKey[] | null;
  /** How the synthetic items were made (answer-key side: null in a reader package; absent in old files). */
  synthesis?: SynthesisRecord | null;
}

export type Confidence = 1 | 2 | 3 | 4 | 5;

export interface Answer {
  studyId: string;
  readerId: string;
  itemId: string;
  /** 1-based position in the reading order. */
  position: number;
  call: Truth;
  confidence: Confidence;
  comment: string;
  /** Time the item was on screen until this answer was (last) saved, all visits together. */
  timeMs: number;
  answeredAt: string;
}

export interface AnswersFile {
  format: typeof ANSWERS_FORMAT;
  version: 1;
  studyId: string;
  readerId: string;
  exportedAt: string;
  answers: Answer[];
}
