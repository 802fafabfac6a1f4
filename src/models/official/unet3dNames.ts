/**
 * Name and layout mapping between the official FreeTumor generator / discriminator — the
 * Models-Genesis `UNet3D(input_channel, n_class)` of FreeTumor's models/Unet.py, saved as a
 * PyTorch state_dict — and this project's U-Net parameters (unet.ts) with the paper encoder.
 *
 *   down_tr{64,128,256,512}.ops.{i}.conv1.weight|bias   ↔ enc{0..3}.conv{i}.kernel|bias
 *   down_tr….ops.{i}.bn1.weight|bias                     ↔ enc{l}.norm{i}.gamma|beta
 *   up_tr{256,128,64}.up_conv.weight|bias                ↔ dec{2,1,0}.up.kernel|bias
 *   up_tr….ops.{i}.conv1.* / .bn1.*                      ↔ dec{l}.conv{i}.* / dec{l}.norm{i}.*
 *   out_tr.final_conv.weight|bias                        ↔ head.kernel|bias
 *
 * Kernels: Conv3d [out,in,kd,kh,kw] ↔ ours [kd,kh,kw,in,out]; ConvTranspose3d [in,out,kd,kh,kw]
 * ↔ ours [kd,kh,kw,out,in] — the same axis permutation in both cases.
 *
 * `bn1.running_mean|running_var|num_batches_tracked` have no counterpart here: FreeTumor's
 * ContBatchNorm3d always calls F.batch_norm with training=True, so it normalises with the
 * batch's statistics in train and eval alike and never reads them (it updates the running
 * averages but its outputs do not depend on them). On import they are accepted (shape checked)
 * and ignored; on export they are written as PyTorch's initial values (mean 0, var 1, count 0),
 * which is what a fresh UNet3D holds and equally unread.
 */
import * as tf from '@tensorflow/tfjs';
import { PRESETS, unetConfig, type UNetConfig } from '../config.ts';
import { permuteArray } from '../safetensors.ts';
import { unetParamShapes, type UNet3D } from '../unet.ts';

/** What a state_dict entry of the official UNet3D is. */
export type OfficialKind = 'conv' | 'convTranspose' | 'param' | 'runningMean' | 'runningVar' | 'numBatchesTracked';

export interface OfficialKey {
  /** The PyTorch state_dict key, e.g. `down_tr64.ops.0.conv1.weight`. */
  key: string;
  /** PyTorch shape ([] for num_batches_tracked). */
  shape: number[];
  torchDtype: 'float32' | 'int64';
  kind: OfficialKind;
  /** Our parameter name; undefined for the running statistics this project does not keep. */
  ours?: string;
}

/** One entry as a reader hands it over (a TorchTensor or a SafeTensor both fit). */
export interface OfficialTensorLike {
  shape: number[];
  /** Parameters must be floating point (Float32Array or Float64Array). */
  data: ArrayLike<number> | BigInt64Array;
  dtype?: string;
}

/** Ours [kd,kh,kw,in,out] / [kd,kh,kw,out,in] → PyTorch [out,in,kd,kh,kw] / [in,out,kd,kh,kw], and back. */
const TO_TORCH = [4, 3, 0, 1, 2];
const FROM_TORCH = [2, 3, 4, 1, 0];

const PAPER_ENCODER = PRESETS.paper.generator.encoder;
const NORM_EPS = 1e-5;

/**
 * Our config of the official UNet3D(input_channel, n_class): the paper encoder, batch-statistics
 * norm with eps 1e-5 (ContBatchNorm3d), ReLU.
 */
export function officialUNetConfig(inChannels = 1, outChannels = 3, over: Partial<UNetConfig> = {}): UNetConfig {
  return unetConfig(inChannels, outChannels, PAPER_ENCODER, { norm: 'batch', normEps: NORM_EPS, activation: 'relu', ...over });
}

/** Refuses a config the official UNet3D cannot represent (its widths and layers are fixed). */
export function assertOfficialCompatible(cfg: UNetConfig, what = 'U-Net'): void {
  const problems: string[] = [];
  if (JSON.stringify(cfg.encoder) !== JSON.stringify(PAPER_ENCODER)) {
    problems.push(`encoder ${JSON.stringify(cfg.encoder)} is not the paper encoder ${JSON.stringify(PAPER_ENCODER)}`);
  }
  if (cfg.norm !== 'batch') problems.push(`norm is '${cfg.norm}', UNet3D uses batch statistics (ContBatchNorm3d)`);
  if (cfg.normEps !== NORM_EPS) problems.push(`normEps is ${cfg.normEps}, UNet3D uses ${NORM_EPS}`);
  if (cfg.activation !== 'relu') problems.push(`activation is '${cfg.activation}', UNet3D uses relu`);
  if (problems.length) throw new Error(`${what} cannot be mapped to the official UNet3D: ${problems.join('; ')}`);
}

const levelWidth = (l: number) => 64 * 2 ** l;

