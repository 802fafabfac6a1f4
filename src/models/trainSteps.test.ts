import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIXUP, DEFAULT_STAGE1, DEFAULT_STAGE2, unetConfig } from './config.ts';
import { applyCutMix, drawCutMix } from './mixup.ts';
import { augmentBatch } from './augment.ts';
import { createClassifier, createGenerator, createSegmentor } from './networks.ts';
import { Rng } from '../core/random.ts';
import { gaussianBlur3d } from './gaussianBlur.ts';
import {
  adversarialOptimizer,
  applySyntheticTumours,
  generatorClassifierStep,
  segmentorOptimizer,
  segmentorStep,
  segmentorSynthesisStep,
} from './trainSteps.ts';
import { ballMask, randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 8;
const N = D ** 3;
const tiny = (out: number, seed: number) => unetConfig(1, out, [[2, 4], [4, 4]], { seed });

function crops(b: number) {
  const m = ballMask(D, [4, 4, 4], 2);
  const M = new Float32Array(b * N);
  for (let i = 0; i < b; i++) M.set(m, i * N);
  const synthMask = tf.tensor5d(M, [b, D, D, D, 1]);
  return {
    image: tf.tensor5d(randomArray(b * N, 1), [b, D, D, D, 1]),
    synthMask,
    softMask: gaussianBlur3d(synthMask, { size: 3, sigma: 1 }),
    texture: tf.tensor5d(randomArray(b * N, 2, 0.04, 0.26), [b, D, D, D, 1]),
    realMask: tf.tensor5d(new Float32Array(b * N).map((_, i) => (i % N < 20 ? 1 : 0)), [b, D, D, D, 1]),
    label: tf.tensor4d(Int32Array.from({ length: b * N }, (_, i) => (m[i % N] ? 1 : 0)), [b, D, D, D], 'int32'),
  };
}

describe('training steps', () => {
  it('stage 1: S step lowers Dice-CE on a fixed batch and leaks no tensors', async () => {
    const S = createSegmentor({ ...tiny(3, 1), norm: 'instance' }, 'specialist');
    const opt = segmentorOptimizer(S, { ...DEFAULT_STAGE1, lr: 1e-2, totalSteps: 100 });
    const c = crops(2);
    const start = tf.memory().numTensors;
    const first = await segmentorStep(S, opt, c, { ...DEFAULT_STAGE1, lr: 1e-2, totalSteps: 100 });
    expect(tf.memory().numTensors).toBe(start);
    let last = first;
    for (let i = 0; i < 5; i++) last = await segmentorStep(S, opt, c, { ...DEFAULT_STAGE1, lr: 1e-2, totalSteps: 100 });
    expect(tf.memory().numTensors).toBe(start);
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.step).toBe(6);
  });

  it('stage 2: G and C step against frozen S; every term reported; S unchanged; no leak', async () => {
    const G = createGenerator(tiny(3, 2));
    const C = createClassifier(tiny(3, 3));
    const S = createSegmentor({ ...tiny(7, 4), norm: 'instance' }, 'universal');
    const optG = adversarialOptimizer(G, DEFAULT_STAGE2);
    const optC = adversarialOptimizer(C, DEFAULT_STAGE2);
    const c = crops(2);
    const sBefore = await S.params.get('head.kernel')!.data();
    const gBefore = await G.params.get('head.kernel')!.data();
    const start = tf.memory().numTensors;
    const r = await generatorClassifierStep(G, C, S, optG, optC, { ...c, organChannel: [0, 1] }, DEFAULT_STAGE2);
    expect(tf.memory().numTensors).toBe(start);
    for (const v of [r.lSeg, r.lAdv, r.lG, r.lC]) expect(Number.isFinite(v)).toBe(true);
    expect(r.lG).toBeCloseTo(r.lSeg + 0.1 * r.lAdv, 5);
    expect(r.P).toHaveLength(2);
    expect(r.P[0]).toBeGreaterThanOrEqual(0);
    expect(Array.from(await S.params.get('head.kernel')!.data())).toEqual(Array.from(sBefore));
    expect(Array.from(await G.params.get('head.kernel')!.data())).not.toEqual(Array.from(gBefore));
    expect(optC.step).toBe(1);
  });

  it('stage 3: quality filter decides per sample; adaptive weights by P; no leak', async () => {
    const G = createGenerator(tiny(3, 5));
    const S = createSegmentor({ ...tiny(7, 6), norm: 'instance' }, 'universal');
    const filterS = createSegmentor({ ...tiny(7, 7), norm: 'instance' }, 'universal');
    const opt = segmentorOptimizer(S, DEFAULT_STAGE1);
    const c = crops(2);
    const batch = { ...c, synthesize: [true, false], organChannel: [0, 0], tumourLabel: [2, 2] };
    const start = tf.memory().numTensors;
    const rng = new Rng(3);
    // T = 0 accepts whatever P is; T > 1 rejects everything.
    const acc = await segmentorSynthesisStep(S, opt, G, filterS, batch, rng, DEFAULT_STAGE1, { threshold: 0, mode: 'threshold' });
    expect(acc.accepted).toEqual([true, false]);
    expect(Number.isNaN(acc.P[1])).toBe(true);
    const rej = await segmentorSynthesisStep(S, opt, G, filterS, batch, rng, DEFAULT_STAGE1, { threshold: 1.01, mode: 'threshold' });
    expect(rej.accepted).toEqual([false, false]);
    const ada = await segmentorSynthesisStep(S, opt, G, filterS, batch, rng, DEFAULT_STAGE1, { threshold: 0.7, mode: 'adaptive' });
    expect(ada.accepted).toEqual([true, false]);
    expect(ada.weights[0]).toBeCloseTo(ada.P[0], 6);
    expect(ada.weights[1]).toBe(1);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('stage-3 synthesis with the quality filter', () => {
  it('accepted samples get x̂ and the tumour label on M; rejected ones keep x and label', async () => {
    const G = createGenerator(tiny(3, 8));
    const filterS = createSegmentor({ ...tiny(7, 9), norm: 'instance' }, 'universal');
    const c = crops(2);
    const batch = { ...c, synthesize: [true, true], organChannel: [0, 2], tumourLabel: [2, 6] };
    const m = await c.synthMask.data();
    const lab = await c.label.data();
    const img = await c.image.data();
    for (const threshold of [0, 1.01]) {
      const r = await applySyntheticTumours(G, filterS, batch, { threshold, mode: 'threshold' });
      const [li, ii] = [await r.label.data(), await r.image.data()];
      for (let b = 0; b < 2; b++) {
        expect(r.accepted[b]).toBe(threshold === 0);
        let changed = 0;
        for (let i = b * N; i < (b + 1) * N; i++) {
          if (threshold === 0 && m[i] > 0.5) expect(li[i]).toBe(batch.tumourLabel[b]);
          else expect(li[i]).toBe(lab[i]);
          if (ii[i] !== img[i]) changed++;
        }
        if (threshold === 0) expect(changed).toBeGreaterThan(0);
        else expect(changed).toBe(0);
      }
      tf.dispose([r.image, r.label]);
    }
  });
});

describe('half-split CutMix', () => {
  it('Beta(0.2, 0.2) draws pile up near 0 and 1 and stay in [0, 1]', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 4000 }, () => rng.beta(0.2, 0.2));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const tails = xs.filter((x) => x < 0.1 || x > 0.9).length / xs.length;
    expect(tails).toBeGreaterThan(0.6); // Beta(0.2,0.2): ≈ 0.70 of the mass
  });

  it('draws the same split from the same seed', () => {
    expect(drawCutMix(new Rng(7), { x: 32, y: 32 })).toEqual(drawCutMix(new Rng(7), { x: 32, y: 32 }));
  });

  it('first split voxels from the sample, the rest from the next sample; image and label alike', async () => {
    const img = tf.stack([tf.fill([4, 6, 5, 1], 10), tf.fill([4, 6, 5, 1], 20)]) as tf.Tensor5D;
    const d = { mixed: true, axis: 'x' as const, split: 2 };
    const out = await applyCutMix(img, d).array();
    expect(out[0][0][0].map((v) => v[0])).toEqual([10, 10, 20, 20, 20]);
    expect(out[1][0][0].map((v) => v[0])).toEqual([20, 20, 10, 10, 10]);
    const lab = tf.stack([tf.fill([4, 6, 5], 1, 'int32'), tf.fill([4, 6, 5], 2, 'int32')]) as tf.Tensor4D;
    const outY = await applyCutMix(lab, { mixed: true, axis: 'y', split: 4 }).array();
    expect(outY[0][0].map((row) => row[0])).toEqual([1, 1, 1, 1, 2, 2]);
    const draw = drawCutMix(new Rng(5), { x: 5, y: 6 }, DEFAULT_MIXUP);
    expect(draw.split).toBeGreaterThanOrEqual(0);
    expect(draw.split).toBeLessThanOrEqual(draw.axis === 'x' ? 5 : 6);
  });
});

describe('augmentation', () => {
  it('applies the same flips/rotations to image and label', async () => {
    const rng = new Rng(9);
    const lab = tf.tensor4d(Int32Array.from({ length: 2 * N }, (_, i) => i % 7), [2, D, D, D], 'int32');
    const img = tf.cast(tf.expandDims(lab, 4), 'float32') as tf.Tensor5D;
    const cfg = { flipP: 0.5, rot90P: 0.5, scale: 0, scaleP: 0, shift: 0, shiftP: 0 };
    for (let k = 0; k < 4; k++) {
      const a = augmentBatch(img, lab, rng, cfg);
      expect(Array.from(await a.image.data())).toEqual(Array.from(await a.label.data()));
    }
  });
});
