/**
 * Figures of merit (FOMs) of one reader in one modality, and their structural components: the
 * per-case quantities whose sample covariances give DeLong's covariance of two FOMs.
 *
 * Every FOM here is, to first order, θ̂ − θ ≈ w₁·(mean V₁ − θ₁) + w₀·(mean V₀ − θ₀), with V₁ one
 * number per positive case and V₀ one per negative case:
 * - AUC (Wilcoxon–Mann–Whitney, ties ½): V₁ = V10 (share of negatives a positive beats), V₀ = V01,
 *   w₁ = w₀ = 1 (DeLong, DeLong & Clarke-Pearson 1988).
 * - sensitivity: V₁ = [rating ≥ threshold], w₀ = 0; specificity: V₀ = [rating < threshold], w₁ = 0.
 * - accuracy with the case mix fixed by design: (n₁·sens + n₀·spec)/n, so w₁ = n₁/n, w₀ = n₀/n.
 */

export type FomKind = 'auc' | 'sensitivity' | 'specificity' | 'accuracy';

/** Binary FOMs call a case positive when its rating is ≥ threshold. */
export type FomSpec = { kind: 'auc' } | { kind: 'sensitivity' | 'specificity' | 'accuracy'; threshold: number };

export const AUC: FomSpec = { kind: 'auc' };

export interface StructuralComponents {
  value: number;
  /** Per positive case (in the order given), and the weight of their mean. */
  pos: number[];
  posWeight: number;
  neg: number[];
  negWeight: number;
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** How many of `sortedXs` are < x and how many are = x. */
function rank(sortedXs: readonly number[], x: number): { below: number; equal: number } {
  let lo = 0;
  let hi = sortedXs.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sortedXs[m] < x) lo = m + 1;
    else hi = m;
  }
  let eq = lo;
  while (eq < sortedXs.length && sortedXs[eq] === x) eq++;
  return { below: lo, equal: eq - lo };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function structuralComponents(spec: FomSpec, pos: readonly number[], neg: readonly number[]): StructuralComponents {
  const n1 = pos.length;
  const n0 = neg.length;
  if (n1 === 0 || n0 === 0) throw new RangeError(`a figure of merit needs positive and negative cases (got ${n1} and ${n0})`);
  if (spec.kind === 'auc') {
    const sNeg = sorted(neg);
    const sPos = sorted(pos);
    const v10 = pos.map((x) => {
      const k = rank(sNeg, x);
      return (k.below + 0.5 * k.equal) / n0;
    });
    const v01 = neg.map((y) => {
      const k = rank(sPos, y);
      return (n1 - k.below - k.equal + 0.5 * k.equal) / n1;
    });
    return { value: mean(v10), pos: v10, posWeight: 1, neg: v01, negWeight: 1 };
  }
  const called = pos.map((x) => (x >= spec.threshold ? 1 : 0));
  const cleared = neg.map((y) => (y < spec.threshold ? 1 : 0));
  const sens = mean(called);
  const spec0 = mean(cleared);
  if (spec.kind === 'sensitivity') return { value: sens, pos: called, posWeight: 1, neg: cleared, negWeight: 0 };
  if (spec.kind === 'specificity') return { value: spec0, pos: called, posWeight: 0, neg: cleared, negWeight: 1 };
  const n = n1 + n0;
  return { value: (n1 * sens + n0 * spec0) / n, pos: called, posWeight: n1 / n, neg: cleared, negWeight: n0 / n };
}

export function figureOfMerit(spec: FomSpec, pos: readonly number[], neg: readonly number[]): number {
  return structuralComponents(spec, pos, neg).value;
}

/**
 * Which cases a FOM depends on: sensitivity only on positives, specificity only on negatives.
 * The jackknife leaves out only these (as MRMCaov does: its binary_sens reports N = 45 of 114).
 */
export function fomUses(spec: FomSpec): { positives: boolean; negatives: boolean } {
  return { positives: spec.kind !== 'specificity', negatives: spec.kind !== 'sensitivity' };
}

export function fomLabel(spec: FomSpec): string {
  return spec.kind === 'auc' ? 'AUC' : spec.kind;
}
