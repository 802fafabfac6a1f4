import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TUMOUR_CLASSES } from './config.ts';
import { adversarialLoss, classifierLoss, diceCELoss, diceCEPerSample, generatorLoss, segmentationLoss, tumourProbability } from './losses.ts';
import { qualityCounts, qualityFromCounts, qualityTest } from './qualityTest.ts';
import { ballMask, gradCheck, randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 6;
const N = D ** 3;
const logits = (k: number, seed: number, b = 1) => tf.tensor5d(randomArray(b * N * k, seed, -2, 2), [b, D, D, D, k]);
const mask = (c: [number, number, number], r: number, b = 1) => {
  const m = ballMask(D, c, r);
  const all = new Float32Array(b * N);
  for (let i = 0; i < b; i++) all.set(m, i * N);
  return tf.tensor5d(all, [b, D, D, D, 1]);
};
const labels = (seed: number, k: number, b = 1) =>
  tf.tensor4d(Int32Array.from(randomArray(b * N, seed, 0, k - 1e-3), (v) => Math.floor(v)), [b, D, D, D], 'int32');

// float32 central differences: eps 1e-2 keeps rounding (~1e-7/eps) well below the tolerance.
const GRAD_TOL = 2e-2;

describe('stage-2 losses', () => {
  const U = TUMOUR_CLASSES.universal;

  it('tumour probability sums the tumour-class softmax', async () => {
    const z = new Float32Array(7);
    z[2] = Math.log(2);
    z[4] = Math.log(3); // exp: 1,1,2,1,3,1,1 → softmax 2/10, 3/10 for classes 2, 4; 1/10 elsewhere
    const p = await tumourProbability(tf.tensor5d(z, [1, 1, 1, 1, 7]), U).data();
    expect(p[0]).toBeCloseTo((2 + 3 + 1) / 10, 6);
  });

  it('L_seg reference = 1 − mean p over M, euclidean = mean (1−p)²; empty M gives 0', async () => {
    const s = logits(7, 1);
    const m = mask([3, 3, 3], 1.5);
    const p = await tumourProbability(s, U).data();
    const mv = await m.data();
    let sp = 0;
    let sq = 0;
    let n = 0;
    for (let i = 0; i < N; i++) if (mv[i]) (sp += p[i], sq += (1 - p[i]) ** 2, n++);
    expect((await segmentationLoss(s, m, U).data())[0]).toBeCloseTo(1 - sp / n, 5);
    expect((await segmentationLoss(s, m, U, 'euclidean').data())[0]).toBeCloseTo(sq / n, 5);
    expect((await segmentationLoss(s, tf.zerosLike(m), U).data())[0]).toBe(0);
  });

  it('C loss halves two terms and drops an empty one', async () => {
    const c = logits(3, 2);
    const syn = mask([2, 2, 2], 1);
    const real = mask([4, 4, 4], 1);
    const both = (await classifierLoss(c, syn, real).data())[0];
    const onlySyn = (await classifierLoss(c, syn, tf.zerosLike(real)).data())[0];
    const onlyReal = (await classifierLoss(c, tf.zerosLike(syn), real).data())[0];
    expect(both).toBeCloseTo((onlySyn + onlyReal) / 2, 6);
    expect(onlySyn).toBeGreaterThan(0);
  });

  it('C loss with an empty term: the term is dropped, value and gradient finite; both empty → 0, no update', async () => {
    const c = logits(3, 7);
    const syn = mask([2, 2, 2], 1);
    const real = mask([4, 4, 4], 1);
    const none = tf.zerosLike(syn) as tf.Tensor5D;
    // By hand: with no real-tumour voxel L_C is 1 − mean P_synthetic over M alone (not halved).
    const pSyn = tf.tidy(() => tf.sum(tf.mul(tf.slice(tf.softmax(c), [0, 0, 0, 0, 2], [-1, -1, -1, -1, 1]), syn)).div(tf.sum(syn)));
    const lone = (await classifierLoss(c, syn, none).data())[0];
    expect(lone).toBeCloseTo(1 - (await pSyn.data())[0], 6);
    const realOnly = (await classifierLoss(c, none, real).data())[0];
    expect(realOnly).toBeGreaterThan(0);
    for (const [name, s, r] of [['no real', syn, none], ['no synthetic', none, real], ['neither', none, none]] as const) {
      const g = tf.grad((x: tf.Tensor) => classifierLoss(x as tf.Tensor5D, s, r))(c);
      const gv = await g.data();
      expect(gv.every(Number.isFinite), name).toBe(true);
      if (name === 'neither') expect(gv.every((v) => v === 0), name).toBe(true);
      else expect(gv.some((v) => v !== 0), name).toBe(true);
    }
    expect((await classifierLoss(c, none, none).data())[0]).toBe(0);
  });

  it('generator total = L_seg + λ·L_adv', async () => {
    const t = generatorLoss(logits(7, 3), logits(3, 4), mask([3, 3, 3], 2), U, 0.1);
    const [seg, adv, tot] = [(await t.seg.data())[0], (await t.adv.data())[0], (await t.total.data())[0]];
    expect(tot).toBeCloseTo(seg + 0.1 * adv, 6);
  });

  it('finite-difference gradients: L_seg (both forms), L_adv, L_C, generator total', async () => {
    const m = mask([3, 3, 3], 2, 2);
    const real = mask([1, 1, 1], 1.2, 2);
    const cls = logits(3, 6, 2);
    const seg = logits(7, 5, 2);
    const checks: [string, (x: tf.Tensor) => tf.Scalar, tf.Tensor][] = [
      ['L_seg reference', (x) => segmentationLoss(x as tf.Tensor5D, m, U), seg],
      ['L_seg euclidean', (x) => segmentationLoss(x as tf.Tensor5D, m, U, 'euclidean'), seg],
      ['L_adv', (x) => adversarialLoss(x as tf.Tensor5D, m), cls],
      ['L_C', (x) => classifierLoss(x as tf.Tensor5D, m, real), cls],
      ['L_G total (wrt S logits)', (x) => generatorLoss(x as tf.Tensor5D, cls, m, U, 0.1).total, seg],
    ];
    for (const [name, f, x] of checks) {
      // Gradients here are O(1/|M|): compare against a floor matched to that scale.
      const r = await gradCheck(f, x, { eps: 1e-2, floor: 1e-4, probes: 10 });
      expect(r.maxRelErr, `${name}: ${JSON.stringify(r.worst)}`).toBeLessThan(GRAD_TOL);
    }
  });
});

describe('Dice-CE for S', () => {
  it('is near 0 for confident correct logits, background excluded from Dice', async () => {
    const y = labels(7, 3);
    const good = tf.mul(tf.oneHot(y, 3).toFloat(), 30) as tf.Tensor5D;
    expect((await diceCELoss(good, y).data())[0]).toBeLessThan(1e-3);
    // Predicting everything as background costs CE, and Dice = 1 for each foreground class.
    const bg = tf.tidy(() => tf.mul(tf.oneHot(tf.zerosLike(y), 3).toFloat(), 30)) as tf.Tensor5D;
    const per = await diceCEPerSample(bg, y, { diceWeight: 1, ceWeight: 0, squaredPred: true, smoothNr: 0, smoothDr: 1e-6 }).data();
    expect(per[0]).toBeCloseTo(1, 4);
  });

  it('Eq. 8: (1/N) Σ P_i L_i', async () => {
    const s = logits(3, 8, 2);
    const y = labels(9, 3, 2);
    const per = await diceCEPerSample(s, y).data();
    const w = (await diceCELoss(s, y, undefined, [0.5, 1]).data())[0];
    expect(w).toBeCloseTo((0.5 * per[0] + per[1]) / 2, 5);
  });

  it('finite-difference gradient (plain and weighted, squared and linear denominators)', async () => {
    const y = labels(10, 4, 2);
    const s = logits(4, 11, 2);
    const opts = { diceWeight: 1, ceWeight: 1, squaredPred: false, smoothNr: 1e-5, smoothDr: 1e-5 };
    for (const f of [
      (x: tf.Tensor) => diceCELoss(x as tf.Tensor5D, y),
      (x: tf.Tensor) => diceCELoss(x as tf.Tensor5D, y, opts, [0.3, 0.9]),
    ]) {
      const r = await gradCheck(f, s, { eps: 1e-2, floor: 1e-4, probes: 10 });
      expect(r.maxRelErr, JSON.stringify(r.worst)).toBeLessThan(GRAD_TOL);
    }
  });
});

describe('quality test', () => {
  it('P = |M ∩ predicted tumour| / |M|, any tumour class counts, pass at P ≥ T', async () => {
    // 8 voxels of M: 5 predicted liver tumour (2), 1 kidney tumour (6), 2 organ → P = 6/8.
    const k = 7;
    const z = new Float32Array(10 * k);
    const cls = [2, 2, 2, 2, 2, 6, 1, 1, 0, 0];
    cls.forEach((c, i) => (z[i * k + c] = 5));
    const m = tf.tensor5d([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 10, 1]);
    const r = await qualityTest(tf.tensor5d(z, [1, 1, 1, 10, k]), m, TUMOUR_CLASSES.universal, 0.7);
    expect(r.P[0]).toBeCloseTo(0.75, 6);
    expect(r.pass[0]).toBe(true);
    expect((await qualityTest(tf.tensor5d(z, [1, 1, 1, 10, k]), m, TUMOUR_CLASSES.universal, 0.8)).pass[0]).toBe(false);
    const counts = qualityCounts(tf.tensor5d(z, [1, 1, 1, 10, k]), tf.zerosLike(m) as tf.Tensor5D, [2]);
    const empty = qualityFromCounts(await counts.data(), 0.7);
    expect(Number.isNaN(empty.P[0])).toBe(true);
    expect(empty.pass[0]).toBe(false);
  });
});
