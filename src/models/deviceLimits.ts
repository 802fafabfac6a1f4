/**
 * Will a network's forward (or training step) fit the WebGPU device's buffer limits?
 *
 * A WebGPU buffer larger than the device's maxStorageBufferBindingSize (128 MiB on lavapipe) does
 * not throw: Dawn logs a validation message and the kernel's output is whatever the buffer held,
 * so a paper-size network on a small-limit device returns garbage silently. This module predicts
 * the largest single tensor a pass creates — from the config and the patch alone, before any
 * weight is touched — and refuses with a message naming the tensor, the need and the limit.
 *
 * The predictions mirror unet.ts and swinUnetr/model.ts tensor by tensor (the largest outputs of
 * any kernel: activations, the decoder's concatenations, the matMul form of upsample2x, the
 * attention scores and the shifted-window mask); deviceLimits.test.ts checks them against the
 * largest tensor tfjs's profiler records on small configs.
 */
import * as tf from '@tensorflow/tfjs';
import type { NetworkConfig, UNetConfig } from './config.ts';
import type { SwinUNETRConfig } from './swinUnetr/config.ts';
import { attentionChunkWindows } from './swinUnetr/attentionChunks.ts';
import { swinUnetrParamSpecs } from './swinUnetr/params.ts';
import { unetParamShapes } from './unet.ts';

export type Pass = 'forward' | 'training';

export interface TensorNeed {
  /** Bytes of the largest single tensor (float32). */
  bytes: number;
  shape: number[];
  /** Which tensor, in words (for the refusal message). */
  what: string;
}

export interface NeedOptions {
  /** Samples per pass (default 1). */
  batch?: number;
  /** 'training' adds the tensors only gradients create (default 'forward'). */
  pass?: Pass;
  /**
   * The backend the pass runs on. Only 'cpu' differs: there SwinUNETR's window attention is one
   * fused loop in the forward, so its score matrices exist only in a training step's gradient.
   */
  backend?: string;
  /** Count the weights too (default true: each is a buffer on the device). */
  weights?: boolean;
}

type Vec3 = [number, number, number];
const F32 = 4;

function largest(): { consider(what: string, shape: number[]): void; result(): TensorNeed } {
  let best: TensorNeed = { bytes: 0, shape: [], what: 'nothing' };
  return {
    consider(what, shape) {
      const bytes = shape.reduce((a, b) => a * b, 1) * F32;
      if (bytes > best.bytes) best = { bytes, shape: [...shape], what };
    },
    result: () => best,
  };
}

function checkPatch(patch: number[]): Vec3 {
  if (patch.length !== 3 || !patch.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`patch must be 3 positive integers [z, y, x], got [${patch}]`);
  }
  return patch as Vec3;
}

function unetNeed(cfg: UNetConfig, dims: Vec3, b: number): TensorNeed {
  const L = largest();
  const at = (l: number): Vec3 => dims.map((d) => Math.floor(d / 2 ** l)) as Vec3;
  let c = cfg.inChannels;
  L.consider('the input', [b, ...dims, c]);
  const skips: number[] = [];
  cfg.encoder.forEach((widths, l) => {
    if (l > 0) L.consider(`the level-${l} max-pool output`, [b, ...at(l), c]);
    widths.forEach((w, i) => {
      L.consider(`encoder level ${l} conv ${i} output`, [b, ...at(l), w]);
      c = w;
    });
    skips.push(c);
  });
  for (let l = cfg.encoder.length - 2; l >= 0; l--) {
    // upsample2x's matMul form makes [voxels below, 8·c]: as many values as the upsampled output.
    L.consider(`decoder level ${l} upsampling`, [b, ...at(l), c]);
    L.consider(`decoder level ${l} concatenation (upsampled + skip)`, [b, ...at(l), c + skips[l]]);
    L.consider(`decoder level ${l} conv output`, [b, ...at(l), skips[l]]);
    c = skips[l];
  }
  L.consider('the head output (logits)', [b, ...dims, cfg.outChannels]);
  return L.result();
}

function swinNeed(cfg: SwinUNETRConfig, dims: Vec3, b: number, pass: Pass, backend: string | undefined): TensorNeed {
  const L = largest();
  const fs = cfg.featureSize;
  const at = (l: number): Vec3 => dims.map((d) => Math.floor(d / 2 ** l)) as Vec3;
  L.consider('the input', [b, ...dims, cfg.inChannels]);
  // encoder1: a residual block at full resolution (conv1, conv2 and the 1×1 projection: fs channels).
  L.consider('encoder1 (full-resolution residual block)', [b, ...dims, fs]);
  // Swin stages: stage s works on dims/2^(s+1) tokens of fs·2^s channels.
  for (let s = 0; s < 4; s++) {
    const d = at(s + 1);
    const C = fs * 2 ** s;
    const w = cfg.window;
    const ws = d.map((x) => (x <= w ? x : w)) as Vec3;
    const padded = d.map((x, a) => Math.ceil(x / ws[a]) * ws[a]) as Vec3;
    const tokens = padded[0] * padded[1] * padded[2];
    const n = ws[0] * ws[1] * ws[2];
    const nW = tokens / n;
    const heads = cfg.heads[s];
    L.consider(`Swin stage ${s + 1} tokens`, [b, ...d, C]);
    L.consider(`Swin stage ${s + 1} qkv`, [b * tokens, 3 * C]);
    L.consider(`Swin stage ${s + 1} MLP hidden layer`, [b * d[0] * d[1] * d[2], 4 * C]);
    const shifted = cfg.depths[s] > 1 && d.some((x) => x > w);
    const chunk = attentionChunkWindows(nW, heads, n);
    // The cpu forward reads the mask's values only; its tensor is made for tf-op attention and gradients.
    const tfOps = pass === 'training' || backend !== 'cpu';
    if (shifted && tfOps) L.consider(`Swin stage ${s + 1} shifted-window mask`, [chunk, n * n]);
    if (tfOps) {
      L.consider(`Swin stage ${s + 1} attention scores (${chunk} of ${b * nW} windows × ${heads} heads at once)`, [chunk * heads, n, n]);
    }
  }
  // Decoders 5..1: at decoder k (k = 5..2) [up (fs·2^(k−2)), skip] at dims/2^(k−1); decoder1 at full resolution.
  for (let k = 5; k >= 1; k--) {
    const l = k - 1;
    const c = k === 1 ? fs : fs * 2 ** (k - 2);
    L.consider(`decoder${k} concatenation (upsampled + skip)`, [b, ...at(l), 2 * c]);
  }
  L.consider('the output (logits)', [b, ...dims, cfg.outChannels]);
  return L.result();
}

