/**
 * The three training stages as single-step plain functions. Each keeps tf.memory().numTensors
 * unchanged across a call (tested) and reads results back asynchronously (webgpu in Node has no
 * synchronous read-back).
 */
import * as tf from '@tensorflow/tfjs';
import type { BlurConfig, MixupConfig, QualityConfig, Stage1Config, Stage2Config } from './config.ts';
import { DEFAULT_BLUR, DEFAULT_MIXUP, DEFAULT_QUALITY, TUMOUR_CLASSES } from './config.ts';
import { classifierLoss, diceCELoss, generatorLoss } from './losses.ts';
import { applyCutMix, drawCutMix, type CutMixDraw } from './mixup.ts';
import type { Network } from './networks.ts';
import { assertTrainableBackend } from './networks.ts';
import { AdamW, warmupCosineLr } from './optimizer.ts';
import { qualityCounts, qualityFromCounts } from './qualityTest.ts';
import type { Rng } from './rng.ts';
import { whereAnyRank } from './ops.ts';
import { synthesize, synthesizeWithGenerator, type SynthesisInputs } from './synthesis.ts';

function tumourClassesOf(S: Network): number[] {
  if (S.role !== 'segmentor' || !S.labelScheme) throw new Error('expected a segmentor network with a label scheme');
  return TUMOUR_CLASSES[S.labelScheme];
}

async function scalar(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

/** AdamW for stage 1/3 (decoupled weight decay). */
export function segmentorOptimizer(S: Network, cfg: Stage1Config): AdamW {
  return new AdamW(S.params, { lr: cfg.lr, betas: cfg.betas, eps: cfg.eps, weightDecay: cfg.weightDecay, amsgrad: cfg.amsgrad });
}

/** Adam for G or C in stage 2 (betas (0, 0.999), no weight decay). */
export function adversarialOptimizer(net: Network, cfg: Stage2Config): AdamW {
  return new AdamW(net.params, { lr: cfg.lr, betas: cfg.betas, eps: cfg.eps, weightDecay: 0 });
}

export interface SegBatch {
  /** [B,z,y,x,1] */
  image: tf.Tensor5D;
  /** Class ids [B,z,y,x] int32. */
  label: tf.Tensor4D;
  /** Eq. 8 per-sample weights (1 for real samples); omitted = all 1. */
  weights?: number[];
}

export interface SegStepResult {
  loss: number;
  lr: number;
  step: number;
}

/**
 * The Dice-CE loss of a batch and its gradients by tf variable name, without an update: what a
 * data-parallel replica computes on its share of the batch (src/node/parallel). The caller
 * disposes both.
 */
export function segmentorGradients(S: Network, batch: SegBatch, cfg: Stage1Config): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.variableGrads(() => diceCELoss(S.apply(batch.image), batch.label, cfg, batch.weights), S.variables());
}

/** Stage 1 (and the update of stage 3): one Dice-CE AdamW step with the per-iteration schedule. */
export async function segmentorStep(S: Network, opt: AdamW, batch: SegBatch, cfg: Stage1Config): Promise<SegStepResult> {
  assertTrainableBackend();
  const lr = warmupCosineLr(opt.step, cfg);
  const { value, grads } = segmentorGradients(S, batch, cfg);
  opt.apply(grads, lr);
  tf.dispose(grads);
  const loss = await scalar(value);
  value.dispose();
  return { loss, lr, step: opt.step };
}

export interface Stage2Batch extends Omit<SynthesisInputs, 'image'> {
  image: tf.Tensor5D;
  /** Binary synthetic-tumour mask M [B,z,y,x,1]. */
  synthMask: tf.Tensor5D;
  /** Binary real-tumour mask [B,z,y,x,1] (zeros for unlabelled crops; should exclude M). */
  realMask: tf.Tensor5D;
}

export interface Stage2Result {
  lSeg: number;
  lAdv: number;
  lG: number;
  lC: number;
  /** Quality test on the frozen S's prediction of x̂, per sample. */
  P: number[];
  pass: boolean[];
}

export interface GeneratorGradients {
  /** L_G = L_seg + λ_cls·L_adv. */
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** x̂ as G made it, detached: what C is trained on. */
  xhat: tf.Tensor5D;
  /** Quality-test counts of the frozen S on x̂, [B, 2]. */
  counts: tf.Tensor2D;
  seg: tf.Scalar;
  adv: tf.Scalar;
}

