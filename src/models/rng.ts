/**
 * The random source the models take. Structural, so the project's seeded core RNG (or anything
 * with `uniform()` in [0, 1)) fits; a `beta` method, when present, is used for Beta draws.
 */
export interface Rng {
  uniform(): number;
  beta?(a: number, b: number): number;
  getState?(): unknown;
  setState?(s: never): void;
}

/** Seeded mulberry32 with a serialisable state, for callers without the core RNG. */
export class SimpleRng implements Rng {
  constructor(private state: number) {
    this.state = state >>> 0;
  }
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  getState(): number {
    return this.state;
  }
  setState(s: number): void {
    this.state = s >>> 0;
  }
}

function normal(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log finite.
  const u = 1 - rng.uniform();
  const v = rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(k, 1) by Marsaglia–Tsang, with the U^(1/k) boost for k < 1. */
function gamma(rng: Rng, k: number): number {
  if (k < 1) return gamma(rng, k + 1) * Math.pow(1 - rng.uniform(), 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(rng: Rng, a: number, b: number): number {
  if (rng.beta) return rng.beta(a, b);
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x + y > 0 ? x / (x + y) : rng.uniform() < a / (a + b) ? 1 : 0;
}
