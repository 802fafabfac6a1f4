/**
 * The MRMC pieces on seeded simulated studies (Roe & Metz style: a case effect shared by readers,
 * a reader effect, noise), where the truth is known by construction.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../random.ts';
import { averageRocCurve, trapezoidArea } from './averageRoc.ts';
import { delongCovariance } from './delong.ts';
import { fromLongRows, MrmcInputError, validateMrmc, type LongRow, type MrmcData } from './design.ts';
import { imrmcText, parseImrmc, parseLongTable, rjafrocTable } from './exports.ts';
import { AUC, figureOfMerit, structuralComponents } from './figuresOfMerit.ts';
import { jackknifeCovariance } from './jackknife.ts';
import { orhAnalysis, testAgainst } from './orh.ts';
import { casesForPower, singlePower } from './sampleSize.ts';
import { rocAuc, rocCurve } from '../statistics.ts';

/** Readers × cases ratings on a 1–10 scale; `separation` 0 means readers are at chance. */
function simulate(seed: string, readers: number, positives: number, negatives: number, separation: number, modalities = 1): MrmcData {
  const rng = new Rng(seed);
  const truth = [...new Array<0 | 1>(negatives).fill(0), ...new Array<0 | 1>(positives).fill(1)];
  const caseEffect = truth.map(() => rng.normal());
  const readerEffect = Array.from({ length: readers }, () => rng.normal(0, 0.3));
  // AUC ignores a reader's shift of the scale: reader variability is a reader's own separation.
  const skill = readerEffect.map(() => (separation ? rng.normal(0, 0.6) : 0));
  const ratings = Array.from({ length: modalities }, (_, t) =>
    readerEffect.map((re, r) =>
      truth.map((y, c) => {
        const x = y * (separation + skill[r] + 0.3 * t) + 0.7 * caseEffect[c] + re + rng.normal(0, 0.7);
        return Math.min(10, Math.max(1, Math.round(5.5 + 1.5 * x)));
      }),
    ),
  );
  return validateMrmc({
    readers: readerEffect.map((_, r) => `R${r + 1}`),
    modalities: Array.from({ length: modalities }, (_, t) => `M${t + 1}`),
    cases: truth.map((_, c) => `item-${c + 1}`),
    truth,
    ratings,
  });
}

describe('figures of merit', () => {
  it('AUC structural components average to the Mann–Whitney AUC', () => {
    const pos = [3, 5, 5, 9, 2];
    const neg = [1, 5, 2, 2];
    const s = structuralComponents(AUC, pos, neg);
    expect(s.value).toBeCloseTo(rocAuc(pos, neg), 15);
    expect(s.neg.reduce((a, x) => a + x, 0) / neg.length).toBeCloseTo(s.value, 15);
  });
  it('binary FOMs call a case positive at rating ≥ threshold; accuracy weighs sensitivity and specificity by the case mix', () => {
    const pos = [6, 7, 3];
    const neg = [1, 6, 2, 4];
    expect(figureOfMerit({ kind: 'sensitivity', threshold: 6 }, pos, neg)).toBeCloseTo(2 / 3, 15);
    expect(figureOfMerit({ kind: 'specificity', threshold: 6 }, pos, neg)).toBeCloseTo(3 / 4, 15);
    expect(figureOfMerit({ kind: 'accuracy', threshold: 6 }, pos, neg)).toBeCloseTo(5 / 7, 15);
  });
});

