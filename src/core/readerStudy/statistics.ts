/**
 * Statistics of a blinded reader study ("can you tell real from synthetic tumours?"), with
 * "synthetic" as the positive class: a reader who cannot tell is at chance, accuracy 0.5.
 */

/** One answer: the truth, the reader's call, and a 1–5 confidence in that call. */
export interface Rating {
  truth: 'real' | 'synthetic';
  answer: 'real' | 'synthetic';
  confidence: number;
}

export interface Confusion {
  tp: number; // synthetic called synthetic
  fn: number; // synthetic called real
  tn: number; // real called real
  fp: number; // real called synthetic
}

export function confusion(ratings: readonly Rating[]): Confusion {
  const c = { tp: 0, fn: 0, tn: 0, fp: 0 };
  for (const r of ratings) {
    if (r.truth === 'synthetic') r.answer === 'synthetic' ? c.tp++ : c.fn++;
    else r.answer === 'real' ? c.tn++ : c.fp++;
  }
  return c;
}

/** Natural log of n choose k, through log-gamma sums exact enough for n up to ~10⁶. */
function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}
const LOG_FACT_CACHE: number[] = [0];
function logFactorial(n: number): number {
  for (let m = LOG_FACT_CACHE.length; m <= n; m++) LOG_FACT_CACHE[m] = LOG_FACT_CACHE[m - 1] + Math.log(m);
  return LOG_FACT_CACHE[n];
}

export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Exact two-sided binomial test: the probability, under p, of an outcome no more likely than the
 * observed one (the "method of small p-values", as R's binom.test). The relative slack keeps
 * outcomes of equal probability from being split by rounding.
 */
export function binomialTest(successes: number, n: number, p = 0.5): number {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || successes > n)
    throw new RangeError(`binomialTest: need integers 0 ≤ successes ≤ n, got ${successes} of ${n}`);
  if (n === 0) return 1;
  const observed = binomialPmf(successes, n, p);
  let total = 0;
  for (let k = 0; k <= n; k++) {
    const q = binomialPmf(k, n, p);
    if (q <= observed * (1 + 1e-7)) total += q;
  }
  return Math.min(1, total);
}

/**
 * Ratings on one 10-point scale of "synthetic-ness": a confident "synthetic" is 10, a confident
 * "real" is 1. This is what the ROC is built from.
 */
export function syntheticScore(r: Rating): number {
  const c = Math.min(5, Math.max(1, Math.round(r.confidence)));
  return r.answer === 'synthetic' ? 5 + c : 6 - c;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (the Mann–Whitney form, equal to the trapezoidal area).
 * NaN when either class is empty.
 */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) return NaN;
  const neg = [...negatives].sort((a, b) => a - b);
  let sum = 0;
  for (const x of positives) {
    // Count negatives below x and equal to x by binary search.
    let lo = 0;
    let hi = neg.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (neg[m] < x) lo = m + 1;
      else hi = m;
    }
    let eq = lo;
    while (eq < neg.length && neg[eq] === x) eq++;
    sum += lo + 0.5 * (eq - lo);
  }
  return sum / (positives.length * negatives.length);
}

/** ROC curve points (false-positive rate, true-positive rate) over every threshold, from (0,0) to (1,1). */
export function rocCurve(positives: readonly number[], negatives: readonly number[]): { fpr: number; tpr: number }[] {
  const thresholds = [...new Set([...positives, ...negatives])].sort((a, b) => b - a);
  const pts = [{ fpr: 0, tpr: 0 }];
  for (const t of thresholds) {
    pts.push({
      fpr: negatives.filter((x) => x >= t).length / Math.max(1, negatives.length),
      tpr: positives.filter((x) => x >= t).length / Math.max(1, positives.length),
    });
  }
  return pts;
}

/** Cohen's kappa for two raters' categorical calls on the same items. */
export function cohenKappa<T>(a: readonly T[], b: readonly T[]): number {
  if (a.length !== b.length) throw new RangeError(`cohenKappa: ${a.length} and ${b.length} ratings`);
  const n = a.length;
  if (n === 0) return NaN;
  const cats = [...new Set([...a, ...b])];
  let agree = 0;
  for (let k = 0; k < n; k++) if (a[k] === b[k]) agree++;
  const po = agree / n;
  let pe = 0;
  for (const c of cats) pe += (a.filter((x) => x === c).length / n) * (b.filter((x) => x === c).length / n);
  return pe === 1 ? (po === 1 ? 1 : NaN) : (po - pe) / (1 - pe);
}

/**
 * Fleiss' kappa. `counts[i][j]` = how many raters put item i in category j; every item must have
 * the same number of ratings.
 */
export function fleissKappa(counts: readonly (readonly number[])[]): number {
  const N = counts.length;
  if (N === 0) return NaN;
  const n = counts[0].reduce((s, x) => s + x, 0);
  if (n < 2) throw new RangeError('fleissKappa: need at least two ratings per item');
  const k = counts[0].length;
  const pj = new Array<number>(k).fill(0);
  let pBar = 0;
  for (const row of counts) {
    if (row.length !== k || row.reduce((s, x) => s + x, 0) !== n)
      throw new RangeError('fleissKappa: every item needs the same number of ratings and categories');
    let s = 0;
    for (let j = 0; j < k; j++) {
      pj[j] += row[j];
      s += row[j] * (row[j] - 1);
    }
    pBar += s / (n * (n - 1));
  }
  pBar /= N;
  let pe = 0;
  for (let j = 0; j < k; j++) pe += (pj[j] / (N * n)) ** 2;
  return pe === 1 ? NaN : (pBar - pe) / (1 - pe);
}

export interface ReaderSummary {
  n: number;
  correct: number;
  accuracy: number;
  /** Share of synthetic tumours called synthetic. */
  sensitivity: number;
  /** Share of real tumours called real. */
  specificity: number;
  /** Two-sided exact binomial test of the number correct against chance (0.5). */
  pValue: number;
  auc: number;
  confusion: Confusion;
}

export function summarise(ratings: readonly Rating[]): ReaderSummary {
  const c = confusion(ratings);
  const n = ratings.length;
  const correct = c.tp + c.tn;
  const pos = ratings.filter((r) => r.truth === 'synthetic').map(syntheticScore);
  const neg = ratings.filter((r) => r.truth === 'real').map(syntheticScore);
  return {
    n,
    correct,
    accuracy: n ? correct / n : NaN,
    sensitivity: c.tp + c.fn ? c.tp / (c.tp + c.fn) : NaN,
    specificity: c.tn + c.fp ? c.tn / (c.tn + c.fp) : NaN,
    pValue: binomialTest(correct, n, 0.5),
    auc: rocAuc(pos, neg),
    confusion: c,
  };
}
