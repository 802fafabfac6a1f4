/**
 * DeLong's covariance of the figures of merit of every (modality, reader) pair (DeLong, DeLong &
 * Clarke-Pearson 1988, Biometrics 44:837): for two FOMs A and B, the sample covariance of their
 * structural components over the positive cases divided by n₁, plus the same over the negative
 * cases divided by n₀, with (n − 1) denominators.
 *
 * In a split design (modalities holding different cases) only the cases two FOMs share
 * contribute: sum over shared cases / (n_A·n_B) · n_s/(n_s − 1), which is the formula above when
 * every case is shared, and zero for disjoint cases (independent samples).
 */
import { caseInModality, ratingsByTruth, validateMrmc, type MrmcData } from './design.ts';
import { structuralComponents, type FomSpec } from './figuresOfMerit.ts';

/** FOM of each (modality, reader) and their covariance matrix, index t·R + r. */
export interface FomCovariance {
  fom: number[][];
  cov: number[][];
  method: 'delong' | 'jackknife';
}

interface Components {
  weight: number;
  /** case index → component (mean-centred). */
  centred: Map<number, number>;
  n: number;
}

export function delongCovariance(data: MrmcData, spec: FomSpec): FomCovariance {
  validateMrmc(data);
  const T = data.modalities.length;
  const R = data.readers.length;
  const fom: number[][] = [];
  const perPair: { pos: Components; neg: Components }[] = [];
  for (let t = 0; t < T; t++) {
    fom.push([]);
    for (let r = 0; r < R; r++) {
      const { pos, neg, posCases, negCases } = ratingsByTruth(data, t, r);
      const s = structuralComponents(spec, pos, neg);
      fom[t].push(s.value);
      const centre = (v: number[], cases: number[]) => {
        const m = v.reduce((a, x) => a + x, 0) / v.length;
        return new Map(cases.map((c, k) => [c, v[k] - m]));
      };
      perPair.push({
        pos: { weight: s.posWeight, centred: centre(s.pos, posCases), n: posCases.length },
        neg: { weight: s.negWeight, centred: centre(s.neg, negCases), n: negCases.length },
      });
    }
  }
  const classCov = (a: Components, b: Components): number => {
    if (a.weight === 0 || b.weight === 0) return 0;
    let sum = 0;
    let shared = 0;
    for (const [c, x] of a.centred) {
      const y = b.centred.get(c);
      if (y === undefined) continue;
      sum += x * y;
      shared++;
    }
    if (shared < 2) return 0;
    return (a.weight * b.weight * sum * shared) / (a.n * b.n * (shared - 1));
  };
  const n = T * R;
  const cov = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = classCov(perPair[i].pos, perPair[j].pos) + classCov(perPair[i].neg, perPair[j].neg);
      cov[i][j] = v;
      cov[j][i] = v;
    }
  }
  return { fom, cov, method: 'delong' };
}

/** Number of cases modality t holds. */
export function casesIn(data: MrmcData, t: number): number {
  let n = 0;
  for (let c = 0; c < data.cases.length; c++) if (caseInModality(data, t, c)) n++;
  return n;
}
