/**
 * The Obuchowski–Rockette analysis (Obuchowski & Rockette 1995) of reader-averaged figures of
 * merit, with Hillis' denominator degrees of freedom (Hillis 2007, Stat Med 26:596; Hillis,
 * Berbaum & Metz 2008, Acad Radiol 15:647): the ORH method.
 *
 * Input: FOM θ[t][r] of each modality and reader and their covariance matrix over cases (DeLong
 * or jackknife). The OR covariances are averages of that matrix: Var (same modality, same reader),
 * Cov1 (other modality, same reader), Cov2 (same modality, other reader), Cov3 (both differ).
 * Three generalisations, as OR-DBM MRMC, MRMCaov and RJafroc report them:
 * - RRRC, random readers and cases: F = MS(T)/[MS(T×R) + r·max(Cov2 − Cov3, 0)] on Hillis' ddf;
 * - FRRC, readers fixed: chi-square (z for one difference) with Var − Cov1 + (r−1)·max(Cov2 − Cov3, 0);
 * - RRFC, cases fixed: F = MS(T)/MS(T×R) on (t−1)(r−1) df.
 */
import { chiSquareUpper, fUpper, normalQuantile, normalUpper, studentTQuantile, studentTTwoSided } from './distributions.ts';
import type { FomCovariance } from './delong.ts';

export type Generalisation = 'RRRC' | 'FRRC' | 'RRFC';
export const GENERALISATIONS: readonly Generalisation[] = ['RRRC', 'FRRC', 'RRFC'];

/** One estimate (a modality's mean FOM or a difference) under one generalisation. */
export interface Estimate {
  estimate: number;
  se: number;
  /** Degrees of freedom of its t (Infinity: normal). */
  df: number;
  ci: [number, number];
}

export interface OrComponents {
  var: number;
  /** NaN with one modality. */
  cov1: number;
  cov2: number;
  /** NaN with one modality. */
  cov3: number;
  /** Reader variance σ²_R. */
  varR: number;
  /** Treatment-by-reader variance σ²_TR; NaN with one modality. */
  varTR: number;
}

export interface ModalityResult {
  name: string;
  /** Reader-averaged FOM. */
  fom: number;
  perReader: number[];
  /** This modality's own Var, Cov2 and MS(R) (the single-modality analysis). */
  var: number;
  cov2: number;
  msR: number;
  RRRC: Estimate;
  FRRC: Estimate;
  RRFC: Estimate;
}

export interface OverallTest {
  /** F for RRRC and RRFC, X² for FRRC. */
  statistic: number;
  ndf: number;
  /** Infinity for the chi-square test. */
  ddf: number;
  p: number;
  /** Its denominator (RRRC: MS(T×R) + r·max(Cov2 − Cov3, 0)). */
  den: number;
}

export interface Difference {
  /** Modality indices: the difference is fom[a] − fom[b]. */
  a: number;
  b: number;
  RRRC: Estimate & { t: number; p: number };
  FRRC: Estimate & { z: number; p: number };
  RRFC: Estimate & { t: number; p: number };
  /** Readers fixed, one reader at a time. */
  perReader: { diff: number; se: number; z: number; p: number; var: number; cov1: number; ci: [number, number] }[];
}

export interface OrhResult {
  method: FomCovariance['method'];
  alpha: number;
  readers: number;
  modalities: ModalityResult[];
  fom: number[][];
  anova: { msT: number; msR: number; msTR: number };
  components: OrComponents;
  /** Test of equal FOMs across modalities; null with one modality. */
  tests: Record<Generalisation, OverallTest> | null;
  differences: Difference[];
}

function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

function interval(estimate: number, se: number, df: number, alpha: number): [number, number] {
  if (!(df > 0) || !Number.isFinite(se)) return [NaN, NaN];
  const q = df === Infinity ? normalQuantile(1 - alpha / 2) : studentTQuantile(1 - alpha / 2, df);
  return [estimate - q * se, estimate + q * se];
}

// Undefined quantities (one reader: no reader variance to estimate) stay NaN, not errors.
const defined = (...xs: number[]) => xs.every((x) => !Number.isNaN(x)) && xs.every((x, n) => n === 0 || x > 0);
const pF = (f: number, d1: number, d2: number) => (defined(f, d1, d2) ? fUpper(f, d1, d2) : NaN);
const pT = (t: number, df: number) => (defined(t, df) ? studentTTwoSided(t, df) : NaN);

