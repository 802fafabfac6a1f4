/**
 * Leave-one-case-out jackknife of the figures of merit: the covariance estimate
 * (K − 1)/K · Σₖ (θ₍ₖ₎ − θ̄)(θ'₍ₖ₎ − θ̄') over the K cases the FOM depends on (Hillis, Obuchowski, Schartz & Berbaum
 * 2005), and the DBM pseudovalues K·θ − (K − 1)·θ₍ₖ₎ (Dorfman, Berbaum & Metz 1992).
 * It needs a crossed design: with cases missing from some modality, "leave case k out" would
 * change some FOMs and not others, and the estimate would no longer be the jackknife's.
 */
import { isCrossed, MrmcInputError, ratingsByTruth, validateMrmc, type MrmcData } from './design.ts';
import type { FomCovariance } from './delong.ts';
import { figureOfMerit, fomUses, type FomSpec } from './figuresOfMerit.ts';

/**
 * θ₍ₖ₎ for every (modality, reader) pair (index t·R + r) and every case k the FOM depends on
 * (`cases`, indices into data.cases): loo[pair][n] leaves out cases[n].
 */
export function leaveOneOut(data: MrmcData, spec: FomSpec): { fom: number[][]; loo: number[][]; cases: number[] } {
  validateMrmc(data);
  if (!isCrossed(data)) {
    throw new MrmcInputError('the jackknife needs every case read in every modality (a crossed design); use DeLong covariances for this split design');
  }
  const T = data.modalities.length;
  const R = data.readers.length;
  const uses = fomUses(spec);
  const cases = data.truth.flatMap((y, c) => ((y === 1 ? uses.positives : uses.negatives) ? [c] : []));
  const slot = new Map(cases.map((c, n) => [c, n]));
  const fom: number[][] = [];
  const loo: number[][] = [];
  for (let t = 0; t < T; t++) {
    fom.push([]);
    for (let r = 0; r < R; r++) {
      const { pos, neg, posCases, negCases } = ratingsByTruth(data, t, r);
      fom[t].push(figureOfMerit(spec, pos, neg));
      const out = new Array<number>(cases.length);
      if (uses.positives) posCases.forEach((c, k) => (out[slot.get(c)!] = figureOfMerit(spec, [...pos.slice(0, k), ...pos.slice(k + 1)], neg)));
      if (uses.negatives) negCases.forEach((c, k) => (out[slot.get(c)!] = figureOfMerit(spec, pos, [...neg.slice(0, k), ...neg.slice(k + 1)])));
      loo.push(out);
    }
  }
  return { fom, loo, cases };
}

export function jackknifeCovariance(data: MrmcData, spec: FomSpec): FomCovariance {
  const { fom, loo, cases } = leaveOneOut(data, spec);
  const K = cases.length;
  const means = loo.map((row) => row.reduce((a, x) => a + x, 0) / K);
  const n = loo.length;
  const cov = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (loo[i][k] - means[i]) * (loo[j][k] - means[j]);
      cov[i][j] = cov[j][i] = ((K - 1) / K) * s;
    }
  }
  return { fom, cov, method: 'jackknife' };
}

/** DBM pseudovalues Y[t][r][k] = K·θ − (K − 1)·θ₍ₖ₎ over the K cases the FOM depends on. */
export function pseudovalues(data: MrmcData, spec: FomSpec): number[][][] {
  const { fom, loo, cases } = leaveOneOut(data, spec);
  const K = cases.length;
  const R = data.readers.length;
  return fom.map((row, t) => row.map((theta, r) => loo[t * R + r].map((x) => K * theta - (K - 1) * x)));
}
