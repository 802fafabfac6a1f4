/**
 * SwinUNETR (MONAI 1.3.0, as FreeTumor builds it: use_v2, normalize, "merging" downsample, drop
 * rates 0) as plain functions over named tf.Variables, like our U-Net: the names are MONAI's
 * state_dict keys and the layouts tfjs's (params.ts), so custom loops can take tf.variableGrads.
 *
 * Layout is channels-last [B, z, y, x, C] where PyTorch has [B, C, D, H, W] with z, y, x = D, H, W;
 * window partition, patch-merging parity order and relative positions follow that correspondence.
 *
 * Constants fixed by MONAI 1.3.0: patch 2 (conv, bias), window 7 and shift 3 (an axis no longer
 * than 7 gets a window of its size and no shift), padding to window multiples *after* norm1
 * (zeros take part in unshifted attention, as in MONAI), mask −100, q scaled by head_dim^−½ after
 * its bias, LayerNorm eps 1e-5, exact erf GELU, InstanceNorm3d without affine eps 1e-5, LeakyReLU
 * 0.01, and F.layer_norm over C (no affine) on every hidden state.
 *
 * tfjs traps avoided: per-channel parameters meet activations only on 2-D token views
 * ([T, C] ⊕ [1, C], never the webgpu-broken 5-D ⊕ 1-D); spatial splits, pads and concats run at
 * rank 3 (windows.ts); transposes stay at rank ≤ 6; the 2×2×2 transposed conv is unet.ts's
 * upsample2x (trainable on every backend); window attention runs in chunks of windows
 * (attentionChunks.ts) so no tensor outgrows a WebGPU buffer.
 */
import * as tf from '@tensorflow/tfjs';
import { upsample2x } from '../unet.ts';
import { type SwinUNETRConfig, validateSwinUnetrConfig } from './config.ts';
import { type ParamSpec, swinUnetrParamSpecs } from './params.ts';
import { type ChunkedGeometry, chunkedWindowAttention } from './attentionChunks.ts';
import {
  attentionMask,
  cropStart3,
  padEnd3,
  relativePositionIndex,
  roll3,
  truncatedIndex,
  type Vec3,
  windowAndShift,
  windowPartition,
  windowReverse,
} from './windows.ts';

/** Intermediate results by the names the official fixtures use (act-swinunetr-*-<name>.f32). */
export const ACTIVATION_NAMES = [
  'patch_embed',
  'hidden0',
  'hidden1',
  'hidden2',
  'hidden3',
  'hidden4',
  'encoder1',
  'encoder10',
  'decoder1',
  'logits',
] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export interface SwinUNETR {
  readonly config: SwinUNETRConfig;
  /** Named weights (MONAI state_dict keys, our layouts), in state_dict order. */
  readonly params: Map<string, tf.Variable>;
  /** Logits [B, z, y, x, outChannels] for [B, z, y, x, inChannels], sizes multiples of 32. */
  apply(x: tf.Tensor5D): tf.Tensor5D;
  /** Every named intermediate (channels-last) plus the logits, for parity checks; caller disposes. */
  activations(x: tf.Tensor5D): Record<ActivationName, tf.Tensor5D>;
  variables(): tf.Variable[];
  dispose(): void;
}

const LN_EPS = 1e-5;
const IN_EPS = 1e-5;
const LEAKY_SLOPE = 0.01;
/** MONAI's v0.9 PatchMerging sub-grid order (d,h,w parities 000,100,010,001,101,010,001,111), as p = 4d+2h+w. */
export const MERGING_ORDER = [0, 4, 2, 1, 5, 2, 1, 7];

function initialValue(p: ParamSpec, seed: number): tf.Tensor {
  if (p.kind === 'vector') return p.key.endsWith('norm1.weight') || p.key.endsWith('norm2.weight') || p.key.endsWith('norm.weight') ? tf.ones(p.shape) : tf.zeros(p.shape);
  if (p.kind === 'table') return tf.truncatedNormal(p.shape, 0, 0.02, 'float32', seed);
  // PyTorch's default U(±1/√fan_in); its fan_in is torchShape[1]·k³ for every kind (so out·k³ for
  // a transposed conv), and in for a linear.
  const fanIn = p.torchShape.slice(1).reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(p.shape, -bound, bound, 'float32', seed);
}