function estimate(est: number, se: number, df: number, alpha: number): Estimate {
  return { estimate: est, se, df, ci: interval(est, se, df, alpha) };
}

/** Averages of the covariance matrix over the four kinds of (modality, reader) pairs. */
export function orCovariances(cov: number[][], T: number, R: number): { var: number; cov1: number; cov2: number; cov3: number; byModality: { var: number; cov2: number }[] } {
  const sums = { var: 0, cov1: 0, cov2: 0, cov3: 0 };
  const counts = { var: 0, cov1: 0, cov2: 0, cov3: 0 };
  const byModality = Array.from({ length: T }, () => ({ var: 0, nVar: 0, cov2: 0, nCov2: 0 }));
  for (let t1 = 0; t1 < T; t1++)
    for (let r1 = 0; r1 < R; r1++)
      for (let t2 = 0; t2 < T; t2++)
        for (let r2 = 0; r2 < R; r2++) {
          const v = cov[t1 * R + r1][t2 * R + r2];
          const kind = t1 === t2 ? (r1 === r2 ? 'var' : 'cov2') : r1 === r2 ? 'cov1' : 'cov3';
          sums[kind] += v;
          counts[kind]++;
          if (t1 === t2) {
            if (r1 === r2) {
              byModality[t1].var += v;
              byModality[t1].nVar++;
            } else {
              byModality[t1].cov2 += v;
              byModality[t1].nCov2++;
            }
          }
        }
  const avg = (k: keyof typeof sums) => (counts[k] ? sums[k] / counts[k] : NaN);
  return {
    var: avg('var'),
    cov1: avg('cov1'),
    cov2: avg('cov2'),
    cov3: avg('cov3'),
    byModality: byModality.map((m) => ({ var: m.var / m.nVar, cov2: m.nCov2 ? m.cov2 / m.nCov2 : NaN })),
  };
}

