/**
 * The fixed blur B of Eq. 1: a normalised 7×7×7 Gaussian (σ = 1 by default) applied as conv3d.
 *
 * The 3-D Gaussian is separable, so it runs as three 1-D convs (21 taps instead of 343 per voxel);
 * the result equals the full 7³ kernel up to float rounding (tested).
 *
 * Borders: 'same' zero padding with the kernel normalised over its full extent, i.e. voxels outside
 * the crop count as 0 and values near the crop edge are attenuated (as a PyTorch conv3d with
 * padding = size/2 does). Since tanh(G(x)) only matters where the soft mask is non-zero and
 * tumours are placed away from crop edges, the choice rarely shows.
 */
import * as tf from '@tensorflow/tfjs';
import type { BlurConfig } from './config.ts';
import { DEFAULT_BLUR } from './config.ts';

/** Normalised 1-D Gaussian taps. */
export function gaussianTaps(size: number, sigma: number): Float32Array {
  if (size < 1 || size % 2 !== 1) throw new Error(`blur kernel size must be odd and ≥ 1, got ${size}`);
  const r = (size - 1) / 2;
  const taps = new Float32Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const d = i - r;
    taps[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
    sum += taps[i];
  }
  for (let i = 0; i < size; i++) taps[i] /= sum;
  return taps;
}

/** The full size³ kernel [s,s,s,1,1] (reference for tests and PyTorch parity). */
export function gaussianKernel3d(cfg: BlurConfig = DEFAULT_BLUR): tf.Tensor5D {
  const t = gaussianTaps(cfg.size, cfg.sigma);
  const s = cfg.size;
  const k = new Float32Array(s * s * s);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) for (let c = 0; c < s; c++) k[(a * s + b) * s + c] = t[a] * t[b] * t[c];
  return tf.tensor5d(k, [s, s, s, 1, 1]);
}

/** Blur every channel of x [B,z,y,x,C] independently. */
export function gaussianBlur3d(x: tf.Tensor5D, cfg: BlurConfig = DEFAULT_BLUR): tf.Tensor5D {
  return tf.tidy(() => {
    const s = cfg.size;
    const taps = gaussianTaps(s, cfg.sigma);
    const [b, d, h, w, c] = x.shape;
    // Fold channels into the batch so one single-channel kernel serves every channel.
    let y: tf.Tensor5D = c === 1 ? x : (tf.transpose(x, [0, 4, 1, 2, 3]).reshape([b * c, d, h, w, 1]) as tf.Tensor5D);
    const kz = tf.tensor5d(taps, [s, 1, 1, 1, 1]);
    const ky = tf.tensor5d(taps, [1, s, 1, 1, 1]);
    const kx = tf.tensor5d(taps, [1, 1, s, 1, 1]);
    y = tf.conv3d(y, kz, 1, 'same');
    y = tf.conv3d(y, ky, 1, 'same');
    y = tf.conv3d(y, kx, 1, 'same');
    if (c === 1) return y;
    return tf.transpose(y.reshape([b, c, d, h, w]), [0, 2, 3, 4, 1]) as tf.Tensor5D;
  });
}
