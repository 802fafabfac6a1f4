/**
 * cpu vs webgpu (Node: Dawn, here on Mesa lavapipe) on tiny configs. Each case is a function of
 * plain arrays run once per backend; outputs are compared by max|a − b| / max|b|.
 * One backend init for the whole file: lavapipe's shader compilation is slow.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebGPU } from '../node/backend.ts';
import { TUMOUR_CLASSES, unetConfig } from './config.ts';
import { gaussianBlur3d } from './gaussianBlur.ts';
import { classifierLoss, diceCELoss, generatorLoss, segmentationLoss } from './losses.ts';
import { qualityCounts } from './qualityTest.ts';
import { synthesize } from './synthesis.ts';
import { createUNet } from './unet.ts';
import { DEFAULT_STAGE1, DEFAULT_STAGE2 } from './config.ts';
import { createClassifier, createGenerator, createSegmentor } from './networks.ts';
import { Rng } from '../core/random.ts';
import { augmentBatch } from './augment.ts';
import { slidingWindowInference } from './slidingWindow.ts';
import { adversarialOptimizer, generatorClassifierStep, segmentorOptimizer, segmentorStep, segmentorSynthesisStep } from './trainSteps.ts';
import { ballMask, randomArray, relErr } from './testUtil.ts';

const probe: Awaited<ReturnType<typeof probeWebGPU>> =
  process.env.FREETUMOR_SKIP_WEBGPU === '1' ? { ok: false, reason: 'disabled by FREETUMOR_SKIP_WEBGPU=1' } : await probeWebGPU();
const SKIP_REASON = probe.ok ? '' : probe.reason;
if (!probe.ok) console.warn(`[backendAgreement] SKIPPING webgpu tests: ${SKIP_REASON}`);

const D = 16;
const N = D ** 3;
const TOL = 1e-4;
const cfg = unetConfig(1, 3, [[2, 4], [4, 8]], { seed: 11 });
const segCfg = unetConfig(1, 7, [[2, 4], [4, 8]], { seed: 12 });

type Outputs = Record<string, Float32Array | Int32Array | Uint8Array>;

/** Everything compared, computed on the current backend from fixed arrays and fixed weights. */
async function compute(weights: Map<string, Float32Array>, segWeights: Map<string, Float32Array>): Promise<Outputs> {
  const toTensors = (w: Map<string, Float32Array>, c: typeof cfg) => {
    const shapes = createUNet({ ...c, encoder: c.encoder }).params; // shapes only; disposed below
    const m = new Map<string, tf.Tensor>();
    for (const [k, v] of shapes) m.set(k, tf.tensor(w.get(k)!, v.shape));
    for (const v of shapes.values()) v.dispose();
    return m;
  };
  const gw = toTensors(weights, cfg);
  const sw = toTensors(segWeights, segCfg);
  const G = createUNet(cfg, gw);
  const S = createUNet(segCfg, sw);
  tf.dispose([...gw.values(), ...sw.values()]);
  const out: Outputs = {};
  const image = tf.tensor5d(randomArray(2 * N, 1), [2, D, D, D, 1]);
  const M1 = ballMask(D, [8, 8, 8], 4);
  const Mb = new Float32Array(2 * N);
  Mb.set(M1);
  Mb.set(M1, N);
  const synthMask = tf.tensor5d(Mb, [2, D, D, D, 1]);
  const realMask = tf.tensor5d(new Float32Array(2 * N).map((_, i) => (i % N < 64 ? 1 : 0)), [2, D, D, D, 1]);
  const texture = tf.tensor5d(randomArray(2 * N, 2, 0.04, 0.26), [2, D, D, D, 1]);
  const labels = tf.tensor4d(Int32Array.from(Mb, (v, i) => (v ? 2 : i % 3 === 0 ? 1 : 0)), [2, D, D, D], 'int32');

  const gOut = G.apply(image);
  out.unetForward = await gOut.data() as Float32Array;
  const soft = gaussianBlur3d(synthMask, { size: 7, sigma: 1.5 });
  out.blur = await soft.data() as Float32Array;
  const inputs = { image, softMask: soft, texture, organChannel: [0, 2] };
  const xhat = synthesize(gOut, inputs);
  out.synthesis = await xhat.data() as Float32Array;
  const sLogits = S.apply(xhat);
  out.segForward = await sLogits.data() as Float32Array;
  const cLogits = tf.tidy(() => tf.slice(sLogits, [0, 0, 0, 0, 0], [-1, -1, -1, -1, 3])) as tf.Tensor5D;
  const U = TUMOUR_CLASSES.universal;
  const losses = tf.tidy(() => {
    const t = generatorLoss(sLogits, cLogits, synthMask, U, 0.1);
    return tf.stack([
      t.seg,
      t.adv,
      t.total,
      segmentationLoss(sLogits, synthMask, U, 'euclidean'),
      classifierLoss(cLogits, synthMask, realMask),
      diceCELoss(sLogits, labels),
      diceCELoss(sLogits, labels, undefined, [0.4, 1]),
    ]);
  });
  out.losses = await losses.data() as Float32Array;
  const counts = qualityCounts(sLogits, synthMask, U);
  out.quality = await counts.data() as Float32Array;
  // Gradient of every loss w.r.t. its logits (this caught rank-5 slice gradients on webgpu).
  const lossGrads = tf.tidy(() => {
    const gs = [
      tf.grad((z: tf.Tensor) => segmentationLoss(z as tf.Tensor5D, synthMask, U))(sLogits),
      tf.grad((z: tf.Tensor) => segmentationLoss(z as tf.Tensor5D, synthMask, U, 'euclidean'))(sLogits),
      tf.grad((z: tf.Tensor) => generatorLoss(sLogits, z as tf.Tensor5D, synthMask, U, 0.1).total)(cLogits),
      tf.grad((z: tf.Tensor) => classifierLoss(z as tf.Tensor5D, synthMask, realMask))(cLogits),
      tf.grad((z: tf.Tensor) => diceCELoss(z as tf.Tensor5D, labels))(sLogits),
      tf.grad((z: tf.Tensor) => diceCELoss(z as tf.Tensor5D, labels, undefined, [0.4, 1]))(sLogits),
    ];
    return tf.concat(gs.map((g) => tf.reshape(g, [-1])));
  });
  out.lossGrads = (await lossGrads.data()) as Float32Array;
  lossGrads.dispose();
  // Gradients of the generator objective w.r.t. G's weights, through synthesis, S and the U-Net.
  const { grads, value } = tf.variableGrads(
    () => generatorLoss(S.apply(synthesize(G.apply(image), inputs)), cLogits, synthMask, U, 0.1).total,
    G.variables(),
  );
  const gList = G.variables().map((v) => grads[v.name]);
  const flat = tf.tidy(() => tf.concat(gList.map((g) => tf.reshape(g, [-1]))));
  out.generatorGrads = await flat.data() as Float32Array;
  tf.dispose([gOut, soft, xhat, sLogits, cLogits, losses, counts, flat, value, image, synthMask, realMask, texture, labels]);
  tf.dispose(grads);
  G.dispose();
  S.dispose();
  return out;
}

