import { describe, expect, it } from 'vitest';
import { Rng } from '../../random.ts';
import {
  chiSquareQuantile,
  chiSquareUpper,
  fQuantile,
  fUpper,
  logGamma,
  noncentralChiSquareUpper,
  noncentralFUpper,
  normalQuantile,
  normalUpper,
  regularizedBeta,
  studentTQuantile,
  studentTTwoSided,
  studentTUpper,
} from './distributions.ts';

// Closed forms used as references: t with 1, 2 and 3 df, F(2, ν), chi-square with 2 df, and
// F(1, ν) = t²(ν). Quantiles against the tabulated z₀.₉₇₅ and t₀.₉₇₅ (many-digit values as R
// prints them: qnorm(0.975), qt(0.975, 1), qt(0.975, 10), qchisq(0.95, 1)).
describe('central distributions', () => {
  it('ln Γ matches exact values', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    expect(() => logGamma(0)).toThrow(RangeError);
  });
  it('Student t against the closed forms for 1, 2 and 3 df', () => {
    for (const t of [-7.3, -1.2, -0.1, 0, 0.4, 2.5, 40]) {
      expect(studentTUpper(t, 1)).toBeCloseTo(0.5 - Math.atan(t) / Math.PI, 14);
      expect(studentTUpper(t, 2)).toBeCloseTo(0.5 - t / (2 * Math.sqrt(2 + t * t)), 14);
      const u = t / Math.sqrt(3);
      expect(studentTUpper(t, 3)).toBeCloseTo(0.5 - (u / (1 + u * u) + Math.atan(u)) / Math.PI, 14);
    }
    expect(studentTTwoSided(-2.5, 2)).toBeCloseTo(2 * studentTUpper(2.5, 2), 14);
  });
  it('F(2, ν) and chi-square(2) against their closed forms; F(1, ν) is t²', () => {
    for (const f of [0.01, 0.7, 3, 12]) {
      for (const nu of [1, 4.5, 15.26, 113]) expect(fUpper(f, 2, nu)).toBeCloseTo((1 + (2 * f) / nu) ** (-nu / 2), 13);
      expect(fUpper(f, 1, 7.3)).toBeCloseTo(studentTTwoSided(Math.sqrt(f), 7.3), 13);
      expect(chiSquareUpper(f, 2)).toBeCloseTo(Math.exp(-f / 2), 14);
    }
    expect(fUpper(5, 1, Infinity)).toBeCloseTo(chiSquareUpper(5, 1), 14);
  });
  it('quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.70620473617471, 10);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 12);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 12);
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841458820694124, 11);
    expect(fUpper(fQuantile(0.95, 1, 15.26), 1, 15.26)).toBeCloseTo(0.05, 13);
    expect(normalUpper(-1)).toBeCloseTo(1 - normalUpper(1), 15);
  });
  it('the incomplete beta is symmetric, I_x(a,b) = 1 − I_{1−x}(b,a)', () => {
    expect(regularizedBeta(0.3, 2.5, 7) + regularizedBeta(0.7, 7, 2.5)).toBeCloseTo(1, 14);
    expect(() => regularizedBeta(0.3, 0, 1)).toThrow(RangeError);
  });
});

describe('noncentral distributions (power)', () => {
  it('noncentral chi-square(1) is (Z + √λ)² and the F with a huge denominator tends to it', () => {
    expect(noncentralChiSquareUpper(3.84, 1, 0)).toBeCloseTo(chiSquareUpper(3.84, 1), 14);
    expect(noncentralChiSquareUpper(3, 3, 0)).toBeCloseTo(chiSquareUpper(3, 3), 13);
    expect(noncentralFUpper(3, 1, 1e5, 4)).toBeCloseTo(noncentralChiSquareUpper(3, 1, 4), 4);
    // The general (Poisson mixture) branch against the closed form for one df.
    const mixture = (x: number, lambda: number) => {
      let s = 0;
      for (let j = 0; j < 200; j++) s += Math.exp(-lambda / 2 + j * Math.log(lambda / 2) - logGamma(j + 1)) * chiSquareUpper(x, 1 + 2 * j);
      return s;
    };
    expect(noncentralChiSquareUpper(3, 1, 4)).toBeCloseTo(mixture(3, 4), 12);
    expect(noncentralFUpper(2, 1, 12, 0)).toBeCloseTo(fUpper(2, 1, 12), 14);
  });
  it('noncentral F(1, 10, λ = 6) upper tail matches a seeded simulation', () => {
    const rng = new Rng('noncentral-F');
    const d2 = 10;
    const lambda = 6;
    const f = fQuantile(0.95, 1, d2);
    const n = 200_000;
    let above = 0;
    for (let k = 0; k < n; k++) {
      const z = rng.normal() + Math.sqrt(lambda);
      let chi = 0;
      for (let j = 0; j < d2; j++) chi += rng.normal() ** 2;
      if ((z * z) / (chi / d2) > f) above++;
    }
    const exact = noncentralFUpper(f, 1, d2, lambda);
    // 4 binomial standard errors.
    expect(Math.abs(above / n - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / n));
    expect(exact).toBeGreaterThan(0.05);
  });
});