function officialStem(ours: string): { stem: string; leaf: 'conv' | 'norm' | 'up' | 'head' } {
  let m = /^enc(\d+)\.(conv|norm)(\d+)$/.exec(ours);
  if (m) return { stem: `down_tr${levelWidth(+m[1])}.ops.${m[3]}.${m[2] === 'conv' ? 'conv1' : 'bn1'}`, leaf: m[2] as 'conv' | 'norm' };
  m = /^dec(\d+)\.(conv|norm)(\d+)$/.exec(ours);
  if (m) return { stem: `up_tr${levelWidth(+m[1])}.ops.${m[3]}.${m[2] === 'conv' ? 'conv1' : 'bn1'}`, leaf: m[2] as 'conv' | 'norm' };
  m = /^dec(\d+)\.up$/.exec(ours);
  if (m) return { stem: `up_tr${levelWidth(+m[1])}.up_conv`, leaf: 'up' };
  if (ours === 'head') return { stem: 'out_tr.final_conv', leaf: 'head' };
  throw new Error(`no official UNet3D name for our layer "${ours}"`);
}

/**
 * Every state_dict entry of the official UNet3D(inChannels, outChannels), in PyTorch's
 * state_dict order (which is also our parameter order with the running statistics added).
 */
export function officialUNetKeys(inChannels = 1, outChannels = 3): OfficialKey[] {
  const out: OfficialKey[] = [];
  for (const [name, shape] of unetParamShapes(officialUNetConfig(inChannels, outChannels))) {
    const dot = name.lastIndexOf('.');
    const layer = name.slice(0, dot);
    const field = name.slice(dot + 1);
    const { stem, leaf } = officialStem(layer);
    if (field === 'kernel') {
      out.push({ key: `${stem}.weight`, shape: TO_TORCH.map((a) => shape[a]), torchDtype: 'float32', kind: leaf === 'up' ? 'convTranspose' : 'conv', ours: name });
    } else if (field === 'bias' || field === 'gamma') {
      out.push({ key: `${stem}.${field === 'gamma' ? 'weight' : 'bias'}`, shape: [...shape], torchDtype: 'float32', kind: 'param', ours: name });
    } else if (field === 'beta') {
      out.push({ key: `${stem}.bias`, shape: [...shape], torchDtype: 'float32', kind: 'param', ours: name });
      out.push({ key: `${stem}.running_mean`, shape: [...shape], torchDtype: 'float32', kind: 'runningMean' });
      out.push({ key: `${stem}.running_var`, shape: [...shape], torchDtype: 'float32', kind: 'runningVar' });
      out.push({ key: `${stem}.num_batches_tracked`, shape: [], torchDtype: 'int64', kind: 'numBatchesTracked' });
    } else {
      throw new Error(`unexpected U-Net parameter "${name}"`);
    }
  }
  return out;
}

/** Our parameter name of an official key, or undefined (running statistics, or not a UNet3D key). */
export function ourNameOf(officialKey: string, inChannels = 1, outChannels = 3): string | undefined {
  return officialUNetKeys(inChannels, outChannels).find((k) => k.key === officialKey)?.ours;
}

/** The official key of one of our parameter names. */
export function officialNameOf(ours: string): string {
  const k = officialUNetKeys().find((e) => e.ours === ours);
  if (!k) throw new Error(`"${ours}" is not a parameter of the paper-encoder U-Net`);
  return k.key;
}

