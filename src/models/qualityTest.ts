/**
 * Quality test (filter): P = |M ∩ {argmax S(x̂) ∈ tumour classes}| / |M| per synthesised tumour
 * (one tumour per sample); pass at P ≥ T.
 */
import * as tf from '@tensorflow/tfjs';
import { classSelector } from './losses.ts';

/** [B, 2]: per sample, (|M ∩ predicted tumour|, |M|). */
export function qualityCounts(segLogits: tf.Tensor5D, synthMask: tf.Tensor5D, tumourClasses: number[]): tf.Tensor2D {
  return tf.tidy(() => {
    const k = segLogits.shape[4];
    const pred = tf.oneHot(tf.argMax(segLogits, 4), k).toFloat() as tf.Tensor5D;
    const isTumour = tf.sum(tf.mul(pred, classSelector(tumourClasses, k)), 4, true);
    const m = tf.cast(tf.greater(synthMask, 0.5), 'float32');
    const hit = tf.sum(tf.mul(isTumour, m), [1, 2, 3, 4]);
    const size = tf.sum(m, [1, 2, 3, 4]);
    return tf.stack([hit, size], 1) as tf.Tensor2D;
  });
}

export interface QualityResult {
  /** Per sample; NaN where the sample has no synthetic voxel. */
  P: number[];
  /** P ≥ threshold (false where P is NaN). */
  pass: boolean[];
}

export function qualityFromCounts(counts: ArrayLike<number>, threshold: number): QualityResult {
  const P: number[] = [];
  const pass: boolean[] = [];
  for (let b = 0; b * 2 < counts.length; b++) {
    const size = counts[b * 2 + 1];
    const p = size > 0 ? counts[b * 2] / size : NaN;
    P.push(p);
    pass.push(p >= threshold);
  }
  return { P, pass };
}

/** Asynchronous (webgpu in Node cannot read synchronously). */
export async function qualityTest(
  segLogits: tf.Tensor5D,
  synthMask: tf.Tensor5D,
  tumourClasses: number[],
  threshold = 0.7,
): Promise<QualityResult> {
  const counts = qualityCounts(segLogits, synthMask, tumourClasses);
  try {
    return qualityFromCounts(await counts.data(), threshold);
  } finally {
    counts.dispose();
  }
}
