/**
 * Seeded random numbers shared by the browser and the Node worker, so that one seed gives the same
 * tumour, byte for byte, everywhere.
 *
 * Generator: xoshiro128** (Blackman & Vigna), written here from the published recurrence, seeded
 * through a 32-bit avalanche mixer. Only integer ops (Math.imul, shifts, xor) touch the state, so
 * the stream is exact on every JS engine. Floats are built from 53 bits by exact arithmetic.
 * normal() and beta() call Math.log / Math.sqrt / Math.exp / Math.cos: sqrt is correctly rounded by
 * IEEE 754; V8 (Node and Chromium alike, all recent versions) implements log/exp/cos with its
 * bundled fdlibm port (src/base/ieee754), so Node and Chrome agree bit for bit. Other engines'
 * transcendental functions may differ in the last ulp, which can (rarely) flip a threshold.
 */

export interface RngState {
  readonly kind: 'xoshiro128**';
  /** The four 32-bit state words, as unsigned integers. */
  readonly s: readonly [number, number, number, number];
}

/** Any integer (|n| < 2^53) or string seed. */
export type Seed = number | string;

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** A strong 32-bit integer mixer (bijective, full avalanche). */
function mix32(x: number): number {
  x = x | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aab5);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** Folds a seed (and optional sub-stream names) into one 32-bit word. */
export function hashSeed(seed: Seed, ...parts: Seed[]): number {
  let h = 0x811c9dc5;
  const absorb = (v: Seed): void => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || !Number.isInteger(v)) throw new RangeError(`seed must be an integer, got ${v}`);
      const neg = v < 0;
      const a = Math.abs(v);
      const lo = a % TWO_POW_32;
      const hi = Math.floor(a / TWO_POW_32);
      h = mix32(h ^ lo);
      h = mix32(h ^ hi ^ (neg ? 0x80000000 : 0));
    } else {
      h = mix32(h ^ 0x5bd1e995);
      for (let n = 0; n < v.length; n++) h = mix32(h ^ v.charCodeAt(n));
      h = mix32(h ^ v.length);
    }
  };
  absorb(seed);
  for (const p of parts) absorb(p);
  return h;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: Seed = 0) {
    let x = hashSeed(seed);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // The all-zero state is the one fixed point of xoshiro; never start there.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  uniform(lo?: number, hi?: number): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    const u = (a * 67108864 + b) / TWO_POW_53;
    if (lo === undefined || hi === undefined) return u;
    return lo + (hi - lo) * u;
  }

  /** Uniform integer in [lo, hi], both ends included (like Python's random.randint). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new RangeError(`int(${lo}, ${hi}): need integers with lo <= hi`);
    }
    const span = hi - lo + 1;
    if (span <= TWO_POW_32) {
      // Rejection keeps every value exactly equally likely.
      const limit = TWO_POW_32 - (TWO_POW_32 % span);
      for (;;) {
        const v = this.nextUint32();
        if (v < limit) return lo + (v % span);
      }
    }
    return lo + Math.floor(this.uniform() * span);
  }

  /** Standard normal (Marsaglia's polar method; the second value is discarded so the state stays 4 words). */
  normal(mean = 0, sd = 1): number {
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) return mean + sd * u * Math.sqrt((-2 * Math.log(s)) / s);
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** One element of a non-empty array, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice() of an empty array');
    return items[this.int(0, items.length - 1)];
  }

  /** An index drawn with probability proportional to weights (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weights must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (total <= 0) throw new RangeError('weights must not all be zero');
    let u = this.uniform() * total;
    for (let n = 0; n < weights.length; n++) {
      if (u < weights[n]) return n;
      u -= weights[n];
    }
    // Rounding can leave u a hair above the last weight: return the last positive one.
    for (let n = weights.length - 1; n >= 0; n--) if (weights[n] > 0) return n;
    return weights.length - 1;
  }

  /**
   * log of a Gamma(shape, 1) draw (Marsaglia & Tsang; shape < 1 through the U^(1/a) boost).
   * Kept in log space because Beta(0.2, 0.2) needs gammas that underflow doubles.
   */
  private logGamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) {
      const boost = Math.log(1 - this.uniform()) / shape; // log(U^(1/a)), U in (0,1]
      return this.logGamma(shape + 1) + boost;
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.uniform(); // (0, 1]
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d) + Math.log(v);
    }
  }

  /** Gamma(shape, scale) draw. */
  gamma(shape: number, scale = 1): number {
    return Math.exp(this.logGamma(shape)) * scale;
  }

  /** Beta(a, b) draw in [0, 1] (Mixup uses Beta(0.2, 0.2)). */
  beta(a: number, b: number): number {
    const la = this.logGamma(a);
    const lb = this.logGamma(b);
    // X/(X+Y) = 1/(1+exp(lb-la)), finite even when both gammas underflow.
    return 1 / (1 + Math.exp(lb - la));
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let n = items.length - 1; n > 0; n--) {
      const m = this.int(0, n);
      const t = items[n];
      items[n] = items[m];
      items[m] = t;
    }
    return items;
  }

  /** An independent generator seeded from this stream (advances this one by two outputs). */
  fork(): Rng {
    const hi = this.nextUint32() >>> 11; // 21 bits, so the seed stays an exact integer
    return new Rng(hi * TWO_POW_32 + this.nextUint32());
  }

  getState(): RngState {
    return { kind: 'xoshiro128**', s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  setState(state: RngState): void {
    if (!state || state.kind !== 'xoshiro128**' || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new TypeError('not an xoshiro128** RngState');
    }
    for (const w of state.s) {
      if (!Number.isInteger(w) || w < 0 || w >= TWO_POW_32) throw new RangeError(`state word out of range: ${w}`);
    }
    if ((state.s[0] | state.s[1] | state.s[2] | state.s[3]) === 0) throw new RangeError('all-zero state is invalid');
    this.s0 = state.s[0] | 0;
    this.s1 = state.s[1] | 0;
    this.s2 = state.s[2] | 0;
    this.s3 = state.s[3] | 0;
  }
}

/** A generator from a seed, or the given generator itself. */
export function toRng(seedOrRng: Seed | Rng | undefined): Rng {
  if (seedOrRng instanceof Rng) return seedOrRng;
  return new Rng(seedOrRng ?? 0);
}