/** Entries of one sub-network of a TGAN state_dict (`netG.`, `netD.`), the prefix removed. */
export function officialSubnet<T>(entries: Iterable<[string, T]>, prefix: string): [string, T][] {
  const out: [string, T][] = [];
  for (const [k, v] of entries) if (k.startsWith(prefix)) out.push([k.slice(prefix.length), v]);
  return out;
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
const shapeText = (s: number[]) => `[${s.join(', ')}]`;

/**
 * Checks names and shapes of a UNet3D state_dict (no data needed) and returns the official key
 * table for it; the input and class counts are read from the first and last convolutions. Every
 * missing, unknown, repeated or mis-shaped key is refused, by name, prefixed with `fileName`.
 */
export function matchOfficialKeys(entries: Iterable<[string, { shape: number[] }]>, fileName: string): OfficialKey[] {
  const given = new Map<string, number[]>();
  for (const [k, v] of entries) {
    if (given.has(k)) throw new Error(`${fileName}: key "${k}" appears twice`);
    given.set(k, v.shape);
  }
  const first = given.get('down_tr64.ops.0.conv1.weight');
  const last = given.get('out_tr.final_conv.weight');
  if (!first || first.length !== 5 || !last || last.length !== 5) {
    throw new Error(
      `${fileName}: not an official UNet3D state_dict: ` +
        (!first ? 'no "down_tr64.ops.0.conv1.weight"' : !last ? 'no "out_tr.final_conv.weight"' : 'its first or last convolution is not 5-D') +
        ` (keys start ${[...given.keys()].slice(0, 3).map((k) => `"${k}"`).join(', ') || '(none)'})`,
    );
  }
  const table = officialUNetKeys(first[1], last[0]);
  const problems: string[] = [];
  for (const e of table) {
    const s = given.get(e.key);
    if (!s) problems.push(`missing "${e.key}"`);
    // A 0-d count may also have been saved as [1] by other writers; it is ignored either way.
    else if (!sameShape(s, e.shape) && !(e.kind === 'numBatchesTracked' && sameShape(s, [1]))) {
      problems.push(`"${e.key}" has shape ${shapeText(s)}, UNet3D(${first[1]}, ${last[0]}) needs ${shapeText(e.shape)}`);
    }
  }
  const known = new Set(table.map((e) => e.key));
  for (const k of given.keys()) if (!known.has(k)) problems.push(`unexpected key "${k}" (not part of UNet3D)`);
  if (problems.length) {
    const shown = problems.slice(0, 8).join('; ');
    throw new Error(`${fileName}: does not match the official UNet3D: ${shown}${problems.length > 8 ? `; and ${problems.length - 8} more` : ''}`);
  }
  return table;
}

/** The input and class counts of an official UNet3D state_dict, as our config. */
export function officialConfigOf(entries: Iterable<[string, { shape: number[] }]>, fileName: string): UNetConfig {
  const table = matchOfficialKeys(entries, fileName);
  const first = table[0].shape;
  const last = table[table.length - 2].shape;
  return officialUNetConfig(first[1], last[0]);
}

function floatData(key: string, t: OfficialTensorLike, fileName: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  const dtype = t.dtype ?? t.data.constructor.name;
  throw new Error(`${fileName}: "${key}" is ${dtype}; UNet3D parameters must be float32 or float64`);
}

/**
 * The official UNet3D weights as our named tensors, ready for createUNet(officialConfigOf(…)) /
 * createGenerator / createClassifier. `entries` is the state_dict (a Map or [key, tensor] pairs,
 * without a `netG.` / `netD.` prefix: see officialSubnet). The caller owns the returned tensors.
 */
export function unetWeightsFromOfficial(
  entries: Map<string, OfficialTensorLike> | Iterable<[string, OfficialTensorLike]>,
  fileName: string,
): Map<string, tf.Tensor> {
  const list = [...entries];
  const table = matchOfficialKeys(list, fileName);
  const byKey = new Map(list);
  const out = new Map<string, tf.Tensor>();
  try {
    for (const e of table) {
      if (!e.ours) continue;
      const t = byKey.get(e.key)!;
      const data = floatData(e.key, t, fileName);
      if (data.length !== e.shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`${fileName}: "${e.key}" holds ${data.length} values for shape ${shapeText(e.shape)}`);
      }
      const ours = e.kind === 'conv' || e.kind === 'convTranspose' ? permuteArray(data, e.shape, FROM_TORCH) : { data, shape: e.shape };
      out.set(e.ours, tf.tensor(ours.data, ours.shape, 'float32'));
    }
  } catch (err) {
    tf.dispose([...out.values()]);
    throw err;
  }
  return out;
}

export interface OfficialTensor {
  shape: number[];
  data: Float32Array | BigInt64Array;
  torchDtype: 'float32' | 'int64';
}

/**
 * A network's weights as an official UNet3D state_dict, in PyTorch's key order (writeSafetensors
 * takes the map as it is). Running statistics are written as a fresh model's (see the header).
 */
export async function unetWeightsToOfficial(net: Pick<UNet3D, 'config' | 'params'>): Promise<Map<string, OfficialTensor>> {
  assertOfficialCompatible(net.config);
  const out = new Map<string, OfficialTensor>();
  for (const e of officialUNetKeys(net.config.inChannels, net.config.outChannels)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.kind === 'runningMean') out.set(e.key, { shape: e.shape, data: new Float32Array(n), torchDtype: 'float32' });
    else if (e.kind === 'runningVar') out.set(e.key, { shape: e.shape, data: new Float32Array(n).fill(1), torchDtype: 'float32' });
    else if (e.kind === 'numBatchesTracked') out.set(e.key, { shape: [], data: new BigInt64Array(1), torchDtype: 'int64' });
    else {
      const v = net.params.get(e.ours!);
      if (!v) throw new Error(`network lacks parameter "${e.ours}" (official "${e.key}")`);
      const data = (await v.data()) as Float32Array;
      const t = e.kind === 'param' ? { data: Float32Array.from(data), shape: e.shape } : permuteArray(data, v.shape, TO_TORCH);
      if (!sameShape(t.shape, e.shape)) throw new Error(`parameter "${e.ours}" has shape ${shapeText(v.shape)}, not UNet3D's ${shapeText(e.shape)}`);
      out.set(e.key, { shape: t.shape, data: t.data, torchDtype: 'float32' });
    }
  }
  return out;
}