function loadParams(cfg: SwinUNETRConfig, specs: ParamSpec[], weights?: Map<string, tf.Tensor>): Map<string, tf.Variable> {
  if (weights) {
    const known = new Set(specs.map((p) => p.key));
    const extra = [...weights.keys()].filter((k) => !known.has(k));
    if (extra.length) throw new Error(`weights hold ${extra.length} key(s) this SwinUNETR has no parameter for: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  }
  const params = new Map<string, tf.Variable>();
  try {
    specs.forEach((p, i) => {
      let v: tf.Variable;
      if (weights) {
        const w = weights.get(p.key);
        if (!w) throw new Error(`weights lack parameter "${p.key}" required by this SwinUNETR config`);
        if (!tf.util.arraysEqual(w.shape, p.shape)) {
          throw new Error(`parameter "${p.key}" has shape [${w.shape}] but the config needs [${p.shape}] (tfjs layout)`);
        }
        v = tf.tidy(() => tf.variable(tf.cast(w, 'float32'), true));
      } else {
        v = tf.tidy(() => tf.variable(initialValue(p, cfg.seed * 100003 + i), true));
      }
      params.set(p.key, v);
    });
  } catch (e) {
    for (const v of params.values()) v.dispose();
    throw e;
  }
  return params;
}

/**
 * Build a SwinUNETR. With `weights` (MONAI keys, tfjs layouts: swinUnetrWeightsFromTorch), every
 * parameter must be present with its shape and nothing else; the tensors are copied.
 */
export function createSwinUNETR(cfg: SwinUNETRConfig, weights?: Map<string, tf.Tensor>): SwinUNETR {
  validateSwinUnetrConfig(cfg);
  const specs = swinUnetrParamSpecs(cfg);
  const params = loadParams(cfg, specs, weights);
  const get = (n: string): tf.Variable => {
    const v = params.get(n);
    if (!v) throw new Error(`SwinUNETR has no parameter ${n}`);
    return v;
  };

  // Constants computed once per geometry and kept until dispose().
  const constants = new Map<string, tf.Tensor>();
  const constant = (key: string, make: () => tf.Tensor): tf.Tensor => {
    let t = constants.get(key);
    if (!t) {
      t = tf.keep(make());
      constants.set(key, t);
    }
    return t;
  };
  let fullIndex: Int32Array | undefined;
  const biasIndex = (n: number): tf.Tensor1D =>
    constant(`index:${n}`, () => {
      fullIndex ??= relativePositionIndex(cfg.window);
      return tf.tensor1d(truncatedIndex(fullIndex, cfg.window, n), 'int32');
    }) as tf.Tensor1D;
  /** Shifted-window masks by geometry: the values, and tensors of window ranges made on demand. */
  const masks = new Map<string, Float32Array>();
  const mask = (padded: Vec3, ws: Vec3, ss: Vec3): Pick<ChunkedGeometry, 'maskValues' | 'maskTensor'> => {
    const key = `${padded}|${ws}|${ss}`;
    let values = masks.get(key);
    if (!values) {
      values = attentionMask(padded, ws, ss);
      masks.set(key, values);
    }
    const v = values;
    const nn = (ws[0] * ws[1] * ws[2]) ** 2;
    return {
      maskValues: v,
      maskTensor: (w0, w1) => constant(`mask:${key}:${w0}-${w1}`, () => tf.tensor2d(v.subarray(w0 * nn, w1 * nn), [w1 - w0, nn])) as tf.Tensor2D,
    };
  };

  /** x [T, in] · W [in, out] (+ b): every linear layer runs on a 2-D token view. */
  const linear = (x: tf.Tensor2D, key: string, bias = true): tf.Tensor2D => {
    const y = tf.matMul(x, get(`${key}.weight`) as tf.Tensor2D) as tf.Tensor2D;
    return bias ? (tf.add(y, tf.reshape(get(`${key}.bias`), [1, -1])) as tf.Tensor2D) : y;
  };
  const layerNorm = (x: tf.Tensor2D, key?: string): tf.Tensor2D => {
    const { mean, variance } = tf.moments(x, -1, true);
    const xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS))) as tf.Tensor2D;
    if (!key) return xn;
    return tf.add(tf.mul(xn, tf.reshape(get(`${key}.weight`), [1, -1])), tf.reshape(get(`${key}.bias`), [1, -1]));
  };
  const tokens = (x: tf.Tensor5D): tf.Tensor2D => tf.reshape(x, [-1, x.shape[4]]);
  const gelu = (x: tf.Tensor2D): tf.Tensor2D => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));

  const attention = (win: tf.Tensor3D, key: string, heads: number, batch: number, m?: Pick<ChunkedGeometry, 'maskValues' | 'maskTensor'>): tf.Tensor3D => {
    const [bw, n, c] = win.shape;
    const hd = c / heads;
    const nW = bw / batch;
    const qkv = linear(tf.reshape(win, [bw * n, c]), `${key}.qkv`);
    const t = tf.reshape(tf.transpose(tf.reshape(qkv, [bw, n, 3, heads, hd]), [2, 0, 3, 1, 4]), [3, bw * heads, n, hd]);
    const [q0, k, v] = tf.split(t, 3, 0).map((u) => tf.reshape(u, [bw * heads, n, hd]) as tf.Tensor3D);
    const q = tf.mul(q0, hd ** -0.5) as tf.Tensor3D;
    const bias = tf.transpose(tf.gather(get(`${key}.relative_position_bias_table`), biasIndex(n)), [1, 0]) as tf.Tensor2D;
    const o3 = chunkedWindowAttention(q, k, v, bias, { ...m, heads, windows: nW });
    const o = tf.transpose(tf.reshape(o3, [bw, heads, n, hd]), [0, 2, 1, 3]);
    return tf.reshape(linear(tf.reshape(o, [bw * n, c]), `${key}.proj`), [bw, n, c]);
  };

  const swinBlock = (x: tf.Tensor5D, key: string, heads: number, shifted: boolean): tf.Tensor5D =>
    tf.tidy(() => {
      const [b, d, h, w, c] = x.shape;
      const dims: Vec3 = [d, h, w];
      const { ws, ss } = windowAndShift(dims, cfg.window, shifted ? Math.floor(cfg.window / 2) : 0);
      const padded = dims.map((s, a) => Math.ceil(s / ws[a]) * ws[a]) as Vec3;
      let y = tf.reshape(layerNorm(tokens(x), `${key}.norm1`), x.shape) as tf.Tensor5D;
      y = padEnd3(y, padded.map((p, a) => p - dims[a]) as Vec3);
      const doShift = ss.some((s) => s > 0);
      if (doShift) y = roll3(y, ss.map((s) => -s) as Vec3);
      const win = attention(windowPartition(y, ws), `${key}.attn`, heads, b, doShift ? mask(padded, ws, ss) : undefined);
      y = windowReverse(win, ws, [b, ...padded]);
      if (doShift) y = roll3(y, ss);
      y = cropStart3(y, dims);
      const x1 = tokens(tf.add(x, y));
      const mlp = linear(gelu(linear(layerNorm(x1, `${key}.norm2`), `${key}.mlp.linear1`)), `${key}.mlp.linear2`);
      return tf.reshape(tf.add(x1, mlp), [b, d, h, w, c]) as tf.Tensor5D;
    });

  const patchMerging = (x: tf.Tensor5D, key: string): tf.Tensor5D =>
    tf.tidy(() => {
      const [b, d, h, w, c] = x.shape;
      const t = (b * d * h * w) / 8;
      // [b·d/2, pd, h/2, ph, w/2, (pw, c)] → [b·d/2, h/2, w/2, pd, ph, (pw, c)]: the 8 sub-grids
      // of each 2×2×2 cell side by side, p = 4·pd + 2·ph + pw.
      const cells = tf.transpose(tf.reshape(x, [(b * d) / 2, 2, h / 2, 2, w / 2, 2 * c]), [0, 2, 4, 1, 3, 5]);
      // Split + concat rather than gather: on cpu both are fast kernels, while gather's gradient
      // (UnsortedSegmentSum) is tfjs's slow generic one; autodiff sums the repeated sub-grids.
      const grids = tf.split(tf.reshape(cells, [t, 8 * c]), 8, 1);
      const picked = tf.concat(MERGING_ORDER.map((p) => grids[p]), 1) as tf.Tensor2D;
      const y = linear(layerNorm(picked, `${key}.norm`), `${key}.reduction`, false);
      return tf.reshape(y, [b, d / 2, h / 2, w / 2, 2 * c]) as tf.Tensor5D;
    });

  const conv = (x: tf.Tensor5D, key: string, k: number): tf.Tensor5D => tf.conv3d(x, get(key) as tf.Tensor5D, 1, k === 1 ? 'valid' : 'same');
  const instanceNorm = (x: tf.Tensor5D): tf.Tensor5D => {
    const { mean, variance } = tf.moments(x, [1, 2, 3], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, IN_EPS)));
  };
  // On a 2-D view: the gradient of leakyRelu is a tf.where, which webgpu refuses at rank 5.
  const leaky = (x: tf.Tensor5D): tf.Tensor5D => tf.reshape(tf.leakyRelu(tokens(x), LEAKY_SLOPE), x.shape);
  /** MONAI UnetResBlock (stride 1, instance norm, LeakyReLU 0.01). */
  const resBlock = (x: tf.Tensor5D, key: string): tf.Tensor5D =>
    tf.tidy((): tf.Tensor5D => {
      let o = leaky(instanceNorm(conv(x, `${key}.conv1.conv.weight`, 3)));
      o = instanceNorm(conv(o, `${key}.conv2.conv.weight`, 3));
      const proj = `${key}.conv3.conv.weight`;
      const r = params.has(proj) ? instanceNorm(conv(x, proj, 1)) : x;
      return leaky(tf.add(o, r) as tf.Tensor5D);
    });
  /** MONAI UnetrUpBlock: 2×2×2 stride-2 transposed conv (no bias), concat [up, skip], UnetResBlock. */
  const upBlock = (x: tf.Tensor5D, skip: tf.Tensor5D, key: string): tf.Tensor5D =>
    tf.tidy(() => resBlock(tf.concat([upsample2x(x, get(`${key}.transp_conv.conv.weight`) as tf.Tensor5D), skip], 4), `${key}.conv_block`));
  /** proj_out(normalize=True): F.layer_norm over C without affine. */
  const normalizeHidden = (x: tf.Tensor5D): tf.Tensor5D => tf.tidy(() => tf.reshape(layerNorm(tokens(x)), x.shape));

  const checkInput = (x: tf.Tensor5D) => {
    if (x.rank !== 5) throw new Error(`SwinUNETR input must be 5-D [B,z,y,x,C], got rank ${x.rank}`);
    if (x.shape[4] !== cfg.inChannels) throw new Error(`SwinUNETR expects ${cfg.inChannels} input channel(s), got ${x.shape[4]}`);
    const bad = x.shape.slice(1, 4).filter((s) => s % 32 !== 0);
    if (bad.length) throw new Error(`SwinUNETR spatial size [${x.shape.slice(1, 4)}] must be divisible by 32 (2^5, as MONAI checks)`);
  };

  const forward = (x: tf.Tensor5D, keepAll: boolean): Partial<Record<ActivationName, tf.Tensor5D>> => {
    checkInput(x);
    const out: Partial<Record<ActivationName, tf.Tensor5D>> = {};
    const fs = cfg.featureSize;
    const pe = tf.tidy(() =>
      tf.reshape(
        tf.add(tokens(tf.conv3d(x, get('swinViT.patch_embed.proj.weight') as tf.Tensor5D, 2, 'valid')), tf.reshape(get('swinViT.patch_embed.proj.bias'), [1, -1])),
        [x.shape[0], x.shape[1] / 2, x.shape[2] / 2, x.shape[3] / 2, fs],
      ),
    ) as tf.Tensor5D;
    if (keepAll) out.patch_embed = pe;
    const hidden: tf.Tensor5D[] = [normalizeHidden(pe)];
    let h = pe;
    for (let s = 0; s < 4; s++) {
      if (cfg.useV2) h = resBlock(h, `swinViT.layers${s + 1}c.0.layer`);
      const layer = `swinViT.layers${s + 1}.0`;
      for (let blk = 0; blk < cfg.depths[s]; blk++) h = swinBlock(h, `${layer}.blocks.${blk}`, cfg.heads[s], blk % 2 === 1);
      h = patchMerging(h, `${layer}.downsample`);
      hidden.push(normalizeHidden(h));
    }
    hidden.forEach((t, i) => {
      if (keepAll) out[`hidden${i}` as ActivationName] = t;
    });
    const enc0 = resBlock(x, 'encoder1.layer');
    const enc1 = resBlock(hidden[0], 'encoder2.layer');
    const enc2 = resBlock(hidden[1], 'encoder3.layer');
    const enc3 = resBlock(hidden[2], 'encoder4.layer');
    const dec4 = resBlock(hidden[4], 'encoder10.layer');
    let dec = upBlock(dec4, hidden[3], 'decoder5');
    dec = upBlock(dec, enc3, 'decoder4');
    dec = upBlock(dec, enc2, 'decoder3');
    dec = upBlock(dec, enc1, 'decoder2');
    const dec0 = upBlock(dec, enc0, 'decoder1');
    out.logits = tf.tidy(() => {
      const y = tf.add(tokens(conv(dec0, 'out.conv.conv.weight', 1)), tf.reshape(get('out.conv.conv.bias'), [1, -1]));
      const [b, d, h, w] = dec0.shape;
      return tf.reshape(y, [b, d, h, w, cfg.outChannels]) as tf.Tensor5D;
    });
    if (keepAll) Object.assign(out, { encoder1: enc0, encoder10: dec4, decoder1: dec0 });
    return out;
  };

  return {
    config: cfg,
    params,
    apply: (x) => tf.tidy(() => forward(x, false).logits!),
    activations: (x) => tf.tidy(() => forward(x, true) as Record<ActivationName, tf.Tensor5D>),
    variables: () => [...params.values()],
    dispose: () => {
      for (const v of params.values()) v.dispose();
      params.clear();
      for (const t of constants.values()) t.dispose();
      constants.clear();
      masks.clear();
    },
  };
}
