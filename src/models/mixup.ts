/**
 * Mixup across sources as the reference does it: a half-split CutMix. split = ⌊Beta(α,α)·size⌋
 * along x or y; voxels before the split come from the sample, the rest from its partner in the
 * batch (the next sample, cyclically); image and label alike.
 */
import * as tf from '@tensorflow/tfjs';
import type { MixupConfig } from './config.ts';
import { DEFAULT_MIXUP } from './config.ts';
import type { Rng } from './rng.ts';

/** Tensor axes of x and y in [B, z, y, x, …]. */
export const AXIS = { x: 3, y: 2 } as const;

export interface CutMixDraw {
  mixed: boolean;
  axis: 'x' | 'y';
  split: number;
}

export function drawCutMix(rng: Rng, size: { x: number; y: number }, cfg: MixupConfig = DEFAULT_MIXUP): CutMixDraw {
  const mixed = rng.uniform() < cfg.probability;
  const axis = rng.uniform() < cfg.xProbability ? 'x' : 'y';
  const lam = rng.beta(cfg.alpha, cfg.alpha);
  return { mixed, axis, split: Math.min(size[axis], Math.floor(lam * size[axis])) };
}

/** Apply a draw to a batch tensor [B, z, y, x, …] (image or label). Batch of 1 or no mix: a copy. */
export function applyCutMix<T extends tf.Tensor>(t: T, d: CutMixDraw): T {
  return tf.tidy(() => {
    const b = t.shape[0];
    if (!d.mixed || b < 2) return t.clone();
    const ax = AXIS[d.axis];
    const n = t.shape[ax] as number;
    if (d.split >= n) return t.clone();
    const partner = tf.concat([tf.slice(t, [1], [b - 1]), tf.slice(t, [0], [1])], 0);
    if (d.split <= 0) return partner as T;
    const begin = t.shape.map(() => 0);
    const sizeA = t.shape.map((s, i) => (i === ax ? d.split : s));
    const beginB = t.shape.map((_, i) => (i === ax ? d.split : 0));
    const sizeB = t.shape.map((s, i) => (i === ax ? n - d.split : s));
    return tf.concat([tf.slice(t, begin, sizeA), tf.slice(partner, beginB, sizeB)], ax) as T;
  });
}