/** One step of each training stage plus augmentation, from seeded weights: numbers to compare. */
async function trainingRun(): Promise<Record<string, number[]>> {
  const d = 8;
  const n = d ** 3;
  const small = (out: number, seed: number) => unetConfig(1, out, [[2, 4], [4, 4]], { seed });
  const G = createGenerator(small(3, 21));
  const C = createClassifier(small(3, 22));
  const S = createSegmentor({ ...small(7, 23), norm: 'instance' }, 'universal');
  const F = createSegmentor({ ...small(7, 24), norm: 'instance' }, 'universal');
  const m = ballMask(d, [4, 4, 4], 2);
  const image = tf.tensor5d(randomArray(2 * n, 41), [2, d, d, d, 1]);
  const synthMask = tf.tensor5d([...m, ...m], [2, d, d, d, 1]);
  const softMask = gaussianBlur3d(synthMask, { size: 3, sigma: 1 });
  const texture = tf.tensor5d(randomArray(2 * n, 42, 0.04, 0.26), [2, d, d, d, 1]);
  const realMask = tf.tensor5d(new Float32Array(2 * n).map((_, i) => (i % n < 16 ? 1 : 0)), [2, d, d, d, 1]);
  const label = tf.tensor4d(Int32Array.from({ length: 2 * n }, (_, i) => (i % 5 === 0 ? 1 : 0)), [2, d, d, d], 'int32');
  const out: Record<string, number[]> = {};
  const s1 = segmentorOptimizer(S, DEFAULT_STAGE1);
  out.firstLoss = [(await segmentorStep(S, s1, { image, label }, DEFAULT_STAGE1)).loss];
  const second = (await segmentorStep(S, s1, { image, label }, DEFAULT_STAGE1)).loss;
  const r2 = await generatorClassifierStep(G, C, F, adversarialOptimizer(G, DEFAULT_STAGE2), adversarialOptimizer(C, DEFAULT_STAGE2), { image, synthMask, softMask, texture, realMask, organChannel: [0, 1] }, DEFAULT_STAGE2);
  out.stage2 = [r2.lSeg, r2.lAdv, r2.lG, r2.lC, ...r2.P];
  const r3 = await segmentorSynthesisStep(S, s1, G, F, { image, label, synthMask, softMask, texture, synthesize: [true, false], organChannel: [0, 0], tumourLabel: [2, 2] }, new Rng(5), DEFAULT_STAGE1, { threshold: 0, mode: 'adaptive' });
  // stage 3 runs after stage-1 updates of S, so it counts as "after updates".
  const aug = augmentBatch(image, label, new Rng(6), { flipP: 0.7, rot90P: 0.7, scale: 0.1, scaleP: 1, shift: 0.1, shiftP: 1 });
  out.augment = [...(await aug.image.data()), ...(await aug.label.data())];
  const sw = await slidingWindowInference(F, { data: randomArray(12 * 10 * 9, 43), dims: [12, 10, 9] }, { patch: [8, 8, 8], overlap: 0.5, keepProbabilities: true });
  out.slidingWindow = sw.probabilities!.flatMap((p) => Array.from(p));
  out.afterUpdates = [second, r3.loss, r3.P[0], r3.cutmix.split, ...(await S.params.get('head.kernel')!.data())];
  tf.dispose([image, synthMask, softMask, texture, realMask, label, aug.image, aug.label]);
  [G, C, S, F].forEach((x) => x.dispose());
  return out;
}

