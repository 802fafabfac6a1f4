/**
 * Eq. 1, reference form (METHOD.md): inside the organ,
 *   x̂ = x − M̃ · B(tanh(G(x)))[organ channel] · T
 * and x̂ = x exactly wherever M̃ = 0 (or outside the organ mask when one is given).
 */
import * as tf from '@tensorflow/tfjs';
import type { BlurConfig } from './config.ts';
import { DEFAULT_BLUR, GENERATOR_ORGANS } from './config.ts';
import { gaussianBlur3d } from './gaussianBlur.ts';
import type { UNet3D } from './unet.ts';
import { whereAnyRank } from './ops.ts';
import { ORGAN_IDS, ORGANS, type Organ } from '../core/labels.ts';
import type { LabelScheme } from './config.ts';

/** G's output channel for an organ (core ORGANS order: liver 0, pancreas 1, kidney 2). */
export function organChannelOf(organ: Organ): number {
  return ORGANS.indexOf(organ);
}

/** The label id painted on a synthetic tumour: the organ's tumour id (universal) or 2 (specialist). */
export function tumourLabelOf(organ: Organ, scheme: LabelScheme): number {
  return scheme === 'universal' ? ORGAN_IDS[organ].tumor : 2;
}

export interface SynthesisInputs {
  /** Image crop [B,z,y,x,1], normalised to [0,1]. */
  image: tf.Tensor5D;
  /** Soft mask M̃ [B,z,y,x,1] (Gaussian-blurred M). */
  softMask: tf.Tensor5D;
  /** Texture T [B,z,y,x,1]. */
  texture: tf.Tensor5D;
  /** Per sample: the tumour's organ as G's channel (0 liver, 1 pancreas, 2 kidney; core ORGANS order). */
  organChannel: number[];
  /** Optional organ mask [B,z,y,x,1] (> 0 inside): restricts the change to the organ. */
  organMask?: tf.Tensor5D;
}

/** One-hot channel selector [B,1,1,1,K], rank-matched to avoid 1-D broadcasts on webgpu. */
function channelSelector(organChannel: number[], k: number): tf.Tensor5D {
  const oh = new Float32Array(organChannel.length * k);
  organChannel.forEach((c, b) => {
    if (!Number.isInteger(c) || c < 0 || c >= k) throw new Error(`organ channel ${c} outside 0..${k - 1}`);
    oh[b * k + c] = 1;
  });
  return tf.tensor5d(oh, [organChannel.length, 1, 1, 1, k]);
}

/** Eq. 1 given G's raw output [B,z,y,x,K] (differentiable in `generatorOutput`). */
export function synthesize(generatorOutput: tf.Tensor5D, inp: SynthesisInputs, blur: BlurConfig = DEFAULT_BLUR): tf.Tensor5D {
  return tf.tidy(() => {
    const k = generatorOutput.shape[4];
    if (inp.organChannel.length !== generatorOutput.shape[0]) {
      throw new Error(`organChannel has ${inp.organChannel.length} entries for a batch of ${generatorOutput.shape[0]}`);
    }
    // Select before blurring: B is linear and per-channel, so this equals B(·)[organ] at 1/K the cost.
    const sel = tf.sum(tf.mul(tf.tanh(generatorOutput), channelSelector(inp.organChannel, k)), 4, true) as tf.Tensor5D;
    const delta = gaussianBlur3d(sel, blur);
    const m = inp.organMask ? tf.mul(inp.softMask, tf.cast(tf.greater(inp.organMask, 0), 'float32')) : inp.softMask;
    const changed = tf.sub(inp.image, tf.mul(tf.mul(m, delta), inp.texture));
    // A select, not arithmetic blending: outside the mask the input passes bit for bit.
    return whereAnyRank(tf.greater(m, 0), changed as tf.Tensor5D, inp.image);
  });
}

/** Eq. 1 with the generator's forward pass. */
export function synthesizeWithGenerator(generator: Pick<UNet3D, 'apply'> & { config: { outChannels: number } }, inp: SynthesisInputs, blur: BlurConfig = DEFAULT_BLUR): tf.Tensor5D {
  if (generator.config.outChannels !== GENERATOR_ORGANS) {
    throw new Error(`generator must output ${GENERATOR_ORGANS} organ channels, has ${generator.config.outChannels}`);
  }
  return tf.tidy(() => synthesize(generator.apply(inp.image), inp, blur));
}