/** The largest single tensor one pass of `cfg` over a `patch` ([z, y, x]) creates. */
export function largestTensor(cfg: NetworkConfig, patch: readonly number[], opts: NeedOptions = {}): TensorNeed {
  const dims = checkPatch([...patch]);
  const b = opts.batch ?? 1;
  if (!Number.isInteger(b) || b < 1) throw new Error(`batch must be a positive integer, got ${b}`);
  const pass = opts.pass ?? 'forward';
  // Gradients in these networks have the shapes of the forward's tensors (and weight gradients
  // those of the weights); only SwinUNETR's attention creates more (its scores, recomputed).
  let need: TensorNeed;
  let weights: Iterable<[string, number[]]>;
  if (cfg.kind === 'unet3d') {
    need = unetNeed(cfg, dims, b);
    weights = unetParamShapes(cfg);
  } else if (cfg.kind === 'swinunetr') {
    need = swinNeed(cfg, dims, b, pass, opts.backend);
    weights = swinUnetrParamSpecs(cfg).map((p) => [p.key, p.shape] as [string, number[]]);
  } else {
    throw new Error(`unknown network kind ${JSON.stringify((cfg as { kind?: unknown }).kind)}`);
  }
  if (opts.weights === false) return need;
  const L = largest();
  L.consider(need.what, need.shape);
  for (const [key, shape] of weights) L.consider(`the weight ${key}`, shape);
  return L.result();
}

export interface BufferLimit {
  /** Bytes one buffer may hold and bind (min of maxStorageBufferBindingSize and maxBufferSize). */
  bytes: number;
  /** The device in words, e.g. "lavapipe (llvmpipe …)". */
  device: string;
}

interface WebGPULike {
  device?: { limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number } };
  adapterInfo?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

/** The active tfjs backend's per-buffer limit, or null when the backend is not webgpu. */
export function activeBufferLimit(): BufferLimit | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const be = tf.backend() as unknown as WebGPULike;
  const lim = be.device?.limits;
  const sizes = [lim?.maxStorageBufferBindingSize, lim?.maxBufferSize].filter((v): v is number => typeof v === 'number' && v > 0);
  // WebGPU's guaranteed minimum when a device reports nothing.
  const bytes = sizes.length ? Math.min(...sizes) : 128 * 2 ** 20;
  const info = be.adapterInfo ?? {};
  const words = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  const lavapipe = /llvmpipe|lavapipe/i.test(words) ? 'lavapipe' : '';
  const swiftshader = /swiftshader/i.test(words) ? 'SwiftShader' : '';
  return { bytes, device: [lavapipe || swiftshader, words].filter(Boolean).join(': ') || 'unnamed WebGPU device' };
}

export interface PlannedPass extends NeedOptions {
  /** What runs, e.g. "generator G" or "segmentor S". */
  label: string;
  config: NetworkConfig;
  patch: readonly number[];
}

const mb = (n: number) => `${Math.round(n / 1e6)} MB`;
const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;

/** Refused before running: a pass needs a buffer larger than the device allows. */
export class DeviceLimitError extends Error {
  constructor(
    message: string,
    readonly need: TensorNeed,
    readonly limit: BufferLimit,
  ) {
    super(message);
    this.name = 'DeviceLimitError';
  }
}

/**
 * Why the first of `passes` cannot run within `limit` (null when all fit, or when limit is null:
 * backends other than webgpu have no such per-buffer limit). `advice` ends the message.
 */
export function deviceLimitRefusal(passes: PlannedPass[], limit: BufferLimit | null, advice: string): DeviceLimitError | null {
  if (!limit) return null;
  for (const p of passes) {
    const need = largestTensor(p.config, p.patch, { ...p, backend: 'webgpu' });
    if (need.bytes <= limit.bytes) continue;
    const msg =
      `${p.label} (${p.config.kind}) at ${p.patch.join('×')}${(p.batch ?? 1) > 1 ? `, batch ${p.batch}` : ''}: its ${p.pass ?? 'forward'} needs a ` +
      `${mb(need.bytes)} tensor (${need.what}, [${need.shape.join(', ')}]); this WebGPU device allows ${mib(limit.bytes)} per buffer ` +
      `(${limit.device}) and would silently compute garbage — ${advice}`;
    return new DeviceLimitError(msg, need, limit);
  }
  return null;
}

/** Throws a DeviceLimitError when the active backend is webgpu and a pass would not fit. */
export function assertFitsDevice(passes: PlannedPass[], advice: string, limit: BufferLimit | null = activeBufferLimit()): void {
  const err = deviceLimitRefusal(passes, limit, advice);
  if (err) throw err;
}
