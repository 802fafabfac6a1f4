/**
 * The fused normalisation kernels (cpu/normKernels.ts via norm.ts) against the composite of tfjs
 * ops they replace, on the cpu backend: the output and the gradients for x, γ and β, for batch and
 * instance statistics, batch 1 and 2, every activation, 1/3/16 channels, with a constant channel.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels, restoreStockKernels } from './index.ts';
import { compositeNormAffineActivate, fusedNormActive, normAffineActivate, type NormActOptions } from './norm.ts';
import { NORM_ACT } from './cpu/normKernels.ts';
import { createUNet } from '../unet.ts';
import { unetConfig } from '../config.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastKernels({ backends: ['cpu'], stock: false });
});
afterAll(() => restoreStockKernels(['cpu']));

type Fn = (x: tf.Tensor, bias: tf.Tensor | null, g: tf.Tensor, b: tf.Tensor, o: NormActOptions) => tf.Tensor;

interface Case {
  x: tf.Tensor5D;
  gamma: tf.Tensor5D;
  beta: tf.Tensor5D;
  bias: tf.Tensor5D;
  /** Upstream gradient, so every output element weighs differently. */
  w: tf.Tensor5D;
}

/** Seeded inputs; channel 0 constant (variance 0) when `constant`. Mean ≠ 0 so centring matters. */
function makeCase(batch: number, c: number, seed: number, constant: boolean): Case {
  return tf.tidy(() => {
    let x = tf.add(tf.mul(tf.randomNormal([batch, 3, 4, 5, c], 0, 1, 'float32', seed), 2), 0.5) as tf.Tensor5D;
    if (constant) {
      const mask = tf.tensor5d(Array.from({ length: c }, (_, i) => (i === 0 ? 1 : 0)), [1, 1, 1, 1, c]);
      x = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(mask, 0.7)) as tf.Tensor5D;
    }
    const gamma = tf.reshape(tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 1), [1, 1, 1, 1, c]) as tf.Tensor5D;
    const beta = tf.reshape(tf.randomUniform([c], -0.3, 0.3, 'float32', seed + 2), [1, 1, 1, 1, c]) as tf.Tensor5D;
    const bias = tf.reshape(tf.randomUniform([c], -1, 1, 'float32', seed + 4), [1, 1, 1, 1, c]) as tf.Tensor5D;
    const w = tf.randomNormal(x.shape, 0, 1, 'float32', seed + 3) as tf.Tensor5D;
    return { x, gamma, beta, bias, w };
  });
}

