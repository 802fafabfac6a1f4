/**
 * y = act(γ·(v − μ)/√(σ² + eps) + β) with v = x + bias over channels-last x, and μ, σ² of v per
 * channel over batch and space ('batch') or per sample and channel over space ('instance'),
 * always from the tensor's own statistics (no running averages).
 *
 * On the cpu backend with the fast kernels registered (registerFastKernels) this is one fused
 * kernel forward and one backward (cpu/normKernels.ts), its gradient registered here. Anywhere
 * else — webgpu, webgl, wasm, stock kernels (FREETUMOR_STOCK_KERNELS=1), or with
 * FREETUMOR_FUSED_NORM=0 for comparison — it is the composite of tfjs ops the U-Net always used
 * (add bias, tf.moments, sub, rsqrt, mul, add, activation), so those backends compute what they did.
 */
import * as tf from '@tensorflow/tfjs';
import { envVar } from './env.ts';
import { NORM_ACT, NORM_ACT_GRAD, type NormActivation, type NormActAttrs } from './cpu/normKernels.ts';

export type { NormActivation } from './cpu/normKernels.ts';

export interface NormActOptions {
  axes: 'batch' | 'instance';
  eps: number;
  activation: NormActivation;
  /** leakyRelu's negative slope. */
  leakySlope: number;
}

function fusedNormFlag(): boolean {
  return envVar('FREETUMOR_FUSED_NORM') !== '0';
}

/** Whether normAffineActivate(x, …) will take the fused kernels now. */
export function fusedNormActive(x?: tf.Tensor): boolean {
  return (
    (x === undefined || x.dtype === 'float32') &&
    tf.getBackend() === 'cpu' &&
    tf.getKernel(NORM_ACT, 'cpu') !== undefined &&
    tf.getKernel(NORM_ACT_GRAD, 'cpu') !== undefined &&
    fusedNormFlag()
  );
}

function registerNormGradient(): void {
  if (tf.getGradient(NORM_ACT)) return;
  tf.registerGradient({
    kernelName: NORM_ACT,
    inputsToSave: ['x', 'bias', 'gamma', 'beta'],
    outputsToSave: [true, true, true],
    // The statistics outputs are internal to normAffineActivate (disposed there), so only y's
    // gradient flows in.
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const dy = Array.isArray(dys) ? dys[0] : dys;
      const [x, bias, gamma, beta, y, mean, invStd] = saved;
      const [dx, dBias, dGamma, dBeta] = tf.engine().runKernel(NORM_ACT_GRAD, { dy, x, bias, y, gamma, beta, mean, invStd }, attrs) as tf.Tensor[];
      return {
        x: () => dx,
        bias: () => tf.reshape(dBias, bias.shape),
        gamma: () => tf.reshape(dGamma, gamma.shape),
        beta: () => tf.reshape(dBeta, beta.shape),
      };
    },
  });
}

/**
 * The bias add, normalisation and activation ('linear' for none). bias (the preceding conv's:
 * folded in here it costs no pass of its own), gamma and beta hold one value per channel in any
 * shape (the U-Net passes [1,1,1,1,C]; see unet.ts on webgpu's 5-D ⊕ 1-D bug); bias may be null.
 */
export function normAffineActivate<T extends tf.Tensor>(x: T, bias: tf.Tensor | null, gamma: tf.Tensor, beta: tf.Tensor, o: NormActOptions): T {
  if (!fusedNormActive(x)) return compositeNormAffineActivate(x, bias, gamma, beta, o);
  registerNormGradient();
  const attrs: NormActAttrs = { instance: o.axes === 'instance', eps: o.eps, activation: o.activation, slope: o.leakySlope };
  // The kernel always takes a bias (the tape saves its inputs by name).
  const b = bias ?? tf.zeros([x.shape[x.rank - 1]]);
  const [y, mean, invStd] = tf.engine().runKernel(NORM_ACT, { x, bias: b, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  if (!bias) b.dispose();
  // The tape keeps its own references to the statistics when recording.
  mean.dispose();
  invStd.dispose();
  return y as T;
}

/** The U-Net's original composite of tfjs ops (every backend; the fused kernels' reference). */
export function compositeNormAffineActivate<T extends tf.Tensor>(x0: T, bias: tf.Tensor | null, gamma: tf.Tensor, beta: tf.Tensor, o: NormActOptions): T {
  return tf.tidy(() => {
    const x = bias ? tf.add(x0, bias) : x0;
    const r = x.rank;
    const axes = o.axes === 'batch' ? [...Array(r - 1).keys()] : [...Array(r - 2).keys()].map((i) => i + 1);
    const { mean, variance } = tf.moments(x, axes, true);
    const xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, o.eps)));
    const z = tf.add(tf.mul(xn, gamma), beta);
    switch (o.activation) {
      case 'linear':
        return z;
      case 'relu':
        return tf.relu(z);
      case 'leakyRelu':
        return tf.leakyRelu(z, o.leakySlope);
      case 'elu':
        return tf.elu(z);
      default:
        throw new Error(`normAffineActivate: unknown activation ${JSON.stringify(o.activation)}`);
    }
  }) as T;
}