describe('covariances', () => {
  const data = simulate('cov', 4, 30, 30, 1, 2);
  it('DeLong and jackknife agree closely for the AUC (both estimate the same variance)', () => {
    const dl = delongCovariance(data, AUC).cov;
    const jk = jackknifeCovariance(data, AUC).cov;
    for (let i = 0; i < dl.length; i++) expect(jk[i][i] / dl[i][i]).toBeGreaterThan(0.9);
    for (let i = 0; i < dl.length; i++) expect(jk[i][i] / dl[i][i]).toBeLessThan(1.15);
  });
  it('DeLong in a split design: modalities sharing only negatives have no positive-case covariance', () => {
    // M1 holds positives 0–14 and M2 positives 15–29; both hold every negative.
    const inModality = [0, 1].map((t) => data.truth.map((y, c) => y === 0 || (c - 30 < 15) === (t === 0)));
    const split: MrmcData = { ...data, inModality };
    const cov = delongCovariance(split, AUC);
    const R = data.readers.length;
    // Covariance between M1 and M2 of reader 1 = negatives' part only: S01(A,B)/n0.
    const posA = split.truth.flatMap((y, c) => (y === 1 && inModality[0][c] ? [data.ratings[0][0][c]] : []));
    const posB = split.truth.flatMap((y, c) => (y === 1 && inModality[1][c] ? [data.ratings[1][0][c]] : []));
    const neg0 = split.truth.flatMap((y, c) => (y === 0 ? [data.ratings[0][0][c]] : []));
    const neg1 = split.truth.flatMap((y, c) => (y === 0 ? [data.ratings[1][0][c]] : []));
    const a = structuralComponents(AUC, posA, neg0).neg;
    const b = structuralComponents(AUC, posB, neg1).neg;
    const ma = a.reduce((s, x) => s + x, 0) / a.length;
    const mb = b.reduce((s, x) => s + x, 0) / b.length;
    const s01 = a.reduce((s, x, k) => s + (x - ma) * (b[k] - mb), 0) / (a.length - 1);
    expect(cov.cov[0][R]).toBeCloseTo(s01 / a.length, 15);
    expect(() => jackknifeCovariance(split, AUC)).toThrow(/crossed design/);
    // ORH still runs on DeLong covariances of the split design.
    expect(Number.isFinite(orhAnalysis(cov).tests!.RRRC.p)).toBe(true);
  });
});

describe('single-modality ORH and the test against chance', () => {
  it('readers at chance: AUC near 0.5 and no significant difference; readers who can tell: p tiny', () => {
    const chance = orhAnalysis(delongCovariance(simulate('chance', 5, 40, 40, 0), AUC)).modalities[0];
    expect(Math.abs(chance.fom - 0.5)).toBeLessThan(0.1);
    expect(testAgainst(chance, 0.5).RRRC.p).toBeGreaterThan(0.05);
    const able = orhAnalysis(delongCovariance(simulate('able', 5, 40, 40, 2.5), AUC)).modalities[0];
    expect(testAgainst(able, 0.5).RRRC.p).toBeLessThan(1e-4);
    expect(able.RRRC.ci[0]).toBeGreaterThan(0.5);
  });
});

describe('sample size for one modality against θ₀', () => {
  const pilotData = simulate('pilot', 4, 20, 20, 0.6);
  const m = orhAnalysis(delongCovariance(pilotData, AUC)).modalities[0];
  const pilot = { kStar: 40, varR: m.msR - m.var + m.cov2, var: m.var, cov2: m.cov2 };
  it('planned as the pilot (same readers and cases), it is the pilot\'s own test: same ddf, λ = ((θ̂ − θ₀)/SE)²', () => {
    expect(pilot.varR).toBeGreaterThan(0);
    const p = singlePower(pilot, 4, 40, m.fom - 0.5);
    expect(p.ddf).toBeCloseTo(m.RRRC.df, 10);
    expect(p.lambda).toBeCloseTo(((m.fom - 0.5) / m.RRRC.se) ** 2, 10);
  });
  it('no effect gives power α; power grows with cases and readers', () => {
    expect(singlePower(pilot, 5, 80, 0).power).toBeCloseTo(0.05, 12);
    expect(singlePower(pilot, 5, 80, 0, 0.05, 'FRRC').power).toBeCloseTo(0.05, 12);
    expect(singlePower(pilot, 5, 200, 0.1).power).toBeGreaterThan(singlePower(pilot, 5, 80, 0.1).power);
    expect(singlePower(pilot, 10, 80, 0.1).power).toBeGreaterThan(singlePower(pilot, 5, 80, 0.1).power);
    const k = casesForPower((c) => singlePower(pilot, 6, c, 0.2).power, 0.8)!;
    expect(singlePower(pilot, 6, k, 0.2).power).toBeGreaterThanOrEqual(0.8);
    expect(singlePower(pilot, 6, k - 1, 0.2).power).toBeLessThan(0.8);
    // Reader variance caps the power: with too few readers no number of cases is enough.
    expect(casesForPower((c) => singlePower(pilot, 2, c, 0.05).power, 0.99)).toBeNull();
    expect(() => singlePower(pilot, 1, 80, 0.1)).toThrow(/2 or more readers/);
  });
});

