/**
 * Reader study ("can you tell real from synthetic tumours?", the paper's Fig. 7 as a measured
 * experiment). A study is an ordered list of items; each item is a NIfTI crop centred on one
 * lesion. What an item *is* (its truth, organ, size, provenance) lives in the answer key, which a
 * reader package does not carry.
 */
import type { Organ } from '../../core/labels.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import type { Vec3 } from '../../core/volume.ts';

export type Truth = 'real' | 'synthetic';

/**
 * Where an item comes from. 'real-annotation': a tumour label the researcher vouches for as a real
 * tumour. 'mechanics-test': a label drawn to test the software, NOT a tumour (no redistributable CT
 * with a real tumour label ships with this repo). 'synthetic-handcrafted': made here by core
 * handcrafted synthesis.
 */
export type Provenance = 'real-annotation' | 'mechanics-test' | 'synthetic-handcrafted';

/** The quality test (generator-based discriminator) result; all null when it was not computed. */
export interface QualityResult {
  p: number | null;
  pass: boolean | null;
  /** Human-readable, e.g. "not tested (the generator-based quality test is not run yet)". */
  note: string;
}

export type QualityStatus = 'passed' | 'failed' | 'not-tested' | 'n/a';

export const NOT_TESTED: QualityResult = {
  p: null,
  pass: null,
  note: 'not tested (the generator-based quality test is not run yet)',
};

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
  /** Synthetic only: the tumour seed and generator. */
  seed?: number;
  method?: 'handcrafted';
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
  cropVoxels: number;
  /** The display window readers start in. */
  window: { width: number; level: number };
  /** True when any item is a mechanics-test item: its results measure nothing about realism. */
  mechanicsTest: boolean;
  items: StudyItem[];
  /** The answer key, in item order; null in a reader package. */
  key: ItemKey[] | null;
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
