/**
 * Name and layout mapping between this project's U-Net weights and a PyTorch state dict of the
 * same architecture (tools/torch_unet.py): names `enc0.conv0.weight`, `enc0.norm0.weight|bias`,
 * `dec0.up.weight|bias`, `head.weight|bias`. Kernels: ours [kd,kh,kw,in,out] (conv) and
 * [kd,kh,kw,out,in] (transposed) ↔ PyTorch [out,in,kd,kh,kw] and [in,out,kd,kh,kw] — the same
 * axis permutation in both cases.
 */
import { permuteArray } from './safetensors.ts';

const TO_TORCH = [4, 3, 0, 1, 2];
const FROM_TORCH = [2, 3, 4, 1, 0];

export function toTorchName(name: string): string {
  return name.replace(/\.kernel$/, '.weight').replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}

export function fromTorchName(torchName: string, ours: Iterable<string>): string | undefined {
  for (const n of ours) if (toTorchName(n) === torchName) return n;
  return undefined;
}

export function toTorchTensor(name: string, data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  return name.endsWith('.kernel') ? permuteArray(data, shape, TO_TORCH) : { data, shape };
}

export function fromTorchTensor(name: string, data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  return name.endsWith('.kernel') ? permuteArray(data, shape, FROM_TORCH) : { data, shape };
}
