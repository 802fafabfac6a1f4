/**
 * Fused normalisation + affine + activation for the cpu backend, forward and backward, as two
 * custom tfjs kernels (registered by registerFastKernels; the op and its gradient live in
 * ../norm.ts). On tfjs's generic kernels a U-Net's BatchNorm/InstanceNorm + ReLU is a chain of
 * ~8 full passes forward and ~20 backward, each allocating a tensor the size of the activation;
 * here the forward is two passes (statistics, output) and the backward two (Σg and Σg·x̂ per
 * channel, then dx), allocating only what they return.
 *
 * The input is v = fround(x + bias) (the conv bias, added here instead of in a pass of its own;
 * the same float32 sum as tfjs's Add), recomputed wherever needed rather than stored.
 *
 * Layout is channels-last [batch, ...spatial, C]. 'batch' normalises each channel over batch and
 * space; 'instance' each (sample, channel) over space. Statistics accumulate in float64 around
 * the group's first value (shifted sums: one pass, and exactly 0 variance for a constant channel).
 * The pre-activation is z = fround(x·s + t) with s = γ·invStd, t = β − μ·s (μ and invStd rounded
 * to float32 first, so the backward recomputes the same z bit for bit from the saved statistics).
 * Activation derivatives follow tfjs's gradients: ReLU and leaky ReLU by z > 0, ELU from its
 * output y (y ≥ 0 ? 1 : y + 1).
 */
import type * as tf from '@tensorflow/tfjs';
import { f32Values, type CpuBackendLike } from './channelOps.ts';

export const NORM_ACT = 'FreeTumorNormAct';
export const NORM_ACT_GRAD = 'FreeTumorNormActGrad';

export type NormActivation = 'linear' | 'relu' | 'leakyRelu' | 'elu';

/** Attributes of both kernels. */
export interface NormActAttrs {
  instance: boolean;
  eps: number;
  activation: NormActivation;
  /** Negative-side slope of leakyRelu (ignored otherwise). */
  slope: number;
}

/** segs groups of `rows` rows of C channels: one segment per sample (instance) or one in all (batch). */
export interface NormGeom {
  segs: number;
  rows: number;
  channels: number;
}

export function normGeom(shape: number[], instance: boolean): NormGeom {
  if (shape.length < 2) throw new Error(`fused norm: input must be [batch, ..., channels], got shape [${shape}]`);
  const batch = shape[0];
  const channels = shape[shape.length - 1];
  let spatial = 1;
  for (let i = 1; i < shape.length - 1; i++) spatial *= shape[i];
  return instance ? { segs: batch, rows: spatial, channels } : { segs: 1, rows: batch * spatial, channels };
}

const ACT = { linear: 0, relu: 1, leakyRelu: 2, elu: 3 } as const;

function actCode(a: NormActivation): number {
  const c = ACT[a];
  if (c === undefined) throw new Error(`fused norm: unknown activation ${JSON.stringify(a)}`);
  return c;
}

/** Per-channel s = γ·invStd and t = β − μ·s of segment `seg`, in float64. */
function affine(gamma: Float32Array, beta: Float32Array, mean: Float32Array, invStd: Float32Array, seg: number, scale: Float64Array, shift: Float64Array): void {
  const C = scale.length;
  for (let c = 0; c < C; c++) {
    const s = gamma[c] * invStd[seg * C + c];
    scale[c] = s;
    shift[c] = beta[c] - mean[seg * C + c] * s;
  }
}

export interface NormActForward {
  y: Float32Array;
  /** [segs · C] statistics, float32 as saved for the backward. */
  mean: Float32Array;
  invStd: Float32Array;
}

