/**
 * Power and sample size for a planned MRMC study from a pilot's OR variance components (Hillis,
 * Obuchowski & Berbaum 2011, "Power estimation for multireader ROC methods: an updated and
 * unified approach", Acad Radiol 18:129). The case-level terms (Var, Cov1–3) are the pilot's,
 * scaled by K₀/K for K cases (they shrink as 1/cases); the reader terms (σ²_R, σ²_TR) do not.
 * The power is that of the ORH test at level α: P(F(1, ddf, λ) > F₁₋α(1, ddf)), or the
 * chi-square(1, λ) for fixed readers.
 *
 * Two designs:
 * - two modalities (the ablation question: is the FOM different between them?), Hillis et al.
 *   2011 eq. 10: λ = J·d²/2 / [σ²_TR + K₀/K·(Var − Cov1 + (J−1)·max(Cov2 − Cov3, 0))];
 * - one modality against a fixed value θ₀ (the Turing test: is the AUC different from 0.5?),
 *   the same construction for the single-modality ORH test: Var(θ̄) = [σ²_R + K₀/K·(Var − Cov2)]/J
 *   + K₀/K·Cov2 and ddf = (J·Var(θ̄))² / ([σ²_R + K₀/K·(Var − Cov2)]²/(J − 1)).
 */
import { chiSquareQuantile, fQuantile, noncentralChiSquareUpper, noncentralFUpper } from './distributions.ts';
import type { Generalisation } from './orh.ts';

/** Pilot OR components for a two-modality comparison; kStar is the pilot's number of cases. */
export interface ComparisonPilot {
  kStar: number;
  varTR: number;
  var: number;
  cov1: number;
  cov2: number;
  cov3: number;
}

/** Pilot OR components of one modality. */
export interface SinglePilot {
  kStar: number;
  varR: number;
  var: number;
  cov2: number;
}

export interface PowerResult {
  power: number;
  /** Noncentrality λ. */
  lambda: number;
  /** Denominator df (Infinity for the chi-square test). */
  ddf: number;
}

function powerOf(lambda: number, ddf: number, alpha: number): PowerResult {
  if (!(lambda >= 0) || !(ddf > 0)) return { power: NaN, lambda, ddf };
  if (ddf === Infinity) return { power: noncentralChiSquareUpper(chiSquareQuantile(1 - alpha, 1), 1, lambda), lambda, ddf };
  return { power: noncentralFUpper(fQuantile(1 - alpha, 1, ddf), 1, ddf, lambda), lambda, ddf };
}

function checkDesign(readers: number, cases: number): void {
  if (!Number.isInteger(readers) || readers < 2) throw new RangeError(`power: needs 2 or more readers, got ${readers}`);
  if (!(cases > 0)) throw new RangeError(`power: needs a positive number of cases, got ${cases}`);
}

/** Power to detect a difference `effect` between two modalities' FOMs. */
export function comparisonPower(p: ComparisonPilot, readers: number, cases: number, effect: number, alpha = 0.05, generalisation: Generalisation = 'RRRC'): PowerResult {
  checkDesign(readers, cases);
  const s = p.kStar / cases;
  const varTR = Math.max(p.varTR, 0);
  const c23 = Math.max(p.cov2 - p.cov3, 0);
  const num = (effect * effect * readers) / 2;
  if (generalisation === 'RRRC') {
    const den = varTR + s * (p.var - p.cov1 + (readers - 1) * c23);
    const ddf = den ** 2 / ((varTR + s * (p.var - p.cov1 - c23)) ** 2 / (readers - 1));
    return powerOf(num / den, ddf, alpha);
  }
  if (generalisation === 'FRRC') return powerOf(num / (s * (p.var - p.cov1 + (readers - 1) * c23)), Infinity, alpha);
  return powerOf(num / (varTR + s * (p.var - p.cov1 - c23)), readers - 1, alpha);
}

/** Power to detect that one modality's reader-averaged FOM differs from θ₀ by `effect`. */
export function singlePower(p: SinglePilot, readers: number, cases: number, effect: number, alpha = 0.05, generalisation: Generalisation = 'RRRC'): PowerResult {
  checkDesign(readers, cases);
  const s = p.kStar / cases;
  const varR = Math.max(p.varR, 0);
  const cov2 = Math.max(p.cov2, 0);
  const readerTerm = varR + s * (p.var - cov2);
  if (generalisation === 'RRRC') {
    const den = readerTerm + readers * s * cov2;
    return powerOf((readers * effect * effect) / den, den ** 2 / (readerTerm ** 2 / (readers - 1)), alpha);
  }
  if (generalisation === 'FRRC') return powerOf((readers * effect * effect) / (s * (p.var + (readers - 1) * cov2)), Infinity, alpha);
  return powerOf((readers * effect * effect) / readerTerm, readers - 1, alpha);
}

/**
 * The fewest cases (≥ 2, ≤ maxCases) giving at least `target` power, or null when even maxCases
 * do not: power rises with cases, so the search doubles, then bisects.
 */
export function casesForPower(power: (cases: number) => number, target: number, maxCases = 100_000): number | null {
  if (!(target > 0 && target < 1)) throw new RangeError(`target power must lie in (0, 1), got ${target}`);
  if (power(maxCases) < target) return null;
  let lo = 1;
  let hi = 2;
  while (power(hi) < target) {
    lo = hi;
    hi = Math.min(maxCases, hi * 2);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (power(mid) >= target) hi = mid;
    else lo = mid;
  }
  return Math.max(2, hi);
}