/** [y, dx, dγ, dβ] and, with `withBias`, dbias. */
function run(f: Fn, k: Case, o: NormActOptions, withBias: boolean): Float32Array[] {
  return tf.tidy(() => {
    const y = f(k.x, withBias ? k.bias : null, k.gamma, k.beta, o);
    const grads = withBias
      ? tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) => tf.sum(tf.mul(f(x, bias, g, b, o), k.w)))([k.x, k.gamma, k.beta, k.bias])
      : tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, null, g, b, o), k.w)))([k.x, k.gamma, k.beta]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

/** max |a − b| relative to max |b| (floored at 1: values near 0 compare absolutely). */
function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

const ACTS: NormActOptions['activation'][] = ['relu', 'leakyRelu', 'elu', 'linear'];

describe('fused normalisation + activation (cpu)', () => {
  it('is what normAffineActivate runs on cpu with the fast kernels: one kernel forward', async () => {
    const k = makeCase(1, 3, 1, false);
    expect(fusedNormActive(k.x)).toBe(true);
    const info = await tf.profile(() => normAffineActivate(k.x, k.bias, k.gamma, k.beta, { axes: 'batch', eps: 1e-5, activation: 'relu', leakySlope: 0.01 }));
    expect(info.kernels.map((e) => e.name)).toEqual([NORM_ACT]);
    tf.dispose(Object.values(k));
  });

  let seed = 10;
  for (const axes of ['batch', 'instance'] as const) {
    for (const batch of [1, 2]) {
      for (const c of [1, 3, 16]) {
        it(`${axes} norm, batch ${batch}, ${c} channel(s): output and dx, dγ, dβ, dbias match the composite for every activation`, () => {
          for (const activation of ACTS) {
            for (const constant of [false, true]) {
              const k = makeCase(batch, c, seed++, constant);
              const o: NormActOptions = { axes, eps: 1e-5, activation, leakySlope: 0.1 };
              // The constant-channel cases go without a bias (it would stop being exactly 0.7).
              const fused = run(normAffineActivate, k, o, !constant);
              const ref = run(compositeNormAffineActivate, k, o, !constant);
              const what = ['y', 'dx', 'dγ', 'dβ', 'dbias'];
              fused.forEach((f, i) => {
                // Measured ≤ 4e-7 (float32 rounding of the composite's chain).
                expect(relErr(f, ref[i]), `${activation}${constant ? ' constant channel' : ''} ${what[i]}`).toBeLessThan(2e-6);
              });
              if (constant) {
                // Exactly β (then the activation) for the constant channel 0.
                const y0 = fused[0].filter((_, i) => i % c === 0);
                const b0 = k.beta.dataSync()[0];
                const expected = activation === 'relu' ? Math.max(b0, 0) : activation === 'elu' && b0 < 0 ? Math.exp(Math.fround(b0)) - 1 : activation === 'leakyRelu' && b0 < 0 ? 0.1 * b0 : b0;
                for (const v of y0) expect(v).toBeCloseTo(expected, 6);
              }
              tf.dispose(Object.values(k));
            }
          }
        });
      }
    }
  }

  it('leaves no tensors behind in inference or training', () => {
    const k = makeCase(2, 3, 99, false);
    const o: NormActOptions = { axes: 'instance', eps: 1e-5, activation: 'elu', leakySlope: 0.01 };
    const before = tf.memory().numTensors;
    tf.dispose(normAffineActivate(k.x, null, k.gamma, k.beta, o));
    run(normAffineActivate, k, o, false);
    tf.dispose(tf.grads((x: tf.Tensor, bias: tf.Tensor) => tf.sum(normAffineActivate(x, bias, k.gamma, k.beta, o)))([k.x, k.bias]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(k));
  });

  it('is exactly the composite with FREETUMOR_FUSED_NORM=0 or with the stock kernels', () => {
    const k = makeCase(2, 3, 7, false);
    const o: NormActOptions = { axes: 'batch', eps: 1e-5, activation: 'leakyRelu', leakySlope: 0.01 };
    const ref = run(compositeNormAffineActivate, k, o, true);
    const prev = process.env.FREETUMOR_FUSED_NORM;
    process.env.FREETUMOR_FUSED_NORM = '0';
    try {
      expect(fusedNormActive(k.x)).toBe(false);
      expect(run(normAffineActivate, k, o, true)).toEqual(ref);
    } finally {
      if (prev === undefined) delete process.env.FREETUMOR_FUSED_NORM;
      else process.env.FREETUMOR_FUSED_NORM = prev;
    }
    restoreStockKernels(['cpu']);
    try {
      expect(fusedNormActive(k.x)).toBe(false);
      expect(run(normAffineActivate, k, o, true)).toEqual(run(compositeNormAffineActivate, k, o, true));
    } finally {
      registerFastKernels({ backends: ['cpu'], stock: false });
    }
    expect(fusedNormActive(k.x)).toBe(true);
    tf.dispose(Object.values(k));
  });

  it('a U-Net (conv bias folded into the fused kernel) gives the composite path\'s logits and weight gradients', () => {
    for (const [norm, activation] of [['batch', 'relu'], ['instance', 'elu'], ['instance', 'leakyRelu']] as const) {
      const net = createUNet(unetConfig(2, 3, [[4], [6, 6]], { norm, activation, seed: 5 }));
      const x = tf.randomNormal([2, 8, 8, 8, 2], 0.3, 1, 'float32', 21) as tf.Tensor5D;
      const w = tf.randomNormal([2, 8, 8, 8, 3], 0, 1, 'float32', 22);
      /** [logits, every weight gradient flattened in parameter order]. */
      const step = (fused: string): [Float32Array, Float32Array] => {
        process.env.FREETUMOR_FUSED_NORM = fused;
        expect(fusedNormActive(x)).toBe(fused === '1');
        try {
          const parts = tf.tidy(() => {
            const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), w)) as tf.Scalar, net.variables());
            return [net.apply(x), ...net.variables().map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
          });
          return [parts[0], Float32Array.from(parts.slice(1).flatMap((v) => [...v]))];
        } finally {
          delete process.env.FREETUMOR_FUSED_NORM;
        }
      };
      const ref = step('0');
      const fused = step('1');
      expect(relErr(fused[0], ref[0]), `${norm} ${activation} logits`).toBeLessThan(1e-5);
      // Relative to the largest gradient of the network: conv biases feeding a norm have a true
      // gradient of 0 and both paths return rounding noise there.
      expect(Math.max(...ref[1].map(Math.abs))).toBeGreaterThan(1);
      expect(relErr(fused[1], ref[1]), `${norm} ${activation} gradients`).toBeLessThan(1e-5);
      net.dispose();
      tf.dispose([x, w]);
    }
  });

  it('names the problem when γ does not fit the channels', () => {
    const k = makeCase(1, 3, 5, false);
    expect(() => normAffineActivate(k.x, k.bias, tf.ones([2]), k.beta, { axes: 'batch', eps: 1e-5, activation: 'relu', leakySlope: 0 })).toThrow(/gamma has 2 values, expected 3/);
    tf.dispose(Object.values(k));
  });
});