export function normActForward(x: Float32Array, bias: Float32Array, gamma: Float32Array, beta: Float32Array, g: NormGeom, a: NormActAttrs): NormActForward {
  const { segs, rows, channels: C } = g;
  const act = actCode(a.activation);
  const slope = a.slope;
  const y = new Float32Array(x.length);
  const mean = new Float32Array(segs * C);
  const invStd = new Float32Array(segs * C);
  const x0 = new Float64Array(C);
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let seg = 0; seg < segs; seg++) {
    const base = seg * rows * C;
    for (let c = 0; c < C; c++) {
      x0[c] = Math.fround(x[base + c] + bias[c]);
      s1[c] = 0;
      s2[c] = 0;
    }
    for (let r = 0, i = base; r < rows; r++) {
      for (let c = 0; c < C; c++, i++) {
        const d = Math.fround(x[i] + bias[c]) - x0[c];
        s1[c] += d;
        s2[c] += d * d;
      }
    }
    for (let c = 0; c < C; c++) {
      const m = s1[c] / rows;
      const v = Math.max(0, s2[c] / rows - m * m);
      mean[seg * C + c] = x0[c] + m;
      invStd[seg * C + c] = 1 / Math.sqrt(v + a.eps);
    }
    affine(gamma, beta, mean, invStd, seg, scale, shift);
    for (let r = 0, i = base; r < rows; r++) {
      for (let c = 0; c < C; c++, i++) {
        const z = Math.fround(Math.fround(x[i] + bias[c]) * scale[c] + shift[c]);
        if (act === 0) y[i] = z;
        else if (act === 1) y[i] = z > 0 ? z : 0;
        else if (act === 2) y[i] = z > 0 ? z : slope * z;
        else y[i] = z >= 0 ? z : Math.exp(z) - 1;
      }
    }
  }
  return { y, mean, invStd };
}

export interface NormActBackward {
  /** Also the gradient of x + bias. */
  dx: Float32Array;
  dBias: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
}

/**
 * With g = dy·act′(z) and x̂ = (x − μ)·invStd, per group of n values:
 *   dβ = Σg,  dγ = Σg·x̂,  dx = γ·invStd·(g − Σg/n − x̂·Σg·x̂/n)
 * (dγ, dβ summed over the samples for instance norm), and dbias = Σ dx over every row (0 up to
 * rounding: the normalisation removes any shift). Pass 1 leaves g in dx.
 */
export function normActBackward(
  dy: Float32Array, x: Float32Array, bias: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array,
  mean: Float32Array, invStd: Float32Array, g: NormGeom, a: NormActAttrs,
): NormActBackward {
  const { segs, rows, channels: C } = g;
  const act = actCode(a.activation);
  const slope = a.slope;
  const dx = new Float32Array(x.length);
  const dGamma = new Float64Array(C);
  const dBeta = new Float64Array(C);
  const dBias = new Float64Array(C);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  const sg = new Float64Array(C);
  const sgx = new Float64Array(C);
  const mu = new Float64Array(C);
  const is = new Float64Array(C);
  for (let seg = 0; seg < segs; seg++) {
    const base = seg * rows * C;
    affine(gamma, beta, mean, invStd, seg, scale, shift);
    for (let c = 0; c < C; c++) {
      mu[c] = mean[seg * C + c];
      is[c] = invStd[seg * C + c];
      sg[c] = 0;
      sgx[c] = 0;
    }
    for (let r = 0, i = base; r < rows; r++) {
      for (let c = 0; c < C; c++, i++) {
        const v = Math.fround(x[i] + bias[c]);
        let gi: number;
        if (act === 0) gi = dy[i];
        else if (act === 3) gi = y[i] >= 0 ? dy[i] : Math.fround(dy[i] * (y[i] + 1));
        else {
          const z = Math.fround(v * scale[c] + shift[c]);
          gi = z > 0 ? dy[i] : act === 1 ? 0 : Math.fround(dy[i] * slope);
        }
        dx[i] = gi;
        sg[c] += gi;
        sgx[c] += gi * (v - mu[c]) * is[c];
      }
    }
    for (let c = 0; c < C; c++) {
      dBeta[c] += sg[c];
      dGamma[c] += sgx[c];
      // Reused as the per-channel constants of dx = k·(g − a − x̂·b).
      scale[c] = gamma[c] * is[c];
      sg[c] /= rows;
      sgx[c] /= rows;
    }
    for (let r = 0, i = base; r < rows; r++) {
      for (let c = 0; c < C; c++, i++) {
        const d = Math.fround(scale[c] * (dx[i] - sg[c] - (Math.fround(x[i] + bias[c]) - mu[c]) * is[c] * sgx[c]));
        dx[i] = d;
        dBias[c] += d;
      }
    }
  }
  return { dx, dBias: Float32Array.from(dBias), dGamma: Float32Array.from(dGamma), dBeta: Float32Array.from(dBeta) };
}

