import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, warmupCosineLr } from './optimizer.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW', () => {
  it('matches PyTorch AdamW arithmetic for two steps (decoupled decay)', async () => {
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW(new Map([['w', p]]), { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    // Reference in float64, PyTorch's order: p *= 1 − lr·wd; m, v; p −= lr·m̂/(√v̂ + eps).
    const ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    const gs = [
      [0.5, -1],
      [0.25, 3],
    ];
    for (let t = 1; t <= 2; t++) {
      const g = gs[t - 1];
      opt.apply({ w: tf.tensor1d(g) });
      for (let i = 0; i < 2; i++) {
        ref[i] *= 1 - 0.1 * 0.01;
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
        ref[i] -= (0.1 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    const got = await p.data();
    expect(got[0]).toBeCloseTo(ref[0], 5);
    expect(got[1]).toBeCloseTo(ref[1], 5);
    expect(opt.step).toBe(2);
    opt.dispose();
  });

  it('beta1 = 0 (stage 2) uses the raw gradient as the first moment', async () => {
    const p = tf.variable(tf.tensor1d([0]));
    const opt = new AdamW(new Map([['w', p]]), { lr: 1e-4, betas: [0, 0.999], eps: 1e-8, weightDecay: 0 });
    opt.apply({ w: tf.tensor1d([3]) });
    expect((await p.data())[0]).toBeCloseTo(-1e-4, 8);
  });

  it('warm-up then cosine, per iteration', () => {
    const o = { lr: 3e-4, warmupSteps: 10, totalSteps: 110, minLrFraction: 0 };
    expect(warmupCosineLr(0, o)).toBeCloseTo(3e-5, 10);
    expect(warmupCosineLr(9, o)).toBeCloseTo(3e-4, 10);
    expect(warmupCosineLr(10, o)).toBeCloseTo(3e-4, 10);
    expect(warmupCosineLr(60, o)).toBeCloseTo(1.5e-4, 10);
    expect(warmupCosineLr(110, o)).toBeCloseTo(0, 10);
    expect(warmupCosineLr(500, o)).toBeCloseTo(0, 10);
  });
});
