import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { unetConfig } from './config.ts';
import { gaussianBlur3d, gaussianKernel3d, gaussianTaps } from './gaussianBlur.ts';
import { organChannelOf, synthesize, synthesizeWithGenerator, tumourLabelOf } from './synthesis.ts';
import { createGenerator } from './networks.ts';
import { ballMask, gradCheck, randomArray, relErr } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 12;
const N = D ** 3;
const t5 = (a: Float32Array, c = 1, b = 1) => tf.tensor5d(a, [b, D, D, D, c]);

describe('Gaussian blur B', () => {
  it('taps are normalised and symmetric', () => {
    const t = gaussianTaps(7, 1);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(t[0]).toBeCloseTo(t[6], 7);
  });

  it('separable blur equals the full 7³ kernel (zero-padded borders) per channel', async () => {
    const x = t5(randomArray(2 * N * 2, 11, -1, 1), 2, 2);
    const sep = gaussianBlur3d(x);
    const k = gaussianKernel3d();
    const full = tf.concat(tf.unstack(x, 4).map((ch) => tf.conv3d(tf.expandDims(ch, 4) as tf.Tensor5D, k, 1, 'same')), 4);
    expect(relErr(await sep.data(), await full.data())).toBeLessThan(1e-5);
    // Zero padding: a constant image loses mass at the border and keeps it in the middle.
    const ones = gaussianBlur3d(tf.ones([1, D, D, D, 1]) as tf.Tensor5D);
    const v = await ones.data();
    expect(v[(6 * D + 6) * D + 6]).toBeCloseTo(1, 5);
    expect(v[0]).toBeLessThan(0.7);
  });
});

describe('synthesis (Eq. 1)', () => {
  const image = () => t5(randomArray(N, 1));
  const M = ballMask(D, [6, 6, 6], 3);
  const soft = () => gaussianBlur3d(t5(M), { size: 3, sigma: 1 }); // non-zero in a shell around M
  const texture = () => t5(randomArray(N, 2, 0.04, 0.26));

  it('changes nothing outside M̃, bit for bit, and darkens inside', async () => {
    const g = t5(randomArray(N * 3, 3, -2, 2), 3);
    const x = image();
    const m = soft();
    const xh = synthesize(g, { image: x, softMask: m, texture: texture(), organChannel: [1] });
    const [a, b, mm] = [await xh.data(), await x.data(), await m.data()];
    let inside = 0;
    let changed = 0;
    for (let i = 0; i < N; i++) {
      if (mm[i] === 0) expect(a[i]).toBe(b[i]); // Object.is-equal, not "close"
      else {
        inside++;
        if (a[i] !== b[i]) changed++;
      }
    }
    expect(inside).toBeGreaterThan(100);
    expect(changed).toBeGreaterThan(inside / 2);
  });

  it('matches x − M̃·B(tanh G)[organ]·T computed by hand, and the organ mask gates it', async () => {
    const g = t5(randomArray(N * 3, 4, -2, 2), 3);
    const x = image();
    const m = soft();
    const T = texture();
    const xh = synthesize(g, { image: x, softMask: m, texture: T, organChannel: [2] });
    const want = tf.tidy(() => {
      const blurred = gaussianBlur3d(tf.tanh(g));
      const ch = tf.slice(blurred, [0, 0, 0, 0, 2], [-1, -1, -1, -1, 1]);
      return tf.sub(x, tf.mul(tf.mul(m, ch), T));
    });
    expect(relErr(await xh.data(), await want.data())).toBeLessThan(1e-6);

    const organ = t5(ballMask(D, [6, 6, 6], 2));
    const gated = await synthesize(g, { image: x, softMask: m, texture: T, organChannel: [2], organMask: organ }).data();
    const o = await organ.data();
    const xv = await x.data();
    for (let i = 0; i < N; i++) if (o[i] === 0) expect(gated[i]).toBe(xv[i]);
  });

  it('picks the organ channel per sample in a batch', async () => {
    const g = t5(randomArray(2 * N * 3, 5, -2, 2), 3, 2);
    const x = t5(randomArray(2 * N, 6), 1, 2);
    const m = t5(new Float32Array(2 * N).fill(1), 1, 2);
    const T = t5(new Float32Array(2 * N).fill(1), 1, 2);
    const both = await synthesize(g, { image: x, softMask: m, texture: T, organChannel: [0, 2] }).data();
    const first = await synthesize(tf.slice(g, [0], [1]), {
      image: tf.slice(x, [0], [1]),
      softMask: tf.slice(m, [0], [1]),
      texture: tf.slice(T, [0], [1]),
      organChannel: [0],
    }).data();
    expect(relErr(both.slice(0, N), first)).toBeLessThan(1e-6);
    expect(() => synthesize(g, { image: x, softMask: m, texture: T, organChannel: [0, 3] })).toThrow(/organ channel/);
  });

  it('is differentiable in G: finite differences agree', async () => {
    const d = 8;
    const n = d ** 3;
    const x = tf.tensor5d(randomArray(n, 7), [1, d, d, d, 1]);
    const m = tf.tensor5d(randomArray(n, 8), [1, d, d, d, 1]);
    const T = tf.tensor5d(randomArray(n, 9), [1, d, d, d, 1]);
    const w = tf.tensor5d(randomArray(n, 10), [1, d, d, d, 1]);
    const f = (g: tf.Tensor) => tf.sum(tf.mul(synthesize(g as tf.Tensor5D, { image: x, softMask: m, texture: T, organChannel: [1] }), w)) as tf.Scalar;
    const { maxRelErr } = await gradCheck(f, tf.tensor5d(randomArray(n * 3, 11, -1, 1), [1, d, d, d, 3]), { eps: 1e-2 });
    expect(maxRelErr).toBeLessThan(2e-2);
  });

  it('maps organs to G channels and tumour labels', () => {
    expect(['liver', 'pancreas', 'kidney'].map((o) => organChannelOf(o as 'liver'))).toEqual([0, 1, 2]);
    expect(tumourLabelOf('kidney', 'universal')).toBe(6);
    expect(tumourLabelOf('kidney', 'specialist')).toBe(2);
  });

  it('runs with a generator network end to end', () => {
    const G = createGenerator(unetConfig(1, 3, [[2], [4]]));
    const xh = synthesizeWithGenerator(G, { image: image(), softMask: soft(), texture: texture(), organChannel: [0] });
    expect(xh.shape).toEqual([1, D, D, D, 1]);
    G.dispose();
  });
});
