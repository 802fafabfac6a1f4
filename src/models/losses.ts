/**
 * Losses of the three stages. Inputs are logits [B,z,y,x,K] and float masks [B,z,y,x,1] (1 inside).
 * Every per-class weight is shaped [1,1,1,1,K] (never 1-D; see the webgpu note in unet.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { SegLossForm, Stage1Config } from './config.ts';
import { CLASSIFIER_CLASSES, DEFAULT_STAGE1 } from './config.ts';

/** A [1,1,1,1,K] 0/1 selector of the given classes. */
export function classSelector(classes: number[], k: number): tf.Tensor5D {
  const s = new Float32Array(k);
  for (const c of classes) {
    if (c < 0 || c >= k) throw new Error(`class ${c} outside 0..${k - 1}`);
    s[c] = 1;
  }
  return tf.tensor5d(s, [1, 1, 1, 1, k]);
}

/**
 * Channel c of a [B,z,y,x,K] tensor as [B,z,y,x,1], via a one-hot product rather than tf.slice:
 * the gradient of a rank-5 slice is a rank-5 pad, which tfjs-backend-webgpu 4.22 cannot compile
 * (its PadProgram indexes a 'vec5'), so the gradient silently comes back as zeros or stale data.
 */
export function channel(x: tf.Tensor5D, c: number): tf.Tensor5D {
  return tf.tidy(() => tf.sum(tf.mul(x, classSelector([c], x.shape[4])), 4, true) as tf.Tensor5D);
}

/** "Tumour" probability: the sum of the softmax probabilities of the tumour classes, [B,z,y,x,1]. */
export function tumourProbability(segLogits: tf.Tensor5D, tumourClasses: number[]): tf.Tensor5D {
  return tf.tidy(() => tf.sum(tf.mul(tf.softmax(segLogits), classSelector(tumourClasses, segLogits.shape[4])), 4, true) as tf.Tensor5D);
}

/**
 * Mean of `values` over the voxels where `mask` is 1, across the whole batch, and whether the
 * mask is non-empty (as 0/1). An empty mask yields mean 0 and present 0 so callers can drop the term.
 */
function maskedMean(values: tf.Tensor, mask: tf.Tensor): { mean: tf.Scalar; present: tf.Scalar } {
  const n = tf.sum(mask);
  const present = tf.cast(tf.greater(n, 0), 'float32') as tf.Scalar;
  const mean = tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(n, 1)) as tf.Scalar;
  return { mean, present };
}

/**
 * L_seg: how far the frozen segmentor is from calling the synthetic voxels tumour.
 * reference (default): 1 − mean p over M. euclidean (the paper's ‖1 − S(x̂)‖ averaged over M):
 * mean (1 − p)² over M — squared so its gradient stays finite at p = 1.
 * An empty M gives 0.
 */
export function segmentationLoss(
  segLogits: tf.Tensor5D,
  synthMask: tf.Tensor5D,
  tumourClasses: number[],
  form: SegLossForm = 'reference',
): tf.Scalar {
  return tf.tidy(() => {
    const p = tumourProbability(segLogits, tumourClasses);
    const miss = tf.sub(1, p);
    const { mean, present } = maskedMean(form === 'reference' ? miss : tf.square(miss), synthMask);
    return tf.mul(mean, present) as tf.Scalar;
  });
}

/** Generator adversarial term: 1 − mean over synthetic voxels of C's "real tumour" probability. */
export function adversarialLoss(clsLogits: tf.Tensor5D, synthMask: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const pReal = channel(tf.softmax(clsLogits), CLASSIFIER_CLASSES.real);
    const { mean, present } = maskedMean(pReal, synthMask);
    return tf.mul(tf.sub(1, mean), present) as tf.Scalar;
  });
}

/**
 * C's loss: ½[(1 − mean P_synthetic over synthetic voxels) + (1 − mean P_real over real-tumour
 * voxels)]. A term whose mask is empty in this batch (no labelled crop, or no tumour placed) is
 * dropped and the other is not halved; with both empty the loss is 0 with a zero gradient. Never
 * NaN: each mean divides by max(count, 1) and is multiplied by its 0/1 presence flag.
 */
