import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, restoreOptimizer, saveCheckpoint } from './checkpoint.ts';
import { unetConfig } from './config.ts';
import { createSegmentor } from './networks.ts';
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

  it('AMSGrad divides by the running maximum of v̂ (PyTorch amsgrad=True), by hand for three steps', async () => {
    const p = tf.variable(tf.tensor1d([0.5]));
    const opt = new AdamW(new Map([['w', p]]), { lr: 0.01, betas: [0.9, 0.5], eps: 1e-8, weightDecay: 0.01, amsgrad: true });
    // A large gradient then small ones: v falls after step 1, so AMSGrad keeps dividing by the
    // step-1 v where plain Adam would not. Reference in float64, PyTorch's order: decay, m, v,
    // vmax = max(vmax, v), p −= lr·m̂ / (√(vmax/(1−β₂ᵗ)) + eps).
    const steps = [2, 0.01, 0.01];
    let ref = 0.5;
    let m = 0;
    let v = 0;
    let vmax = 0;
    let vPlainLast = 0;
    for (let t = 1; t <= 3; t++) {
      const g = steps[t - 1];
      opt.apply({ w: tf.tensor1d([g]) });
      ref *= 1 - 0.01 * 0.01;
      m = 0.9 * m + 0.1 * g;
      v = 0.5 * v + 0.5 * g * g;
      vmax = Math.max(vmax, v);
      vPlainLast = v;
      ref -= (0.01 * (m / (1 - 0.9 ** t))) / (Math.sqrt(vmax / (1 - 0.5 ** t)) + 1e-8);
    }
    expect(vmax).toBeGreaterThan(vPlainLast); // the case where AMSGrad differs from Adam
    expect((await p.data())[0]).toBeCloseTo(ref, 6);
    expect((await opt.vmax.get('w')!.data())[0]).toBeCloseTo(vmax, 9);
    // the same steps without AMSGrad land elsewhere (so the test can tell them apart)
    const q = tf.variable(tf.tensor1d([0.5]));
    const plain = new AdamW(new Map([['w', q]]), { lr: 0.01, betas: [0.9, 0.5], eps: 1e-8, weightDecay: 0.01 });
    for (const g of steps) plain.apply({ w: tf.tensor1d([g]) });
    expect(Math.abs((await q.data())[0] - ref)).toBeGreaterThan(1e-4);
    opt.dispose();
    plain.dispose();
  });

  it('AMSGrad state (the running maximum) survives a checkpoint', async () => {
    const S = createSegmentor(unetConfig(1, 3, [[2], [2]], { seed: 5, norm: 'instance' }), 'specialist');
    const opt = new AdamW(S.params, { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: true });
    const grads = Object.fromEntries([...S.params].map(([n, w]) => [n, tf.fill(w.shape, 0.5)]));
    opt.apply(grads);
    const ck = readCheckpoint(await saveCheckpoint({ networks: { S }, optimizers: { S: opt }, step: 1, rngState: null, card: { preset: 'test', provenance: {} } }));
    const back = restoreOptimizer(ck, 'S', S);
    expect(back.options.amsgrad).toBe(true);
    for (const [n, t] of opt.vmax) expect(Array.from(await back.vmax.get(n)!.data())).toEqual(Array.from(await t.data()));
    tf.dispose(Object.values(grads));
    opt.dispose();
    back.dispose();
    S.dispose();
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
