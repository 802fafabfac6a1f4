/**
 * The three FreeTumor networks: generator G (one channel per organ) and classifier C (background /
 * real / synthetic tumour per voxel) are U-Nets; the segmentor S (universal 7 classes or
 * specialist 3) is a U-Net or, as in the paper, a SwinUNETR. Training steps, checkpoints and
 * inference see them all through `Network`.
 */
import * as tf from '@tensorflow/tfjs';
import type { LabelScheme, ModelRole, NetworkConfig, UNetConfig } from './config.ts';
import { GENERATOR_ORGANS, NUM_CLASSES } from './config.ts';
import { createSwinUNETR } from './swinUnetr/model.ts';
import { countSwinUnetrParams } from './swinUnetr/params.ts';
import { countParams, createUNet, type UNetTap } from './unet.ts';

export interface Network<C extends NetworkConfig = NetworkConfig> {
  readonly config: C;
  /** Named weights in a stable order (what checkpoints store). */
  readonly params: Map<string, tf.Variable>;
  /** Logits [B, z, y, x, outChannels]; `tap` (U-Net only) sees intermediate activations. */
  apply(x: tf.Tensor5D, tap?: UNetTap): tf.Tensor5D;
  variables(): tf.Variable[];
  dispose(): void;
  readonly role: ModelRole;
  /** Segmentors only. */
  readonly labelScheme?: LabelScheme;
}

function withRole<N extends { config: NetworkConfig }>(net: N, role: ModelRole, labelScheme?: LabelScheme): N & { role: ModelRole; labelScheme?: LabelScheme } {
  return Object.assign(net, { role, labelScheme });
}

/** Parameter count of either architecture, from its config (no tensors). */
export function countNetworkParams(cfg: NetworkConfig): number {
  return cfg.kind === 'swinunetr' ? countSwinUnetrParams(cfg) : countParams(cfg);
}

function expectOut(cfg: NetworkConfig, n: number, what: string): void {
  if (cfg.outChannels !== n) throw new Error(`${what} needs outChannels = ${n}, config has ${cfg.outChannels}`);
}

/** G and C are U-Nets only: a checkpoint or config naming another kind is refused by name. */
function expectUNet(cfg: NetworkConfig, what: string): asserts cfg is UNetConfig {
  if (cfg.kind !== 'unet3d') throw new Error(`${what} must be a U-Net (kind unet3d), the config is a ${String((cfg as { kind?: unknown }).kind)}`);
}

export function createGenerator(cfg: NetworkConfig, weights?: Map<string, tf.Tensor>): Network<UNetConfig> {
  expectUNet(cfg, 'generator G');
  expectOut(cfg, GENERATOR_ORGANS, 'generator G (one channel per organ)');
  return withRole(createUNet(cfg, weights), 'generator');
}

export function createClassifier(cfg: NetworkConfig, weights?: Map<string, tf.Tensor>): Network<UNetConfig> {
  expectUNet(cfg, 'classifier C');
  expectOut(cfg, 3, 'classifier C (background / real / synthetic)');
  return withRole(createUNet(cfg, weights), 'classifier');
}

/**
 * S must normalise per sample: with batch statistics its prediction for one tumour (and so P)
 * changes with the other samples of the batch, and sliding-window output with the grouping.
 */
export function createSegmentor(cfg: NetworkConfig, scheme: LabelScheme, weights?: Map<string, tf.Tensor>): Network {
  expectOut(cfg, NUM_CLASSES[scheme], `${scheme} segmentor S`);
  // SwinUNETR normalises per sample by construction (LayerNorm, InstanceNorm3d).
  if (cfg.kind === 'swinunetr') return withRole(createSwinUNETR(cfg, weights), 'segmentor', scheme);
  if (cfg.kind !== 'unet3d') throw new Error(`segmentor S: unknown architecture kind ${JSON.stringify((cfg as { kind?: unknown }).kind)} (unet3d or swinunetr)`);
  if (cfg.norm === 'batch') {
    throw new Error(
      "segmentor S with norm 'batch' refused: batch-statistics normalisation makes S's prediction (and P) depend on " +
        "the other samples in its batch; use norm 'instance' (retrain a checkpoint saved with norm 'batch')",
    );
  }
  return withRole(createUNet(cfg, weights), 'segmentor', scheme);
}

/**
 * wasm computes 3-D input gradients, strided filter gradients and MaxPool3D wrongly in tfjs 4.22
 * (measured; see ENVIRONMENT.md), so training there would silently learn garbage.
 */
export function assertTrainableBackend(backend: string = tf.getBackend()): void {
  if (backend === 'wasm') {
    throw new Error(
      'refusing to train on the tfjs wasm backend: its Conv3DBackpropInputV2, strided Conv3DBackpropFilterV2 ' +
        'and MaxPool3D(Grad) give wrong results in tfjs 4.22; use webgpu or cpu',
    );
  }
}
