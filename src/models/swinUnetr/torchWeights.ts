/**
 * MONAI SwinUNETR state dict ↔ our weights: same keys, layouts permuted (params.ts). The
 * `relative_position_index` buffers are computed, never loaded: when a state dict carries them
 * they must equal ours (a checkpoint of another window geometry is refused), and export writes
 * them so PyTorch's strict load_state_dict accepts the result.
 */
import * as tf from '@tensorflow/tfjs';
import { permuteArray } from '../safetensors.ts';
import { type SwinUNETRConfig, swinUnetrConfig } from './config.ts';
import { KERNEL_FROM_TORCH, KERNEL_TO_TORCH, type ParamSpec, swinUnetrStateDict } from './params.ts';
import { relativePositionIndex } from './windows.ts';

/** One state_dict entry as a PyTorch reader gives it (shape in PyTorch order, C-contiguous data). */
export interface TorchEntry {
  key: string;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

function toFloat32(e: TorchEntry): Float32Array {
  if (e.data instanceof Float32Array) return e.data;
  if (e.data instanceof Float64Array) return Float32Array.from(e.data);
  throw new Error(`state dict entry "${e.key}" is ${e.data.constructor.name}, expected floating point`);
}

const transpose2d = (data: Float32Array, shape: number[]) => permuteArray(data, shape, [1, 0]);

/** PyTorch layout → ours for one parameter. */
export function fromTorchLayout(p: ParamSpec, data: Float32Array): Float32Array {
  if (p.kind === 'conv' || p.kind === 'convTranspose') return permuteArray(data, p.torchShape, KERNEL_FROM_TORCH).data;
  if (p.kind === 'linear') return transpose2d(data, p.torchShape).data;
  return data;
}

/** Ours → PyTorch layout for one parameter. */
export function toTorchLayout(p: ParamSpec, data: Float32Array): Float32Array {
  if (p.kind === 'conv' || p.kind === 'convTranspose') return permuteArray(data, p.shape, KERNEL_TO_TORCH).data;
  if (p.kind === 'linear') return transpose2d(data, p.shape).data;
  return data;
}

/**
 * The config a state dict was saved from: feature size, in/out channels from the first and last
 * convs, depths from the block counts, heads from the bias tables, v2 from layers1c, window from
 * the table rows ((2w − 1)³). imgSize and seed take the defaults (a state dict does not hold them).
 */
export function inferSwinUnetrConfig(entries: { key: string; shape: number[] }[]): SwinUNETRConfig {
  const byKey = new Map(entries.map((e) => [e.key, e.shape]));
  const need = (k: string) => {
    const s = byKey.get(k);
    if (!s) throw new Error(`not a MONAI SwinUNETR state dict: no "${k}"`);
    return s;
  };
  const pe = need('swinViT.patch_embed.proj.weight');
  const out = need('out.conv.conv.weight');
  const depths = [0, 0, 0, 0] as SwinUNETRConfig['depths'];
  const heads = [0, 0, 0, 0] as SwinUNETRConfig['heads'];
  let rows = 0;
  for (const [k, s] of byKey) {
    const m = /^swinViT\.layers([1-4])\.0\.blocks\.(\d+)\.attn\.relative_position_bias_table$/.exec(k);
    if (!m) continue;
    const st = Number(m[1]) - 1;
    depths[st] = Math.max(depths[st], Number(m[2]) + 1);
    heads[st] = s[1];
    rows = s[0];
  }
  const window = (Math.round(Math.cbrt(rows)) + 1) / 2;
  if (!Number.isInteger(window) || (2 * window - 1) ** 3 !== rows) {
    throw new Error(`relative_position_bias_table has ${rows} rows, not (2w−1)³ for an integer window w`);
  }
  return swinUnetrConfig({
    featureSize: pe[0],
    inChannels: pe[1],
    outChannels: out[0],
    depths,
    heads,
    window,
    useV2: byKey.has('swinViT.layers1c.0.layer.conv1.conv.weight'),
  });
}

/**
 * Our weights (MONAI keys, tfjs layouts) from a PyTorch state dict. Every key must be one this
 * config has and every parameter must be present, with its PyTorch shape; `relative_position_index`
 * buffers may be present or absent, and are checked against ours when present. `cfg` defaults to
 * the config inferred from the entries. Returns new tensors the caller owns.
 */
export function swinUnetrWeightsFromTorch(entries: TorchEntry[], cfg: SwinUNETRConfig = inferSwinUnetrConfig(entries)): Map<string, tf.Tensor> {
  const specs = swinUnetrStateDict(cfg);
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const given = new Map<string, TorchEntry>();
  for (const e of entries) {
    if (!byKey.has(e.key)) throw new Error(`state dict key "${e.key}" is not a parameter or buffer of this SwinUNETR config`);
    if (given.has(e.key)) throw new Error(`state dict key "${e.key}" appears twice`);
    given.set(e.key, e);
  }
  let index: Int32Array | undefined;
  const out = new Map<string, tf.Tensor>();
  try {
    for (const s of specs) {
      const e = given.get(s.key);
      if (e && !tf.util.arraysEqual(e.shape, s.torchShape)) {
        throw new Error(`state dict entry "${s.key}" has shape [${e.shape}], this config needs [${s.torchShape}] (PyTorch layout)`);
      }
      if (s.kind === 'relativePositionIndex') {
        if (!e) continue;
        index ??= relativePositionIndex(cfg.window);
        for (let i = 0; i < index.length; i++) {
          if (Number(e.data[i]) !== index[i]) {
            throw new Error(`state dict "${s.key}"[${i}] = ${e.data[i]} differs from MONAI's relative position index ${index[i]}`);
          }
        }
        continue;
      }
      if (!e) throw new Error(`state dict lacks parameter "${s.key}"`);
      out.set(s.key, tf.tensor(fromTorchLayout(s, toFloat32(e)), s.shape, 'float32'));
    }
  } catch (err) {
    tf.dispose([...out.values()]);
    throw err;
  }
  return out;
}

/**
 * A PyTorch state dict (MONAI order and layouts) from our parameters, with the int64
 * relative_position_index buffers, so `load_state_dict(strict=True)` accepts it.
 */
export async function swinUnetrWeightsToTorch(params: Map<string, tf.Tensor>, cfg: SwinUNETRConfig): Promise<TorchEntry[]> {
  const specs = swinUnetrStateDict(cfg);
  const known = new Set(specs.map((s) => s.key));
  for (const k of params.keys()) if (!known.has(k)) throw new Error(`parameter "${k}" is not part of this SwinUNETR config`);
  let index: BigInt64Array | undefined;
  const out: TorchEntry[] = [];
  for (const s of specs) {
    if (s.kind === 'relativePositionIndex') {
      index ??= BigInt64Array.from(relativePositionIndex(cfg.window), (v) => BigInt(v));
      out.push({ key: s.key, shape: s.torchShape, data: index });
      continue;
    }
    const t = params.get(s.key);
    if (!t) throw new Error(`parameters lack "${s.key}"`);
    if (!tf.util.arraysEqual(t.shape, s.shape)) throw new Error(`parameter "${s.key}" has shape [${t.shape}], expected [${s.shape}]`);
    out.push({ key: s.key, shape: s.torchShape, data: toTorchLayout(s, (await t.data()) as Float32Array) });
  }
  return out;
}