/** G's loss against frozen S and the current C, and its gradients; the caller disposes all of it. */
export function generatorGradients(G: Network, C: Network, S: Network, batch: Stage2Batch, cfg: Stage2Config, blur: BlurConfig = DEFAULT_BLUR): GeneratorGradients {
  const tumourClasses = tumourClassesOf(S);
  let xhat: tf.Tensor5D | undefined;
  let counts: tf.Tensor2D | undefined;
  let seg: tf.Scalar | undefined;
  let adv: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const xh = synthesize(G.apply(batch.image), batch, blur);
    const sLogits = S.apply(xh);
    const t = generatorLoss(sLogits, C.apply(xh), batch.synthMask, tumourClasses, cfg.lambdaCls, cfg.segLoss);
    xhat = tf.keep(tf.clone(xh));
    counts = tf.keep(qualityCounts(sLogits, batch.synthMask, tumourClasses));
    seg = tf.keep(t.seg);
    adv = tf.keep(t.adv);
    return t.total;
  }, G.variables());
  return { value, grads, xhat: xhat!, counts: counts!, seg: seg!, adv: adv! };
}

/** C's loss on a detached x̂ and its gradients; the caller disposes both. */
export function classifierGradients(C: Network, xhat: tf.Tensor5D, batch: Pick<Stage2Batch, 'synthMask' | 'realMask'>): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.variableGrads(() => classifierLoss(C.apply(xhat), batch.synthMask, batch.realMask), C.variables());
}

/**
 * Stage 2: one G step (L_seg + λ_cls·L_adv against frozen S and current C), then one C step on the
 * same x̂ detached (the usual GAN order: C sees G's sample from before G's update).
 */
export async function generatorClassifierStep(
  G: Network,
  C: Network,
  S: Network,
  optG: AdamW,
  optC: AdamW,
  batch: Stage2Batch,
  cfg: Stage2Config,
  blur: BlurConfig = DEFAULT_BLUR,
  quality: QualityConfig = DEFAULT_QUALITY,
): Promise<Stage2Result> {
  assertTrainableBackend();
  const g = generatorGradients(G, C, S, batch, cfg, blur);
  optG.apply(g.grads);
  tf.dispose(g.grads);

  const cStep = classifierGradients(C, g.xhat, batch);
  optC.apply(cStep.grads);
  tf.dispose(cStep.grads);

  try {
    const q = qualityFromCounts(await g.counts.data(), quality.threshold);
    return {
      lSeg: await scalar(g.seg),
      lAdv: await scalar(g.adv),
      lG: await scalar(g.value),
      lC: await scalar(cStep.value),
      ...q,
    };
  } finally {
    tf.dispose([g.xhat, g.counts, g.seg, g.adv, g.value, cStep.value]);
  }
}

export interface Stage3Batch {
  image: tf.Tensor5D;
  label: tf.Tensor4D;
  /** Per sample: synthesise a tumour here (organ present, no real tumour). */
  synthesize: boolean[];
  /** Synthesis inputs for the whole batch (ignored where `synthesize` is false). */
  softMask: tf.Tensor5D;
  synthMask: tf.Tensor5D;
  texture: tf.Tensor5D;
  organChannel: number[];
  organMask?: tf.Tensor5D;
  /** Per sample: the label id painted on M (e.g. 2 liver tumour in the universal scheme). */
  tumourLabel: number[];
}

export interface Stage3Result extends SegStepResult {
  /** Quality P per sample (NaN where nothing was synthesised). */
  P: number[];
  /** Whether the synthetic x̂ was used (else the original x and label). */
  accepted: boolean[];
  /** Eq. 8 loss weights used (see SyntheticBatch). */
  weights: number[];
  /** The CutMix draw applied to the batch. */
  cutmix: CutMixDraw;
}

export interface SyntheticBatch {
  image: tf.Tensor5D;
  label: tf.Tensor4D;
  /** Quality P per sample (NaN where nothing was synthesised). */
  P: number[];
  /** Whether the synthetic x̂ replaced the original x (and M was painted into the label). */
  accepted: boolean[];
  /** Per-sample loss weights: P for accepted samples in adaptive mode (Eq. 8), else 1. */
  weights: number[];
}

