/**
 * Chunked window attention gives the unchunked numbers: forward and the q/k/v gradients bit for
 * bit, the bias gradient (summed chunk by chunk) to float rounding — with a shifted-window mask,
 * two samples and chunks that do not divide the window count.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomArray, relErr } from '../testUtil.ts';
import { attentionChunkWindows, chunkedWindowAttention } from './attentionChunks.ts';
import { windowAttentionCore } from './windowAttention.ts';
import { attentionMask, type Vec3 } from './windows.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('chunkedWindowAttention', () => {
  // A 6³ volume in 3³ windows shifted by 1: 8 windows of 27 tokens, masked.
  const padded: Vec3 = [6, 6, 6];
  const ws: Vec3 = [3, 3, 3];
  const ss: Vec3 = [1, 1, 1];
  const [batch, nW, heads, n, hd] = [2, 8, 2, 27, 4];
  const bh = batch * nW * heads;
  const maskValues = attentionMask(padded, ws, ss);
  const made: [number, number][] = [];
  // As the model does: made on demand, kept (the gradient reads it after the forward's scope).
  const maskTensor = (w0: number, w1: number) => {
    made.push([w0, w1]);
    return tf.keep(tf.tensor2d(maskValues.subarray(w0 * n * n, w1 * n * n), [w1 - w0, n * n]));
  };
  const q = tf.tensor3d(randomArray(bh * n * hd, 1, -1, 1), [bh, n, hd]);
  const k = tf.tensor3d(randomArray(bh * n * hd, 2, -1, 1), [bh, n, hd]);
  const v = tf.tensor3d(randomArray(bh * n * hd, 3, -1, 1), [bh, n, hd]);
  const bias = tf.tensor2d(randomArray(heads * n * n, 4, -0.5, 0.5), [heads, n * n]);
  const budget = 3 * heads * n * n * 4; // 3 windows per chunk: 3 + 3 + 2 per sample

  const run = (f: (a: tf.Tensor3D, b: tf.Tensor3D, c: tf.Tensor3D, d: tf.Tensor2D) => tf.Tensor3D) => {
    const dy = tf.tensor3d(randomArray(bh * n * hd, 5, -1, 1), [bh, n, hd]);
    const out = tf.tidy(() => f(q, k, v, bias));
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, d as tf.Tensor2D), dy)))([q, k, v, bias]);
    const arrays = [out, ...grads].map((t) => t.dataSync() as Float32Array);
    tf.dispose([dy, out, ...grads]);
    return arrays;
  };

  it('sizes chunks by the byte budget (at least one window, at most all)', () => {
    expect(attentionChunkWindows(nW, heads, n, budget)).toBe(3);
    expect(attentionChunkWindows(nW, heads, n, 1)).toBe(1);
    expect(attentionChunkWindows(nW, heads, n, 1e12)).toBe(nW);
    // The paper's first stage at 96³: 343 windows of 343 tokens, 3 heads → 47 windows (66 MB of scores).
    expect(attentionChunkWindows(343, 3, 343)).toBe(47);
  });

  it('equals windowAttentionCore over all windows at once', () => {
    // Made outside the forward: the gradient reads it after the forward's scope has ended.
    const full = tf.tensor2d(maskValues, [nW, n * n]);
    const whole = run((a, b, c, d) => windowAttentionCore(a, b, c, d, { heads, windows: nW, mask: { values: maskValues, tensor: full } }));
    full.dispose();
    made.length = 0;
    const chunked = run((a, b, c, d) => chunkedWindowAttention(a, b, c, d, { heads, windows: nW, maskValues, maskTensor }, budget));
    expect(made.length).toBeGreaterThan(0);
    expect(made.every(([w0, w1]) => w1 - w0 <= 3)).toBe(true);
    const [out, dq, dk, dv, db] = chunked;
    expect(out).toEqual(whole[0]);
    expect(dq).toEqual(whole[1]);
    expect(dk).toEqual(whole[2]);
    expect(dv).toEqual(whole[3]);
    expect(relErr(db, whole[4])).toBeLessThan(1e-6);
    // The mask mattered (a different answer without it), so the chunks used their own rows.
    const unmasked = run((a, b, c, d) => windowAttentionCore(a, b, c, d, { heads, windows: nW }));
    expect(relErr(out, unmasked[0])).toBeGreaterThan(1e-3);
  });

  it('refuses a batch that is not whole windows × heads, and a mask without its tensors', () => {
    expect(() => chunkedWindowAttention(tf.slice(q, 0, bh - 1) as tf.Tensor3D, k, v, bias, { heads, windows: nW })).toThrow(/not a multiple of 8 windows × 2 heads/);
    expect(() => chunkedWindowAttention(q, k, v, bias, { heads, windows: nW, maskValues })).toThrow(/a mask needs maskTensor/);
  });
});