describe('backend agreement: cpu vs webgpu', () => {
  if (!probe.ok) it.skip(`SKIPPED webgpu comparison — ${SKIP_REASON}`, () => {});

  let cpu: Outputs;
  let gpu: Outputs;
  let weights: Map<string, Float32Array>;
  let segWeights: Map<string, Float32Array>;
  let cpuTrain: Record<string, number[]>;
  let gpuTrain: Record<string, number[]>;

  beforeAll(async () => {
    if (!probe.ok) return;
    await tf.setBackend('cpu');
    const grab = async (c: typeof cfg) => {
      const n = createUNet(c);
      const m = new Map<string, Float32Array>();
      for (const [k, v] of n.params) m.set(k, (await v.data()) as Float32Array);
      // Non-trivial norm parameters so gamma/beta broadcasts are exercised.
      for (const [k, v] of m) if (k.endsWith('.gamma') || k.endsWith('.beta') || k.endsWith('.bias')) m.set(k, v.map((_, i) => 0.5 + 0.1 * i));
      n.dispose();
      return m;
    };
    weights = await grab(cfg);
    segWeights = await grab(segCfg);
    cpu = await compute(weights, segWeights);
    await tf.setBackend('webgpu');
    gpu = await compute(weights, segWeights);
    await tf.setBackend('cpu');
    cpuTrain = await trainingRun();
    await tf.setBackend('webgpu');
    gpuTrain = await trainingRun();
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const key of ['unetForward', 'blur', 'synthesis', 'segForward', 'losses', 'lossGrads', 'generatorGrads'] as const) {
    it.skipIf(!probe.ok)(`${key} agrees within ${TOL} relative error`, () => {
      const e = relErr(gpu[key], cpu[key]);
      console.log(`[backendAgreement] ${key}: max rel err ${e.toExponential(2)} over ${cpu[key].length} values`);
      expect(e).toBeLessThan(TOL);
    });
  }

  // One step of each stage and the updated weights. (A 1e-3 disagreement here exposed the
  // broken rank-5 slice gradient on webgpu; with it fixed the backends agree to the bit.)
  const TRAIN: [string, number][] = [
    ['firstLoss', 1e-4],
    ['stage2', 1e-4],
    ['augment', 0],
    ['slidingWindow', 1e-4],
    ['afterUpdates', 1e-4],
  ];
  for (const [key, tol] of TRAIN) {
    it.skipIf(!probe.ok)(`training ${key} agrees within ${tol} relative error`, () => {
      const e = relErr(gpuTrain[key], cpuTrain[key]);
      console.log(`[backendAgreement] training ${key}: max rel err ${e.toExponential(2)} (${cpuTrain[key].slice(0, 4).map((v) => v.toPrecision(5)).join(', ')})`);
      expect(e).toBeLessThanOrEqual(tol);
    });
  }

  it.skipIf(!probe.ok)('quality counts agree exactly', () => {
    expect(Array.from(gpu.quality)).toEqual(Array.from(cpu.quality));
  });

  it.skipIf(!probe.ok)('synthesis leaves voxels outside M̃ bit-identical on webgpu too', async () => {
    await tf.setBackend('webgpu');
    const image = tf.tensor5d(randomArray(N, 5), [1, D, D, D, 1]);
    const m = ballMask(D, [8, 8, 8], 3);
    const xh = synthesize(tf.tensor5d(randomArray(3 * N, 6, -2, 2), [1, D, D, D, 3]), {
      image,
      softMask: tf.tensor5d(m, [1, D, D, D, 1]),
      texture: tf.ones([1, D, D, D, 1]) as tf.Tensor5D,
      organChannel: [1],
    });
    const [a, b] = [await xh.data(), await image.data()];
    for (let i = 0; i < N; i++) if (!m[i]) expect(a[i]).toBe(b[i]);
  });

  it.skipIf(!probe.ok)('the webgpu 1-D bias bug: naive tf.add(x5d, bias1d) is wrong, our [1,1,1,1,C] path is right', async () => {
    await tf.setBackend('webgpu');
    const shape = [1, 8, 8, 8, 4];
    const xs = randomArray(2048, 31, -1, 1);
    const x = tf.add(tf.tensor(xs, shape), 0); // resident on the GPU
    const bias = tf.tensor1d([1, 2, 3, 4]);
    const want = xs.map((v, i) => v + 1 + (i % 4));
    const ours = await tf.add(x, tf.reshape(bias, [1, 1, 1, 1, 4])).data();
    expect(relErr(ours, want)).toBeLessThan(1e-6);
    // The invalid shader never writes its output, so the result is whatever a recycled buffer held
    // (zeros when fresh): leave a sentinel-filled buffer of the same size in the pool first.
    const sentinel = tf.add(tf.fill(shape, -7), 0);
    await sentinel.data();
    sentinel.dispose();
    // The bug is a WGSL compile error in tfjs's BinaryOpProgram. An error scope catches it, so
    // this test asserts it instead of Dawn printing a validation error that looks like a failure.
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    device.pushErrorScope('validation');
    const naive = await tf.add(x, bias).data();
    const compileError = await device.popErrorScope();
    let naiveErr = 0;
    for (let i = 0; i < want.length; i++) naiveErr = Math.max(naiveErr, Math.abs(naive[i] - want[i]));
    // If this fails, tfjs fixed the bug: update ENVIRONMENT.md (the reshape stays harmless).
    // (Checked last: after the invalid pipeline, later adds in this process were seen to misbehave.)
    expect(naiveErr, 'tfjs-backend-webgpu 1-D bias add on 5-D now works').toBeGreaterThan(0.5);
    expect(compileError?.message).toMatch(/Error while parsing WGSL: .*cannot index type 'vec5'/);
    console.log(`[backendAgreement] tfjs's 1-D bias bug reproduced as expected (BinaryOpProgram WGSL: ${compileError?.message.split('\n')[0]}); caught by an error scope, not a failure`);
  });
});