export function classifierLoss(clsLogits: tf.Tensor5D, synthMask: tf.Tensor5D, realMask: tf.Tensor5D): tf.Scalar {
  return tf.tidy(() => {
    const prob = tf.softmax(clsLogits);
    const pReal = channel(prob, CLASSIFIER_CLASSES.real);
    const pSyn = channel(prob, CLASSIFIER_CLASSES.synthetic);
    const s = maskedMean(pSyn, synthMask);
    const r = maskedMean(pReal, realMask);
    const sum = tf.add(tf.mul(tf.sub(1, s.mean), s.present), tf.mul(tf.sub(1, r.mean), r.present));
    return tf.div(sum, tf.maximum(tf.add(s.present, r.present), 1)) as tf.Scalar;
  });
}

export interface GeneratorLossTerms {
  seg: tf.Scalar;
  adv: tf.Scalar;
  total: tf.Scalar;
}

/** Generator total: L_seg + λ_cls · L_adv. */
export function generatorLoss(
  segLogits: tf.Tensor5D,
  clsLogits: tf.Tensor5D,
  synthMask: tf.Tensor5D,
  tumourClasses: number[],
  lambdaCls: number,
  form: SegLossForm = 'reference',
): GeneratorLossTerms {
  const seg = segmentationLoss(segLogits, synthMask, tumourClasses, form);
  const adv = adversarialLoss(clsLogits, synthMask);
  const total = tf.tidy(() => tf.add(seg, tf.mul(adv, lambdaCls)) as tf.Scalar);
  return { seg, adv, total };
}

export type DiceCEOptions = Pick<Stage1Config, 'diceWeight' | 'ceWeight' | 'squaredPred' | 'smoothNr' | 'smoothDr'>;

/**
 * Dice-CE per sample, [B]: CE = mean over voxels of −log softmax at the label; Dice over the
 * foreground classes 1..K−1 (background excluded), 1 − (2Σpy + nr)/(Σp² + Σy² + dr) per class with
 * squaredPred (MONAI's squared_pred), averaged over classes.
 * `labels` are class ids [B,z,y,x] (int32).
 */
export function diceCEPerSample(segLogits: tf.Tensor5D, labels: tf.Tensor4D, opts: DiceCEOptions = DEFAULT_STAGE1): tf.Tensor1D {
  return tf.tidy(() => {
    const k = segLogits.shape[4];
    if (k < 2) throw new Error('Dice-CE needs at least two classes');
    const y = tf.oneHot(tf.cast(labels, 'int32'), k).toFloat() as tf.Tensor5D;
    const logp = tf.logSoftmax(segLogits);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(logp, y), 4), [1, 2, 3])) as tf.Tensor1D;
    const p = tf.exp(logp);
    // Dice for every class, then drop background on the [B, K] result: slicing the rank-5
    // probabilities would need a rank-5 pad in the backward pass (broken on webgpu, see channel()).
    const inter = tf.sum(tf.mul(p, y), [1, 2, 3]);
    const den = opts.squaredPred
      ? tf.add(tf.sum(tf.square(p), [1, 2, 3]), tf.sum(tf.square(y), [1, 2, 3]))
      : tf.add(tf.sum(p, [1, 2, 3]), tf.sum(y, [1, 2, 3]));
    const diceAll = tf.sub(1, tf.div(tf.add(tf.mul(inter, 2), opts.smoothNr), tf.add(den, opts.smoothDr)));
    const dice = tf.slice(diceAll, [0, 1], [-1, k - 1]);
    const diceMean = tf.mean(dice, 1) as tf.Tensor1D;
    return tf.add(tf.mul(diceMean, opts.diceWeight), tf.mul(ce, opts.ceWeight)) as tf.Tensor1D;
  });
}

/**
 * Batch Dice-CE. With `sampleWeights` (Eq. 8's adaptive P_i; 1 for real samples) the loss is
 * (1/N) Σ P_i · L_i, the paper's normalisation (not a weighted average).
 */
export function diceCELoss(
  segLogits: tf.Tensor5D,
  labels: tf.Tensor4D,
  opts: DiceCEOptions = DEFAULT_STAGE1,
  sampleWeights?: number[],
): tf.Scalar {
  return tf.tidy(() => {
    const per = diceCEPerSample(segLogits, labels, opts);
    if (!sampleWeights) return tf.mean(per) as tf.Scalar;
    if (sampleWeights.length !== per.shape[0]) throw new Error('one weight per sample expected');
    return tf.mean(tf.mul(per, tf.tensor1d(sampleWeights))) as tf.Scalar;
  });
}
