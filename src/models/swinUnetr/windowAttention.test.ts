/**
 * The fused cpu window attention and its hand-written gradient against the plain tf-op
 * formulation under tfjs autodiff, with and without a shifted-window mask.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { randomArray } from '../testUtil.ts';
import { attentionMask } from './windows.ts';
import { type AttentionGeometry, attentionReference, windowAttentionCore } from './windowAttention.ts';

await tf.setBackend('cpu');

const maxRel = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
};

describe.each([false, true])('windowAttentionCore (mask %s)', (masked) => {
  // 2 samples × 8 windows of 2³ tokens (padded 4³ grid, window 2, shift 1), 3 heads of 5 channels.
  const heads = 3;
  const windows = 8;
  const n = 8;
  const hd = 5;
  const bh = 2 * windows * heads;
  const values = attentionMask([4, 4, 4], [2, 2, 2], [1, 1, 1]);
  const g: AttentionGeometry = { heads, windows, mask: masked ? { values, tensor: tf.tensor2d(values, [windows, n * n]) } : undefined };
  const q = tf.tensor3d(randomArray(bh * n * hd, 1, -2, 2), [bh, n, hd]);
  const k = tf.tensor3d(randomArray(bh * n * hd, 2, -2, 2), [bh, n, hd]);
  const v = tf.tensor3d(randomArray(bh * n * hd, 3, -1, 1), [bh, n, hd]);
  const bias = tf.tensor2d(randomArray(heads * n * n, 4, -1, 1), [heads, n * n]);
  const w = tf.tensor3d(randomArray(bh * n * hd, 5, -1, 1), [bh, n, hd]);

  it('mask separates tokens from different regions', () => {
    // Window 7 of the padded grid (the corner) mixes 8 regions: each token sees only itself.
    const last = values.subarray(7 * n * n, 8 * n * n);
    expect(Array.from(last).filter((x) => x === 0).length).toBe(n);
    expect(Array.from(values.subarray(0, n * n)).every((x) => x === 0)).toBe(true);
  });

  it('forward equals the tf-op formulation', async () => {
    const a = await windowAttentionCore(q, k, v, bias, g).data();
    const b = await attentionReference(q, k, v, bias, g).data();
    expect(maxRel(a, b)).toBeLessThan(1e-5);
  });

  it('gradients equal autodiff of the tf-op formulation', async () => {
    const loss = (f: typeof attentionReference) => (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(f(qq as tf.Tensor3D, kk as tf.Tensor3D, vv as tf.Tensor3D, bb as tf.Tensor2D, g), w));
    const ours = tf.grads(loss(windowAttentionCore))([q, k, v, bias]);
    const ref = tf.grads(loss(attentionReference))([q, k, v, bias]);
    for (let i = 0; i < 4; i++) {
      const [a, b] = [await ours[i].data(), await ref[i].data()];
      expect(Math.max(...Array.from(b, Math.abs))).toBeGreaterThan(1e-3);
      expect(maxRel(a, b)).toBeLessThan(1e-5);
    }
  });
});
