/**
 * The parameters of SwinUNETR by MONAI 1.3.0 state_dict key, in state_dict order, with both
 * layouts, so loading a PyTorch state dict is a layout conversion only.
 *
 * Our layouts are tfjs's: conv kernels [kd,kh,kw,in,out], transposed-conv kernels
 * [kd,kh,kw,out,in], linear weights [in,out] (x·W with no transpose at run time). PyTorch's are
 * [out,in,kd,kh,kw], [in,out,kd,kh,kw] and [out,in]; both kernel kinds take the same axis
 * permutation. Relative-position bias tables ([(2w−1)³, heads]) and 1-D tensors are unchanged.
 */
import type { SwinUNETRConfig } from './config.ts';

export type ParamKind = 'conv' | 'convTranspose' | 'linear' | 'table' | 'vector';

export interface ParamSpec {
  key: string;
  kind: ParamKind;
  /** PyTorch shape, as in the state dict. */
  torchShape: number[];
  /** Our (tfjs) shape. */
  shape: number[];
}

/** A state_dict entry: a parameter, or the integer buffer `relative_position_index` we compute. */
export type StateDictEntrySpec = ParamSpec | { key: string; kind: 'relativePositionIndex'; torchShape: number[] };

/** PyTorch → tfjs axis order for both conv kinds: [o,i,d,h,w] → [d,h,w,i,o] and [i,o,…] → […,o,i]. */
export const KERNEL_FROM_TORCH = [2, 3, 4, 1, 0];
export const KERNEL_TO_TORCH = [4, 3, 0, 1, 2];

function spec(key: string, kind: ParamKind, torchShape: number[]): ParamSpec {
  let shape = torchShape;
  if (kind === 'conv' || kind === 'convTranspose') shape = KERNEL_FROM_TORCH.map((a) => torchShape[a]);
  else if (kind === 'linear') shape = [torchShape[1], torchShape[0]];
  return { key, kind, torchShape, shape };
}

/** Every state_dict entry in MONAI's order (parameters and relative_position_index buffers). */
export function swinUnetrStateDict(cfg: SwinUNETRConfig): StateDictEntrySpec[] {
  const out: StateDictEntrySpec[] = [];
  const fs = cfg.featureSize;
  const w = cfg.window;
  const tableRows = (2 * w - 1) ** 3;
  const vec = (key: string, n: number) => out.push(spec(key, 'vector', [n]));
  const linear = (key: string, cin: number, cout: number, bias: boolean) => {
    out.push(spec(`${key}.weight`, 'linear', [cout, cin]));
    if (bias) vec(`${key}.bias`, cout);
  };
  const conv = (key: string, cin: number, cout: number, k: number) => out.push(spec(key, 'conv', [cout, cin, k, k, k]));
  // UnetResBlock: convs without bias, InstanceNorm3d(affine=False) has no parameters; a 1×1×1
  // conv3 projects the residual only when the channel count changes.
  const resBlock = (key: string, cin: number, cout: number) => {
    conv(`${key}.conv1.conv.weight`, cin, cout, 3);
    conv(`${key}.conv2.conv.weight`, cout, cout, 3);
    if (cin !== cout) conv(`${key}.conv3.conv.weight`, cin, cout, 1);
  };

  conv('swinViT.patch_embed.proj.weight', cfg.inChannels, fs, 2);
  vec('swinViT.patch_embed.proj.bias', fs);
  for (let s = 0; s < 4; s++) {
    const dim = fs * 2 ** s;
    const layer = `swinViT.layers${s + 1}.0`;
    for (let b = 0; b < cfg.depths[s]; b++) {
      const blk = `${layer}.blocks.${b}`;
      vec(`${blk}.norm1.weight`, dim);
      vec(`${blk}.norm1.bias`, dim);
      out.push(spec(`${blk}.attn.relative_position_bias_table`, 'table', [tableRows, cfg.heads[s]]));
      out.push({ key: `${blk}.attn.relative_position_index`, kind: 'relativePositionIndex', torchShape: [w ** 3, w ** 3] });
      linear(`${blk}.attn.qkv`, dim, 3 * dim, true);
      linear(`${blk}.attn.proj`, dim, dim, true);
      vec(`${blk}.norm2.weight`, dim);
      vec(`${blk}.norm2.bias`, dim);
      linear(`${blk}.mlp.linear1`, dim, 4 * dim, true);
      linear(`${blk}.mlp.linear2`, 4 * dim, dim, true);
    }
    linear(`${layer}.downsample.reduction`, 8 * dim, 2 * dim, false);
    vec(`${layer}.downsample.norm.weight`, 8 * dim);
    vec(`${layer}.downsample.norm.bias`, 8 * dim);
  }
  if (cfg.useV2) {
    for (let s = 0; s < 4; s++) resBlock(`swinViT.layers${s + 1}c.0.layer`, fs * 2 ** s, fs * 2 ** s);
  }
  resBlock('encoder1.layer', cfg.inChannels, fs);
  resBlock('encoder2.layer', fs, fs);
  resBlock('encoder3.layer', 2 * fs, 2 * fs);
  resBlock('encoder4.layer', 4 * fs, 4 * fs);
  resBlock('encoder10.layer', 16 * fs, 16 * fs);
  const ups: [string, number, number][] = [
    ['decoder5', 16 * fs, 8 * fs],
    ['decoder4', 8 * fs, 4 * fs],
    ['decoder3', 4 * fs, 2 * fs],
    ['decoder2', 2 * fs, fs],
    ['decoder1', fs, fs],
  ];
  for (const [name, cin, cout] of ups) {
    out.push(spec(`${name}.transp_conv.conv.weight`, 'convTranspose', [cin, cout, 2, 2, 2]));
    resBlock(`${name}.conv_block`, 2 * cout, cout);
  }
  conv('out.conv.conv.weight', fs, cfg.outChannels, 1);
  vec('out.conv.conv.bias', cfg.outChannels);
  return out;
}

/** The trainable parameters in state_dict order (the computed buffers left out). */
export function swinUnetrParamSpecs(cfg: SwinUNETRConfig): ParamSpec[] {
  return swinUnetrStateDict(cfg).filter((e): e is ParamSpec => e.kind !== 'relativePositionIndex');
}

/** Our (tfjs-layout) shape of every parameter, by MONAI state_dict key, in state_dict order. */
export function swinUnetrParamShapes(cfg: SwinUNETRConfig): Map<string, number[]> {
  return new Map(swinUnetrParamSpecs(cfg).map((p) => [p.key, p.shape]));
}

export function countSwinUnetrParams(cfg: SwinUNETRConfig): number {
  let n = 0;
  for (const s of swinUnetrParamShapes(cfg).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
