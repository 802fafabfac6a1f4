/**
 * Stage-3 crop augmentation (per sample): flips per axis, 90° rotation in the axial (y–x) plane,
 * intensity scale and shift — image and label share the spatial transforms.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from './config.ts';
import { DEFAULT_AUGMENT } from './config.ts';
import type { Rng } from './rng.ts';
import { reverseAnyRank } from './ops.ts';

export interface AugmentDraw {
  flip: [boolean, boolean, boolean]; // z, y, x
  rot90: number; // quarter turns in the y–x plane (0 when y ≠ x)
  scale: number; // multiplicative factor, 1 = none
  shift: number; // additive offset, 0 = none
}

export function drawAugment(rng: Rng, square: boolean, cfg: AugmentConfig = DEFAULT_AUGMENT): AugmentDraw {
  const flip: [boolean, boolean, boolean] = [rng.uniform() < cfg.flipP, rng.uniform() < cfg.flipP, rng.uniform() < cfg.flipP];
  const rot = rng.uniform() < cfg.rot90P;
  const turns = 1 + Math.floor(rng.uniform() * 3);
  const scale = rng.uniform() < cfg.scaleP ? 1 + (2 * rng.uniform() - 1) * cfg.scale : 1;
  const shift = rng.uniform() < cfg.shiftP ? (2 * rng.uniform() - 1) * cfg.shift : 0;
  return { flip, rot90: rot && square ? turns : 0, scale, shift };
}

/** Spatial part on a tensor [B, z, y, x, …] (the same draw for every sample in it). */
function spatial<T extends tf.Tensor>(t: T, d: AugmentDraw): T {
  let y: tf.Tensor = t;
  const axes = [1, 2, 3].filter((_, i) => d.flip[i]);
  if (axes.length) y = reverseAnyRank(y, axes);
  for (let q = 0; q < d.rot90; q++) {
    const perm = y.shape.map((_, i) => (i === 2 ? 3 : i === 3 ? 2 : i));
    y = reverseAnyRank(tf.transpose(y, perm), [3]);
  }
  return y as T;
}

/** Augment one batch: a separate draw per sample. image [B,z,y,x,1], label [B,z,y,x]. */
export function augmentBatch(
  image: tf.Tensor5D,
  label: tf.Tensor4D,
  rng: Rng,
  cfg: AugmentConfig = DEFAULT_AUGMENT,
): { image: tf.Tensor5D; label: tf.Tensor4D; draws: AugmentDraw[] } {
  const draws: AugmentDraw[] = [];
  const square = image.shape[2] === image.shape[3];
  for (let b = 0; b < image.shape[0]; b++) draws.push(drawAugment(rng, square, cfg));
  const out = tf.tidy(() => {
    const ims: tf.Tensor[] = [];
    const lbs: tf.Tensor[] = [];
    draws.forEach((d, b) => {
      const im = spatial(tf.slice(image, [b], [1]), d);
      ims.push(tf.add(tf.mul(im, d.scale), d.shift));
      // Labels travel as float32 (exact for class ids): webgpu's shared-memory transpose emits an
      // invalid shader for int32 (f32/i32 type mismatch) and returns stale data.
      lbs.push(tf.cast(spatial(tf.cast(tf.slice(label, [b], [1]), 'float32'), d), label.dtype));
    });
    return { image: tf.concat(ims, 0) as tf.Tensor5D, label: tf.concat(lbs, 0) as tf.Tensor4D };
  });
  return { ...out, draws };
}
