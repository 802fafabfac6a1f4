/**
 * Window attention a few windows at a time, so no single tensor grows with the volume.
 *
 * At 96³ the first Swin stage has 343 windows of 343 tokens: its scores for all windows at once
 * are [343·3, 343, 343] floats (484 MB) and the shifted-window mask [343, 343²] (161 MB) — more
 * than a WebGPU buffer may hold on many devices (128 MiB on lavapipe; larger buffers silently
 * give garbage) and a needless peak elsewhere. Each chunk is windowAttentionCore over its own
 * windows with the mask rows of those windows, so the numbers are the unchunked ones; only the
 * relative-position-bias gradient is summed chunk by chunk (float rounding order).
 */
import * as tf from '@tensorflow/tfjs';
import { type AttentionGeometry, windowAttentionCore } from './windowAttention.ts';

/** Bytes the scores of one chunk may take (the mask chunk is a `heads`-th of it). */
export const ATTENTION_CHUNK_BYTES = 64 * 2 ** 20;

/** Windows per chunk: as many as fit `budget` bytes of scores ([windows·heads, n, n] float32), at least 1. */
export function attentionChunkWindows(windows: number, heads: number, n: number, budget = ATTENTION_CHUNK_BYTES): number {
  const perWindow = heads * n * n * 4;
  return Math.max(1, Math.min(windows, Math.floor(budget / perWindow)));
}

export interface ChunkedGeometry {
  heads: number;
  /** Windows per sample (nW). */
  windows: number;
  /** The shifted-window mask values [nW, n·n] (0 / −100), absent for unshifted blocks. */
  maskValues?: Float32Array;
  /** The mask rows of windows [w0, w1) as a tensor [w1 − w0, n·n]; the caller may cache it. */
  maskTensor?: (w0: number, w1: number) => tf.Tensor2D;
}

/**
 * softmax(q·kᵀ + bias[head] + mask[window])·v over q, k, v [batch·nW·heads, n, hd] (windows-major,
 * then heads, as windowAttentionCore), in chunks of at most attentionChunkWindows windows of one
 * sample. `budget` is for tests (small chunks on small volumes).
 */
export function chunkedWindowAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D, g: ChunkedGeometry, budget = ATTENTION_CHUNK_BYTES): tf.Tensor3D {
  const [bh, n] = q.shape;
  const per = g.windows * g.heads;
  if (bh % per !== 0) throw new Error(`attention batch ${bh} is not a multiple of ${g.windows} windows × ${g.heads} heads`);
  if (g.maskValues && !g.maskTensor) throw new Error('chunked attention: a mask needs maskTensor');
  const nn = n * n;
  const geometry = (w0: number, w1: number): AttentionGeometry => {
    if (!g.maskValues) return { heads: g.heads, windows: w1 - w0 };
    const values = g.maskValues.subarray(w0 * nn, w1 * nn);
    const make = g.maskTensor!;
    // Lazy: the cpu forward reads only the values; the tensor is made when a gradient needs it.
    return { heads: g.heads, windows: w1 - w0, mask: { values, get tensor() { return make(w0, w1); } } };
  };
  const cw = attentionChunkWindows(g.windows, g.heads, n, budget);
  if (cw >= g.windows) return windowAttentionCore(q, k, v, bias, geometry(0, g.windows));
  return tf.tidy(() => {
    const ranges: [number, number][] = [];
    for (let b = 0; b < bh / per; b++) for (let w0 = 0; w0 < g.windows; w0 += cw) ranges.push([w0, Math.min(g.windows, w0 + cw)]);
    // One split per operand (a registered fast kernel on cpu; rank 3, so its gradient is right on webgpu).
    const sizes = ranges.map(([w0, w1]) => (w1 - w0) * g.heads);
    const [qs, ks, vs] = [q, k, v].map((t) => tf.split(t, sizes, 0) as tf.Tensor3D[]);
    const outs = ranges.map(([w0, w1], i) => windowAttentionCore(qs[i], ks[i], vs[i], bias, geometry(w0, w1)));
    return tf.concat(outs, 0) as tf.Tensor3D;
  });
}
