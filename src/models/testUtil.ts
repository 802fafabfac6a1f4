/** Helpers shared by this folder's tests (not part of the public API). */
import * as tf from '@tensorflow/tfjs';

/** Small deterministic RNG for test data (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** A solid ball mask [1,d,d,d,1] (0/1) of radius r at the centre c (z,y,x). */
export function ballMask(d: number, c: [number, number, number], r: number): Float32Array {
  const m = new Float32Array(d * d * d);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < d; y++)
      for (let x = 0; x < d; x++) {
        const q = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2;
        if (q <= r * r) m[(z * d + y) * d + x] = 1;
      }
  return m;
}

/**
 * Central-difference check of d f / d x at `probes` entries of x. Returns the worst
 * |analytic − numeric| / max(|numeric|, floor).
 */
export async function gradCheck(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  opts: { eps?: number; probes?: number; seed?: number; floor?: number } = {},
): Promise<{ maxRelErr: number; worst: { index: number; analytic: number; numeric: number } }> {
  const eps = opts.eps ?? 1e-2;
  const floor = opts.floor ?? 1e-2;
  const g = tf.grad(f)(x);
  const analytic = await g.data();
  g.dispose();
  const base = await x.data();
  const r = mulberry32(opts.seed ?? 7);
  // Probe the largest-gradient entries too: random probes alone can all land on zeros.
  const order = Array.from(analytic.keys()).sort((a, b) => Math.abs(analytic[b]) - Math.abs(analytic[a]));
  const idx = new Set<number>(order.slice(0, Math.ceil((opts.probes ?? 12) / 2)));
  while (idx.size < Math.min(opts.probes ?? 12, base.length)) idx.add(Math.floor(r() * base.length));
  let maxRelErr = 0;
  let worst = { index: -1, analytic: 0, numeric: 0 };
  for (const i of idx) {
    const eval_ = async (delta: number) => {
      const a = Float32Array.from(base);
      a[i] += delta;
      const xt = tf.tensor(a, x.shape);
      const y = f(xt);
      const v = (await y.data())[0];
      xt.dispose();
      y.dispose();
      return v;
    };
    const numeric = ((await eval_(eps)) - (await eval_(-eps))) / (2 * eps);
    const err = Math.abs(analytic[i] - numeric) / Math.max(Math.abs(numeric), floor);
    if (err > maxRelErr) {
      maxRelErr = err;
      worst = { index: i, analytic: analytic[i], numeric };
    }
  }
  return { maxRelErr, worst };
}

/** max |a − b| / max(max |b|, tiny): a relative error over a whole tensor. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}