describe('the reader-averaged ROC curve', () => {
  it('its area is the mean of the readers\' AUCs', () => {
    const data = simulate('roc', 3, 12, 12, 1);
    const curves = data.readers.map((_, r) => {
      const pos = data.truth.flatMap((y, c) => (y ? [data.ratings[0][r][c]] : []));
      const neg = data.truth.flatMap((y, c) => (y ? [] : [data.ratings[0][r][c]]));
      return { curve: rocCurve(pos, neg), auc: rocAuc(pos, neg) };
    });
    const avg = averageRocCurve(curves.map((c) => c.curve));
    expect(avg[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(avg[avg.length - 1]).toEqual({ fpr: 1, tpr: 1 });
    for (const c of curves) expect(trapezoidArea(c.curve)).toBeCloseTo(c.auc, 14);
    expect(trapezoidArea(avg)).toBeCloseTo(curves.reduce((s, c) => s + c.auc, 0) / 3, 14);
  });
});

describe('exports: iMRMC and the RJafroc table', () => {
  const data = simulate('export', 3, 6, 6, 1);
  it('round-trip: what we write reads back to the same data', () => {
    const table = rjafrocTable(data);
    expect(table.split('\n')[0]).toBe('reader,modality,case,truth,rating');
    expect(table.trim().split('\n')).toHaveLength(1 + 3 * 12);
    const back = parseLongTable(table, 'study.rjafroc.csv');
    expect(back.ratings).toEqual(data.ratings);
    expect(back.truth).toEqual(data.truth);
    const im = imrmcText(data, ['FreeTumor reader study', 'NR: would confuse the reader']);
    expect(im).toContain('\nNR: 3\nN0: 6\nN1: 6\nNM: 1\n');
    expect(im).toContain('# NR - would confuse the reader');
    expect(im).toContain('\nBEGIN DATA:\n-1,1,0,0\n');
    const imBack = parseImrmc(im, 'study.imrmc');
    expect(imBack.ratings).toEqual(data.ratings);
    expect(imBack.readers).toEqual(data.readers);
  });
  it('a split design goes to iMRMC but not to RJafroc\'s crossed table', () => {
    const two = simulate('export2', 3, 6, 6, 1, 2);
    const split: MrmcData = { ...two, inModality: [0, 1].map((t) => two.truth.map((y, c) => y === 0 || c % 2 === t)) };
    expect(() => rjafrocTable(split)).toThrow(/crossed design/);
    const back = parseImrmc(imrmcText(split), 'split.imrmc');
    expect(back.inModality).toEqual(split.inModality);
  });
  it('bad input names the file and the problem', () => {
    expect(() => parseLongTable('reader,modality,case,truth\n1,1,1,0\n', 'a.csv')).toThrow(/^a\.csv: no "rating" column/);
    expect(() => parseLongTable('reader,modality,case,truth,rating\n1,1,1,0,x\n', 'b.csv')).toThrow('b.csv line 2: rating "x" is not a number');
    expect(() => parseLongTable('reader,modality,case,truth,rating\n1,1,1,2,3\n', 'c.csv')).toThrow('c.csv line 2: truth 2 is not 0 or 1');
    const rows: LongRow[] = [];
    for (const r of ['A', 'B']) for (let c = 1; c <= 4; c++) if (!(r === 'B' && c === 3)) rows.push({ reader: r, modality: 'm', case: String(c), truth: c % 2, rating: c });
    expect(() => fromLongRows(rows, 'd.csv')).toThrow('d.csv: reader "B" has no rating of case "3" in modality "m" (every reader must rate every case)');
    expect(() => parseImrmc('NR: 1\nBEGIN DATA:\n', 'e.imrmc')).toThrow('e.imrmc: the header has no "N0:" line');
    const few = rows.filter((x) => x.reader === 'A' && x.case !== '1');
    expect(() => fromLongRows(few, 'f.csv')).toThrow(/f\.csv: modality "m" has 1 positive and 2 negative cases/);
    expect(() => validateMrmc({ ...data, truth: data.truth.slice(1) }, 'g')).toThrow(MrmcInputError);
  });
});
