/**
 * Tumour size classes (SynTumor / FreeTumor). The reference code works on 1.5 mm isotropic voxels,
 * so its radii and sigmas are "reference voxels". We keep those numbers as the defaults and turn
 * them into millimetres (× referenceSpacingMm); every volume then converts millimetres to its own
 * voxels per axis (mm / spacing), so a 3 mm or a 0.7×0.7×5 mm scan gets tumours of the same
 * physical size.
 */
import type { Rng } from '../random.ts';

export type SizeClass = 'tiny' | 'small' | 'medium' | 'large';
export const SIZE_CLASSES: readonly SizeClass[] = ['tiny', 'small', 'medium', 'large'];

/** How a per-class elastic sigma (reference voxels) is drawn. */
export type SigmaDraw =
  | { kind: 'uniform'; lo: number; hi: number }
  /** An integer in [lo, hi], both included (Python's random.randint). */
  | { kind: 'integer'; lo: number; hi: number };

export interface SizeClassSpec {
  /** Base radius r in reference voxels. */
  radius: number;
  /** Elastic displacement sigma, in reference voxels. */
  elasticSigma: SigmaDraw;
}

export interface SizeClassConfig {
  /** Voxel size the reference numbers are expressed in (mm). */
  referenceSpacingMm: number;
  classes: Record<SizeClass, SizeClassSpec>;
  /** Each semi-axis is an integer (reference voxels) in [⌊lo·r⌋, ⌊hi·r⌋]. */
  semiAxisFactor: [number, number];
  /** Relative class weights (need not sum to 1); default uniform. */
  probabilities: Record<SizeClass, number>;
}

export const DEFAULT_SIZE_CLASS_CONFIG: SizeClassConfig = {
  referenceSpacingMm: 1.5,
  classes: {
    tiny: { radius: 4, elasticSigma: { kind: 'uniform', lo: 0.5, hi: 1 } },
    small: { radius: 8, elasticSigma: { kind: 'integer', lo: 1, hi: 2 } },
    medium: { radius: 16, elasticSigma: { kind: 'integer', lo: 3, hi: 6 } },
    large: { radius: 32, elasticSigma: { kind: 'integer', lo: 5, hi: 10 } },
  },
  semiAxisFactor: [0.75, 1.25],
  probabilities: { tiny: 1, small: 1, medium: 1, large: 1 },
};

export function isSizeClass(v: unknown): v is SizeClass {
  return typeof v === 'string' && (SIZE_CLASSES as readonly string[]).includes(v);
}

export function drawSizeClass(rng: Rng, probabilities: Record<SizeClass, number>): SizeClass {
  return SIZE_CLASSES[rng.weightedIndex(SIZE_CLASSES.map((c) => probabilities[c] ?? 0))];
}

/** Semi-axis range of a class, in reference voxels (integers, both ends included). */
export function semiAxisRange(cls: SizeClass, cfg: SizeClassConfig): [number, number] {
  const r = cfg.classes[cls].radius;
  // Python's int() truncation, as in the reference; never below one voxel.
  const lo = Math.max(1, Math.trunc(cfg.semiAxisFactor[0] * r));
  const hi = Math.max(lo, Math.trunc(cfg.semiAxisFactor[1] * r));
  return [lo, hi];
}

/** Semi-axis range of a class in millimetres. */
export function semiAxisRangeMm(cls: SizeClass, cfg: SizeClassConfig = DEFAULT_SIZE_CLASS_CONFIG): [number, number] {
  const [lo, hi] = semiAxisRange(cls, cfg);
  return [lo * cfg.referenceSpacingMm, hi * cfg.referenceSpacingMm];
}

/** Three semi-axes (mm), each an integer number of reference voxels. */
export function drawSemiAxesMm(rng: Rng, cls: SizeClass, cfg: SizeClassConfig): [number, number, number] {
  const [lo, hi] = semiAxisRange(cls, cfg);
  const s = cfg.referenceSpacingMm;
  return [rng.int(lo, hi) * s, rng.int(lo, hi) * s, rng.int(lo, hi) * s];
}

/** Elastic sigma in mm. */
export function drawElasticSigmaMm(rng: Rng, cls: SizeClass, cfg: SizeClassConfig): number {
  const d = cfg.classes[cls].elasticSigma;
  const v = d.kind === 'uniform' ? rng.uniform(d.lo, d.hi) : rng.int(d.lo, d.hi);
  return v * cfg.referenceSpacingMm;
}