type Args = Parameters<tf.KernelFunc>[0];

function values(backend: CpuBackendLike, t: tf.TensorInfo, what: string, size?: number): Float32Array {
  const v = f32Values(backend, t);
  if (!v) throw new Error(`fused norm: ${what} must be float32 on the cpu backend, got ${t.dtype}`);
  if (size !== undefined && v.length !== size) throw new Error(`fused norm: ${what} has ${v.length} values, expected ${size}`);
  return v;
}

function attrsOf(args: Args): NormActAttrs {
  return args.attrs as unknown as NormActAttrs;
}

/** Inputs x, bias, gamma, beta (C values each, any shape); outputs y, mean [segs, C], invStd [segs, C]. */
export const cpuNormActConfig: tf.KernelConfig = {
  kernelName: NORM_ACT,
  backendName: 'cpu',
  kernelFunc: (args: Args) => {
    const { x, bias, gamma, beta } = args.inputs as Record<'x' | 'bias' | 'gamma' | 'beta', tf.TensorInfo>;
    const backend = args.backend as unknown as CpuBackendLike;
    const a = attrsOf(args);
    const g = normGeom(x.shape, a.instance);
    const C = g.channels;
    const r = normActForward(values(backend, x, 'x'), values(backend, bias, 'bias', C), values(backend, gamma, 'gamma', C), values(backend, beta, 'beta', C), g, a);
    return [
      backend.makeTensorInfo(x.shape, 'float32', r.y),
      backend.makeTensorInfo([g.segs, C], 'float32', r.mean),
      backend.makeTensorInfo([g.segs, C], 'float32', r.invStd),
    ];
  },
};

/** Inputs dy, x, bias, y, gamma, beta, mean, invStd; outputs dx (x's shape), dBias, dGamma, dBeta [C]. */
export const cpuNormActGradConfig: tf.KernelConfig = {
  kernelName: NORM_ACT_GRAD,
  backendName: 'cpu',
  kernelFunc: (args: Args) => {
    const i = args.inputs as Record<'dy' | 'x' | 'bias' | 'y' | 'gamma' | 'beta' | 'mean' | 'invStd', tf.TensorInfo>;
    const backend = args.backend as unknown as CpuBackendLike;
    const a = attrsOf(args);
    const g = normGeom(i.x.shape, a.instance);
    const C = g.channels;
    const n = i.x.shape.reduce((p, q) => p * q, 1);
    const r = normActBackward(
      values(backend, i.dy, 'dy', n), values(backend, i.x, 'x', n), values(backend, i.bias, 'bias', C), values(backend, i.y, 'y', n),
      values(backend, i.gamma, 'gamma', C), values(backend, i.beta, 'beta', C),
      values(backend, i.mean, 'mean', g.segs * C), values(backend, i.invStd, 'invStd', g.segs * C), g, a,
    );
    return [
      backend.makeTensorInfo(i.x.shape, 'float32', r.dx),
      backend.makeTensorInfo([C], 'float32', r.dBias),
      backend.makeTensorInfo([C], 'float32', r.dGamma),
      backend.makeTensorInfo([C], 'float32', r.dBeta),
    ];
  },
};

export const CPU_NORM_KERNELS: tf.KernelConfig[] = [cpuNormActConfig, cpuNormActGradConfig];
