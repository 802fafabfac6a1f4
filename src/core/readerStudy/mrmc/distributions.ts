/**
 * The distribution functions an MRMC analysis needs (t, F, chi-square, normal; noncentral F and
 * chi-square for power), written from their definitions through the regularized incomplete beta
 * and gamma functions. Accuracy is near double precision (~1e-14), which the published
 * p-values and confidence limits (8–10 decimals) require.
 */

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 10_000;

/** Lanczos (g = 7, 9 terms) coefficients: relative error ~1e-15 for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0];
  for (let k = 1; k < LANCZOS.length; k++) s += LANCZOS[k] / (z + k);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** Continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8), by the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta: no convergence for x=${x}, a=${a}, b=${b}`);
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`regularizedBeta: needs a, b > 0, got ${a}, ${b}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b));
  // The fraction converges fast only below the mean; above it use I_x(a,b) = 1 − I_{1−x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Regularized lower incomplete gamma P(a, x) and upper Q(a, x) = 1 − P. */
export function regularizedGamma(a: number, x: number): { p: number; q: number } {
  if (!(a > 0)) throw new RangeError(`regularizedGamma: needs a > 0, got ${a}`);
  if (Number.isNaN(x)) return { p: NaN, q: NaN };
  if (x <= 0) return { p: 0, q: 1 };
  if (x === Infinity) return { p: 1, q: 0 };
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n <= MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) {
        const p = sum * Math.exp(logFront);
        return { p, q: 1 - p };
      }
    }
    throw new Error(`incomplete gamma: no convergence for a=${a}, x=${x}`);
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) {
      const q = Math.exp(logFront) * h;
      return { p: 1 - q, q };
    }
  }
  throw new Error(`incomplete gamma: no convergence for a=${a}, x=${x}`);
}

/** P(Z > z) for a standard normal Z, accurate in the far tail too. */
export function normalUpper(z: number): number {
  const half = 0.5 * regularizedGamma(0.5, (z * z) / 2).q;
  return z >= 0 ? half : 1 - half;
}

export function normalCdf(z: number): number {
  return normalUpper(-z);
}

/** P(T > t) for Student's t with df degrees of freedom (df = Infinity: normal). */
export function studentTUpper(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student t: needs df > 0, got ${df}`);
  if (df === Infinity) return normalUpper(t);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** Two-sided p-value P(|T| ≥ |t|), computed without cancellation. */
export function studentTTwoSided(t: number, df: number): number {
  if (df === Infinity) return 2 * normalUpper(Math.abs(t));
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** P(X > x) for chi-square with k degrees of freedom. */
export function chiSquareUpper(x: number, k: number): number {
  return regularizedGamma(k / 2, Math.max(0, x) / 2).q;
}

/** P(F > f) for F(d1, d2); d2 = Infinity is chi-square(d1)/d1. */
export function fUpper(f: number, d1: number, d2: number): number {
  if (!(d1 > 0 && d2 > 0)) throw new RangeError(`F distribution: needs positive df, got (${d1}, ${d2})`);
  if (f <= 0) return 1;
  if (d2 === Infinity) return chiSquareUpper(d1 * f, d1);
  return regularizedBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

/**
 * The x where a decreasing function `upper` (a survival function) equals p, by bisection to the
 * last bit: slower than Newton but sure, and these quantiles are few.
 */
function invertUpper(upper: (x: number) => number, p: number, lo: number, hi: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile: needs 0 < p < 1, got ${p}`);
  while (upper(hi) > p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) throw new Error('quantile: no upper bracket');
  }
  while (upper(lo) < p) {
    hi = lo;
    lo = lo < 0 ? lo * 2 : lo === 0 ? -1 : 0;
    if (lo < -1e300) throw new Error('quantile: no lower bracket');
  }
  for (let n = 0; n < 2000; n++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (upper(mid) > p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The t with P(T ≤ t) = p. */
export function studentTQuantile(p: number, df: number): number {
  return invertUpper((t) => studentTUpper(t, df), 1 - p, -1, 1);
}

export function normalQuantile(p: number): number {
  return studentTQuantile(p, Infinity);
}

/** The f with P(F ≤ f) = p. */
export function fQuantile(p: number, d1: number, d2: number): number {
  return invertUpper((f) => fUpper(f, d1, d2), 1 - p, 0, 1);
}

export function chiSquareQuantile(p: number, k: number): number {
  return invertUpper((x) => chiSquareUpper(x, k), 1 - p, 0, 1);
}

/**
 * P(F' > f) for the noncentral F(d1, d2, λ): a Poisson(λ/2) mixture of central betas,
 * I_y(d1/2 + j, d2/2), stepped with the exact recurrence in j instead of one beta per term.
 */
export function noncentralFUpper(f: number, d1: number, d2: number, lambda: number): number {
  if (!(lambda >= 0)) throw new RangeError(`noncentral F: needs λ ≥ 0, got ${lambda}`);
  if (lambda === 0) return fUpper(f, d1, d2);
  if (d2 === Infinity) return noncentralChiSquareUpper(d1 * f, d1, lambda);
  if (f <= 0) return 1;
  const y = (d1 * f) / (d1 * f + d2);
  const a = d1 / 2;
  const b = d2 / 2;
  const m = lambda / 2;
  const spread = 12 * Math.sqrt(m) + 12;
  const j0 = Math.max(0, Math.floor(m - spread));
  const j1 = Math.ceil(m + spread + 30);
  // upper_j = 1 − I_y(a + j, b); upper_{j+1} = upper_j + T_j with T_j the beta "term".
  let upper = 1 - regularizedBeta(y, a + j0, b);
  let logT = (a + j0) * Math.log(y) + b * Math.log1p(-y) - Math.log(a + j0) - logBeta(a + j0, b);
  let sum = 0;
  for (let j = j0; j <= j1; j++) {
    const w = Math.exp(-m + j * Math.log(m) - logGamma(j + 1));
    sum += w * upper;
    upper += Math.exp(logT);
    logT += Math.log(y) + Math.log(a + b + j) - Math.log(a + j + 1);
  }
  return Math.min(1, Math.max(0, sum));
}

/** P(X' > x) for noncentral chi-square with k degrees of freedom and noncentrality λ. */
export function noncentralChiSquareUpper(x: number, k: number, lambda: number): number {
  if (k === 1) {
    // X' = (Z + √λ)²: exact through the normal.
    const r = Math.sqrt(Math.max(0, x));
    const s = Math.sqrt(lambda);
    return normalUpper(r + s) + normalUpper(r - s);
  }
  const m = lambda / 2;
  const spread = 12 * Math.sqrt(m) + 12;
  let sum = 0;
  for (let j = Math.max(0, Math.floor(m - spread)); j <= Math.ceil(m + spread + 30); j++) {
    const w = m === 0 ? (j === 0 ? 1 : 0) : Math.exp(-m + j * Math.log(m) - logGamma(j + 1));
    sum += w * chiSquareUpper(x, k + 2 * j);
  }
  return Math.min(1, sum);
}