/** The ORH analysis of FOMs θ[t][r] with their covariance matrix (index t·R + r). */
export function orhAnalysis(input: FomCovariance, modalityNames?: readonly string[], alpha = 0.05): OrhResult {
  const theta = input.fom;
  const T = theta.length;
  const R = theta[0]?.length ?? 0;
  if (T === 0 || R === 0) throw new RangeError('ORH analysis: no figures of merit');
  if (input.cov.length !== T * R) throw new RangeError(`ORH analysis: covariance matrix is ${input.cov.length}², expected ${T * R}²`);
  const modalityMeans = theta.map(meanOf);
  const grand = meanOf(modalityMeans);
  const readerMeans = Array.from({ length: R }, (_, r) => meanOf(theta.map((row) => row[r])));
  const msT = T > 1 ? (R * modalityMeans.reduce((a, m) => a + (m - grand) ** 2, 0)) / (T - 1) : NaN;
  const msR = R > 1 ? (T * readerMeans.reduce((a, m) => a + (m - grand) ** 2, 0)) / (R - 1) : NaN;
  let ssTR = 0;
  for (let t = 0; t < T; t++) for (let r = 0; r < R; r++) ssTR += (theta[t][r] - modalityMeans[t] - readerMeans[r] + grand) ** 2;
  const msTR = T > 1 && R > 1 ? ssTR / ((T - 1) * (R - 1)) : NaN;
  const oc = orCovariances(input.cov, T, R);
  const varTR = T > 1 ? msTR - oc.var + oc.cov1 + oc.cov2 - oc.cov3 : NaN;
  // E[MS(R)] = tσ²_R + σ²_TR + Var − Cov2 + (t−1)(Cov1 − Cov3).
  const varR = T > 1 ? (msR - varTR - oc.var + oc.cov2 - (T - 1) * (oc.cov1 - oc.cov3)) / T : msR - oc.var + oc.cov2;
  const components: OrComponents = { var: oc.var, cov1: oc.cov1, cov2: oc.cov2, cov3: oc.cov3, varR, varTR };

  const modalities: ModalityResult[] = theta.map((row, t) => {
    const mine = oc.byModality[t];
    const msRi = R > 1 ? row.reduce((a, x) => a + (x - modalityMeans[t]) ** 2, 0) / (R - 1) : NaN;
    const c2 = R > 1 ? Math.max(mine.cov2, 0) : 0;
    const denRRRC = msRi + R * c2;
    const dfRRRC = denRRRC ** 2 / (msRi ** 2 / (R - 1));
    return {
      name: modalityNames?.[t] ?? String(t + 1),
      fom: modalityMeans[t],
      perReader: [...row],
      var: mine.var,
      cov2: mine.cov2,
      msR: msRi,
      RRRC: estimate(modalityMeans[t], Math.sqrt(denRRRC / R), dfRRRC, alpha),
      FRRC: estimate(modalityMeans[t], Math.sqrt((mine.var + (R - 1) * c2) / R), Infinity, alpha),
      RRFC: estimate(modalityMeans[t], Math.sqrt(msRi / R), R - 1, alpha),
    };
  });

  let tests: OrhResult['tests'] = null;
  const differences: Difference[] = [];
  if (T > 1) {
    // With one reader there are no reader pairs: Cov2 and Cov3 do not enter.
    const c23 = R > 1 ? Math.max(oc.cov2 - oc.cov3, 0) : 0;
    const denRRRC = msTR + R * c23;
    const ddfRRRC = denRRRC ** 2 / (msTR ** 2 / ((T - 1) * (R - 1)));
    const denFRRC = oc.var - oc.cov1 + (R - 1) * c23;
    const x2 = ((T - 1) * msT) / denFRRC;
    tests = {
      RRRC: { statistic: msT / denRRRC, ndf: T - 1, ddf: ddfRRRC, p: pF(msT / denRRRC, T - 1, ddfRRRC), den: denRRRC },
      FRRC: { statistic: x2, ndf: T - 1, ddf: Infinity, p: chiSquareUpper(x2, T - 1), den: denFRRC },
      RRFC: { statistic: msT / msTR, ndf: T - 1, ddf: (T - 1) * (R - 1), p: pF(msT / msTR, T - 1, (T - 1) * (R - 1)), den: msTR },
    };
    for (let a = 0; a < T; a++) {
      for (let b = a + 1; b < T; b++) {
        const diff = modalityMeans[a] - modalityMeans[b];
        const seRRRC = Math.sqrt((2 * denRRRC) / R);
        const seFRRC = Math.sqrt((2 * denFRRC) / R);
        const seRRFC = Math.sqrt((2 * msTR) / R);
        const tR = diff / seRRRC;
        const tF = diff / seRRFC;
        const z = diff / seFRRC;
        differences.push({
          a,
          b,
          RRRC: { ...estimate(diff, seRRRC, ddfRRRC, alpha), t: tR, p: pT(tR, ddfRRRC) },
          FRRC: { ...estimate(diff, seFRRC, Infinity, alpha), z, p: 2 * normalUpper(Math.abs(z)) },
          RRFC: { ...estimate(diff, seRRFC, (T - 1) * (R - 1), alpha), t: tF, p: pT(tF, (T - 1) * (R - 1)) },
          perReader: Array.from({ length: R }, (_, r) => {
            const ia = a * R + r;
            const ib = b * R + r;
            const d = theta[a][r] - theta[b][r];
            const v = (input.cov[ia][ia] + input.cov[ib][ib]) / 2;
            const c1 = input.cov[ia][ib];
            const se = Math.sqrt(2 * (v - c1));
            return { diff: d, se, z: d / se, p: 2 * normalUpper(Math.abs(d / se)), var: v, cov1: c1, ci: interval(d, se, Infinity, alpha) };
          }),
        });
      }
    }
  }
  return { method: input.method, alpha, readers: R, modalities, fom: theta.map((row) => [...row]), anova: { msT, msR, msTR }, components, tests, differences };
}

/** Test of one modality's reader-averaged FOM against θ₀ (e.g. AUC 0.5, "readers are at chance"). */
export function testAgainst(m: ModalityResult, theta0: number): Record<Generalisation, { t: number; df: number; F: number; p: number }> {
  const one = (e: Estimate) => {
    const t = (e.estimate - theta0) / e.se;
    return { t, df: e.df, F: t * t, p: pT(t, e.df) };
  };
  return { RRRC: one(m.RRRC), FRRC: one(m.FRRC), RRFC: one(m.RRFC) };
}
