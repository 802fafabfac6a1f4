/**
 * The Dorfman–Berbaum–Metz analysis (Dorfman, Berbaum & Metz 1992, Invest Radiol 27:723):
 * a three-way (modality × reader × case) ANOVA of jackknife pseudovalues, with Hillis'
 * denominator degrees of freedom for random readers and cases (Hillis 2008). With the
 * pseudovalues of the jackknife it gives the same RRRC F, ddf and p as ORH-jackknife (Hillis et
 * al. 2005); it is here as a cross-check, and for the DBM mean squares statisticians expect.
 */
import { fUpper } from './distributions.ts';
import { isCrossed, MrmcInputError, type MrmcData } from './design.ts';
import type { FomSpec } from './figuresOfMerit.ts';
import { pseudovalues } from './jackknife.ts';

export interface DbmResult {
  ms: { T: number; R: number; C: number; TR: number; TC: number; RC: number; TRC: number };
  varianceComponents: { R: number; C: number; TR: number; TC: number; RC: number; error: number };
  RRRC: { F: number; ndf: number; ddf: number; p: number };
  FRRC: { F: number; ndf: number; ddf: number; p: number };
  RRFC: { F: number; ndf: number; ddf: number; p: number };
}

export function dbmAnalysis(data: MrmcData, spec: FomSpec): DbmResult {
  if (!isCrossed(data)) throw new MrmcInputError('DBM needs every case read in every modality (a crossed design)');
  const Y = pseudovalues(data, spec);
  const T = Y.length;
  const R = Y[0].length;
  const C = Y[0][0].length;
  if (T < 2) throw new MrmcInputError('DBM compares modalities: it needs two or more');
  const mT = new Array<number>(T).fill(0);
  const mR = new Array<number>(R).fill(0);
  const mC = new Array<number>(C).fill(0);
  const mTR = Array.from({ length: T }, () => new Array<number>(R).fill(0));
  const mTC = Array.from({ length: T }, () => new Array<number>(C).fill(0));
  const mRC = Array.from({ length: R }, () => new Array<number>(C).fill(0));
  let grand = 0;
  for (let t = 0; t < T; t++)
    for (let r = 0; r < R; r++)
      for (let c = 0; c < C; c++) {
        const y = Y[t][r][c];
        grand += y;
        mT[t] += y;
        mR[r] += y;
        mC[c] += y;
        mTR[t][r] += y;
        mTC[t][c] += y;
        mRC[r][c] += y;
      }
  grand /= T * R * C;
  mT.forEach((_, t) => (mT[t] /= R * C));
  mR.forEach((_, r) => (mR[r] /= T * C));
  mC.forEach((_, c) => (mC[c] /= T * R));
  mTR.forEach((row) => row.forEach((_, r) => (row[r] /= C)));
  mTC.forEach((row) => row.forEach((_, c) => (row[c] /= R)));
  mRC.forEach((row) => row.forEach((_, c) => (row[c] /= T)));
  let ssT = 0;
  let ssR = 0;
  let ssC = 0;
  let ssTR = 0;
  let ssTC = 0;
  let ssRC = 0;
  let ssTRC = 0;
  for (let t = 0; t < T; t++) ssT += (mT[t] - grand) ** 2;
  for (let r = 0; r < R; r++) ssR += (mR[r] - grand) ** 2;
  for (let c = 0; c < C; c++) ssC += (mC[c] - grand) ** 2;
  for (let t = 0; t < T; t++) for (let r = 0; r < R; r++) ssTR += (mTR[t][r] - mT[t] - mR[r] + grand) ** 2;
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) ssTC += (mTC[t][c] - mT[t] - mC[c] + grand) ** 2;
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) ssRC += (mRC[r][c] - mR[r] - mC[c] + grand) ** 2;
  for (let t = 0; t < T; t++)
    for (let r = 0; r < R; r++)
      for (let c = 0; c < C; c++) {
        const e = Y[t][r][c] - mTR[t][r] - mTC[t][c] - mRC[r][c] + mT[t] + mR[r] + mC[c] - grand;
        ssTRC += e * e;
      }
  const ms = {
    T: (R * C * ssT) / (T - 1),
    R: (T * C * ssR) / (R - 1),
    C: (T * R * ssC) / (C - 1),
    TR: (C * ssTR) / ((T - 1) * (R - 1)),
    TC: (R * ssTC) / ((T - 1) * (C - 1)),
    RC: (T * ssRC) / ((R - 1) * (C - 1)),
    TRC: ssTRC / ((T - 1) * (R - 1) * (C - 1)),
  };
  const varianceComponents = {
    R: (ms.R - ms.TR - ms.RC + ms.TRC) / (T * C),
    C: (ms.C - ms.TC - ms.RC + ms.TRC) / (T * R),
    TR: (ms.TR - ms.TRC) / C,
    TC: (ms.TC - ms.TRC) / R,
    RC: (ms.RC - ms.TRC) / T,
    error: ms.TRC,
  };
  const den = ms.TR + Math.max(ms.TC - ms.TRC, 0);
  const ddf = den ** 2 / (ms.TR ** 2 / ((T - 1) * (R - 1)));
  const f = (F: number, ndf: number, d: number) => ({ F, ndf, ddf: d, p: fUpper(F, ndf, d) });
  return {
    ms,
    varianceComponents,
    RRRC: f(ms.T / den, T - 1, ddf),
    FRRC: f(ms.T / ms.TC, T - 1, (T - 1) * (C - 1)),
    RRFC: f(ms.T / ms.TR, T - 1, (T - 1) * (R - 1)),
  };
}
