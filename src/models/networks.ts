/**
 * The three FreeTumor networks, all U-Nets that differ in their heads:
 * generator G (one channel per organ), classifier C (background / real / synthetic tumour per
 * voxel) and segmentor S (universal 7 classes or specialist 3).
 */
import * as tf from '@tensorflow/tfjs';
import type { LabelScheme, ModelRole, UNetConfig } from './config.ts';
import { GENERATOR_ORGANS, NUM_CLASSES } from './config.ts';
import { createUNet, type UNet3D } from './unet.ts';

export interface Network extends UNet3D {
  readonly role: ModelRole;
  /** Segmentors only. */
  readonly labelScheme?: LabelScheme;
}

function withRole(net: UNet3D, role: ModelRole, labelScheme?: LabelScheme): Network {
  return Object.assign(net, { role, labelScheme });
}

function expectOut(cfg: UNetConfig, n: number, what: string): void {
  if (cfg.outChannels !== n) throw new Error(`${what} needs outChannels = ${n}, config has ${cfg.outChannels}`);
}

export function createGenerator(cfg: UNetConfig, weights?: Map<string, tf.Tensor>): Network {
  expectOut(cfg, GENERATOR_ORGANS, 'generator G (one channel per organ)');
  return withRole(createUNet(cfg, weights), 'generator');
}

export function createClassifier(cfg: UNetConfig, weights?: Map<string, tf.Tensor>): Network {
  expectOut(cfg, 3, 'classifier C (background / real / synthetic)');
  return withRole(createUNet(cfg, weights), 'classifier');
}

export function createSegmentor(cfg: UNetConfig, scheme: LabelScheme, weights?: Map<string, tf.Tensor>): Network {
  expectOut(cfg, NUM_CLASSES[scheme], `${scheme} segmentor S`);
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
