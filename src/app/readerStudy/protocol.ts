/**
 * The study protocol, exported before reading starts: what will be read (every item's crop by
 * SHA-256, in reading order), how the synthetic items were made (seed, T, G and S by SHA-256), and
 * how the answers will be analysed, stamped with the SHA-256 of its canonical JSON. The answer key
 * enters only as its hash: the record commits to the key without showing it, and anyone holding
 * the key later can check it is the one the protocol named.
 */
import { canonicalJson } from '../../core/readerStudy/canonicalJson.ts';
import { sha256Hex } from '../checkpoints/format.ts';
import { ALPHA, SYNTHETIC_CALL_THRESHOLD } from './mrmcResults.ts';
import type { Study } from './types.ts';

export const PROTOCOL_FORMAT = 'freetumor-reader-study-protocol';

export interface StudyProtocol {
  format: typeof PROTOCOL_FORMAT;
  version: 1;
  study: {
    id: string;
    title: string;
    createdAt: string;
    seed: number;
    cropVoxels: number;
    /** Side of each item's cube in mm; null for a study made before crops were physical. */
    fovMm: number | null;
    window: { width: number; level: number };
    mechanicsTest: boolean;
    items: number;
    real: number;
    synthetic: number;
  };
  /** Reading order. */
  items: { id: string; cropSha256: string }[];
  answerKeySha256: string;
  synthesis: Study['synthesis'] | null;
  analysisPlan: {
    positiveClass: 'synthetic';
    ratingScale: string;
    readers: string;
    primary: { fom: string; method: string; covariance: string; hypothesis: string; alpha: number };
    secondary: string[];
  };
  exportedAt: string;
  /** Answers this browser held for the study when the record was made: 0 means before reading. */
  answersAtExport: number;
}

export interface StampedProtocol extends StudyProtocol {
  /** SHA-256 (hex) of canonicalJson of every other field. */
  sha256: string;
}

export async function studyProtocol(study: Study, answersAtExport: number, exportedAt = new Date().toISOString()): Promise<StampedProtocol> {
  if (!study.key) throw new Error('the protocol needs the researcher\'s copy of the study (with its answer key)');
  const text = new TextEncoder();
  const protocol: StudyProtocol = {
    format: PROTOCOL_FORMAT,
    version: 1,
    study: {
      id: study.id,
      title: study.title,
      createdAt: study.createdAt,
      seed: study.seed,
      cropVoxels: study.cropVoxels,
      fovMm: study.fovMm ?? null,
      window: study.window,
      mechanicsTest: study.mechanicsTest,
      items: study.items.length,
      real: study.key.filter((k) => k.truth === 'real').length,
      synthetic: study.key.filter((k) => k.truth === 'synthetic').length,
    },
    items: await Promise.all(study.items.map(async (it) => ({ id: it.id, cropSha256: await sha256Hex(it.crop) }))),
    answerKeySha256: await sha256Hex(text.encode(canonicalJson(study.key))),
    synthesis: study.synthesis ?? null,
    analysisPlan: {
      positiveClass: 'synthetic',
      ratingScale: 'synthetic score 1–10: a "synthetic" call at confidence c (1–5) scores 5 + c, a "real" call 6 − c',
      readers: 'the readers who answer every item',
      primary: {
        fom: 'empirical (Wilcoxon) AUC of the synthetic score, averaged over readers',
        method: 'Obuchowski–Rockette with Hillis denominator degrees of freedom (ORH), random readers and random cases',
        covariance: 'DeLong',
        hypothesis: 'H0: reader-averaged AUC = 0.5 (readers cannot tell real from synthetic), two-sided',
        alpha: ALPHA,
      },
      secondary: [
        'jackknife covariances',
        'fixed readers (FRRC) and fixed cases (RRFC)',
        `accuracy (H0 0.5), sensitivity and specificity of the readers' calls (score ≥ ${SYNTHETIC_CALL_THRESHOLD})`,
        'passing vs failing synthetic items (quality test at T), ORH with DeLong covariances, real items shared',
      ],
    },
    exportedAt,
    answersAtExport,
  };
  return { ...protocol, sha256: await sha256Hex(text.encode(canonicalJson(protocol))) };
}

/** Recomputes the stamp: true when the record is unchanged since it was stamped. */
export async function protocolIntact(record: StampedProtocol): Promise<boolean> {
  const { sha256, ...rest } = record;
  return sha256 === (await sha256Hex(new TextEncoder().encode(canonicalJson(rest))));
}
