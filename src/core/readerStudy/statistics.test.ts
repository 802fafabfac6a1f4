import { describe, expect, it } from 'vitest';
import { binomialTest, cohenKappa, fleissKappa, rocAuc, rocCurve, summarise, syntheticScore, type Rating } from './statistics.ts';

describe('binomialTest (exact, two-sided)', () => {
  it('7 of 10 at p = 0.5 gives 0.34375 (= 2·176/1024)', () => {
    expect(binomialTest(7, 10)).toBeCloseTo(0.34375, 12);
    expect(binomialTest(3, 10)).toBeCloseTo(0.34375, 12);
    expect(binomialTest(5, 10)).toBeCloseTo(1, 12);
    expect(binomialTest(10, 10)).toBeCloseTo(2 / 1024, 12);
  });
  it("Mendel's peas, 682 of 925 at p = 3/4: p = 0.3825 (R's binom.test example)", () => {
    expect(binomialTest(682, 925, 0.75)).toBeCloseTo(0.3825, 4);
  });
  it('rejects impossible counts', () => {
    expect(() => binomialTest(11, 10)).toThrow(RangeError);
  });
});

describe("Cohen's kappa", () => {
  it('the textbook 50-item example: agreement 0.7, chance 0.5, κ = 0.4', () => {
    // 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    const a = [...Array(20).fill('y'), ...Array(5).fill('y'), ...Array(10).fill('n'), ...Array(15).fill('n')];
    const b = [...Array(20).fill('y'), ...Array(5).fill('n'), ...Array(10).fill('y'), ...Array(15).fill('n')];
    expect(cohenKappa(a, b)).toBeCloseTo(0.4, 12);
    expect(cohenKappa(a, a)).toBe(1);
  });
});

describe("Fleiss' kappa", () => {
  it('the 10-subject, 14-rater, 5-category worked example gives κ ≈ 0.210', () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(table)).toBeCloseTo(0.21, 3);
  });
  it('equals Cohen-like perfect agreement as 1', () => {
    expect(fleissKappa([[3, 0], [0, 3], [3, 0]])).toBeCloseTo(1, 12);
  });
});

describe('ROC AUC', () => {
  it("Hanley & McNeil (1982) CT rating example: AUC ≈ 0.893", () => {
    const expand = (counts: number[]) => counts.flatMap((c, k) => Array(c).fill(k + 1));
    const normal = expand([33, 6, 6, 11, 2]);
    const abnormal = expand([3, 2, 2, 11, 33]);
    expect(rocAuc(abnormal, normal)).toBeCloseTo(0.893, 3);
  });
  it('is 1 for perfect separation, 0.5 for identical scores', () => {
    expect(rocAuc([3, 4], [1, 2])).toBe(1);
    expect(rocAuc([2, 2], [2, 2])).toBe(0.5);
    const c = rocCurve([3, 4], [1, 2]);
    expect(c[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(c[c.length - 1]).toEqual({ fpr: 1, tpr: 1 });
  });
});

describe('summarise', () => {
  it('counts sensitivity and specificity for "synthetic"', () => {
    const r = (truth: Rating['truth'], answer: Rating['answer'], confidence = 3): Rating => ({ truth, answer, confidence });
    const s = summarise([r('synthetic', 'synthetic'), r('synthetic', 'real'), r('real', 'real'), r('real', 'real', 5)]);
    expect(s.accuracy).toBe(0.75);
    expect(s.sensitivity).toBe(0.5);
    expect(s.specificity).toBe(1);
    expect(s.confusion).toEqual({ tp: 1, fn: 1, tn: 2, fp: 0 });
    expect(syntheticScore(r('synthetic', 'synthetic', 5))).toBe(10);
    expect(syntheticScore(r('real', 'real', 5))).toBe(1);
  });
});