/**
 * The online-synthesis half of stage 3: x̂ from frozen G, the quality test by `filterS` (the frozen
 * stage-1 segmentor), and per sample either x̂ with `tumourLabel` painted on M or, on failure, the
 * original x and label unchanged. The caller owns (and disposes) the returned tensors.
 */
export async function applySyntheticTumours(
  G: Network,
  filterS: Network,
  batch: Stage3Batch,
  quality: QualityConfig = DEFAULT_QUALITY,
  blur: BlurConfig = DEFAULT_BLUR,
): Promise<SyntheticBatch> {
  const B = batch.image.shape[0];
  if (!batch.synthesize.some(Boolean)) {
    return { image: batch.image.clone(), label: batch.label.clone(), P: new Array(B).fill(NaN), accepted: new Array(B).fill(false), weights: new Array(B).fill(1) };
  }
  const tumourClasses = tumourClassesOf(filterS);
  const xhat = synthesizeWithGenerator(G, batch, blur);
  const counts = tf.tidy(() => qualityCounts(filterS.apply(xhat), batch.synthMask, tumourClasses));
  const q = qualityFromCounts(await counts.data(), quality.threshold);
  counts.dispose();
  const P = q.P.map((p, b) => (batch.synthesize[b] ? p : NaN));
  const accepted = batch.synthesize.map((s, b) => s && !Number.isNaN(q.P[b]) && (quality.mode !== 'threshold' || q.pass[b]));
  const [image, label] = tf.tidy(() => {
    const sel5 = tf.tensor5d(accepted.map((a) => (a ? 1 : 0)), [B, 1, 1, 1, 1]);
    const im = whereAnyRank(tf.greater(sel5, 0), xhat, batch.image);
    const paint = tf.tensor4d(batch.tumourLabel.map((t, b) => (accepted[b] ? t : -1)), [B, 1, 1, 1], 'int32');
    const onM = tf.logicalAnd(tf.greater(tf.squeeze(batch.synthMask, [4]), 0.5), tf.greater(tf.broadcastTo(paint, batch.label.shape), -1));
    const lb = whereAnyRank(onM, tf.broadcastTo(paint, batch.label.shape), tf.cast(batch.label, 'int32')) as tf.Tensor4D;
    return [im, lb];
  });
  xhat.dispose();
  const weights = accepted.map((a, b) => (a && quality.mode === 'adaptive' ? P[b] : 1));
  return { image, label, P, accepted, weights };
}

/** The update of S on a prepared batch: segmentorStep, or a data-parallel one (src/node/parallel). */
export type SegmentorUpdate = (S: Network, opt: AdamW, batch: SegBatch, cfg: Stage1Config) => Promise<SegStepResult>;

/**
 * Stage 3: online synthesis with frozen G, quality test by `filterS` (the frozen stage-1
 * segmentor), threshold or Eq. 8 adaptive weighting, half-split CutMix, then one Dice-CE step of S.
 */
export async function segmentorSynthesisStep(
  S: Network,
  opt: AdamW,
  G: Network,
  filterS: Network,
  batch: Stage3Batch,
  rng: Rng,
  cfg: Stage1Config,
  quality: QualityConfig = DEFAULT_QUALITY,
  mixup: MixupConfig = DEFAULT_MIXUP,
  blur: BlurConfig = DEFAULT_BLUR,
  update: SegmentorUpdate = segmentorStep,
): Promise<Stage3Result> {
  assertTrainableBackend();
  const syn = await applySyntheticTumours(G, filterS, batch, quality, blur);
  const draw = drawCutMix(rng, { x: syn.image.shape[3], y: syn.image.shape[2] }, mixup);
  const mixedImage = applyCutMix(syn.image, draw);
  const mixedLabel = applyCutMix(syn.label, draw);
  try {
    const r = await update(S, opt, { image: mixedImage, label: mixedLabel, weights: syn.weights }, cfg);
    return { ...r, P: syn.P, accepted: syn.accepted, weights: syn.weights, cutmix: draw };
  } finally {
    tf.dispose([syn.image, syn.label, mixedImage, mixedLabel]);
  }
}
