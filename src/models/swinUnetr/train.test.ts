/**
 * Trainability of SwinUNETR on the cpu backend (fast kernels): every parameter gets a finite,
 * non-zero gradient, and a few AdamW steps lower a segmentation loss. The input is 32×32×64, the
 * smallest that keeps two voxels at the last stage (InstanceNorm over one voxel would zero
 * encoder10 and its gradients, as PyTorch refuses it in training). The window is 3 instead of 7
 * (27-token windows: a step takes seconds instead of a minute on 2 cores) with the same code
 * paths: padding and shifted masks at stages 1–3, a window clamped to 2 on two axes at stage 4.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFastKernels } from '../kernels/index.ts';
import { AdamW } from '../optimizer.ts';
import { randomArray } from '../testUtil.ts';
import { swinUnetrConfig } from './config.ts';
import { createSwinUNETR } from './model.ts';

await tf.setBackend('cpu');
registerFastKernels({ backends: ['cpu'] });

const [D, H, W] = [32, 32, 64];
const K = 3;

describe('SwinUNETR training (fs12, window 3, 32×32×64)', () => {
  it('gradients reach every parameter, finite and non-zero; AdamW steps lower the loss', { timeout: 600_000 }, async () => {
    const net = createSwinUNETR(swinUnetrConfig({ featureSize: 12, outChannels: K, window: 3, imgSize: [32, 32, 64], seed: 5 }));
    const x = tf.tensor5d(randomArray(D * H * W, 7, -1, 1), [1, D, H, W, 1]);
    // Labels: three slabs along x, so the classes depend on position, learnable by the network.
    const labels = new Int32Array(D * H * W).map((_, i) => Math.floor(((i % W) * K) / W));
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), K);
    const loss = () => tf.losses.softmaxCrossEntropy(onehot, tf.reshape(net.apply(x), [-1, K])) as tf.Scalar;
    const opt = new AdamW(net.params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-5 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const { value, grads } = tf.variableGrads(loss, net.variables());
      losses.push((await value.data())[0]);
      if (step === 0) {
        const byName = new Map(net.variables().map((v) => [v.name, v]));
        const bad: string[] = [];
        for (const [key, v] of net.params) {
          const g = grads[v.name];
          const abs = g ? await tf.tidy(() => tf.max(tf.abs(g))).data() : undefined;
          const finite = g ? (await tf.tidy(() => tf.all(tf.isFinite(g))).data())[0] === 1 : false;
          if (!abs || !finite || !(abs[0] > 0)) bad.push(key);
        }
        expect(byName.size).toBe(net.params.size);
        expect(bad).toEqual([]);
      }
      opt.apply(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    losses.push((await tf.tidy(loss).data())[0]);
    console.log(`SwinUNETR fs12 32×32×64 cross-entropy over 3 AdamW steps: ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
    expect(losses[3]).toBeLessThan(losses[0] - 0.01);
    opt.dispose();
    net.dispose();
    tf.dispose([x, onehot]);
  });
});
