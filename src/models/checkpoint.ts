/**
 * Checkpoints: one safetensors file that both the browser and Node (and Python's safetensors)
 * read. Tensors: `<net>.<param>` for weights, `optim.<net>.<param>.m|v` for Adam moments (`.vmax` too with AMSGrad).
 * `__metadata__.freetumor` holds the JSON manifest: per network its role and architecture config,
 * per optimiser its step and options, the training step, the RNG state and the model card.
 */
import * as tf from '@tensorflow/tfjs';
import type { Organ } from '../core/labels.ts';
import { describeArchitecture, type LabelScheme, type ModelRole, type NetworkConfig } from './config.ts';
import type { Network } from './networks.ts';
import { createClassifier, createGenerator, createSegmentor } from './networks.ts';
import { AdamW, type AdamWOptions } from './optimizer.ts';
import { readSafetensors, writeSafetensors, type SafeArray } from './safetensors.ts';

import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpointFormat.ts';

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION };

export interface ModelCard {
  /** Preset the networks were built from ('paper', 'tiny', or a custom name). */
  preset: string;
  labelScheme?: LabelScheme;
  /** A specialist segmentor's organ: its classes are background, this organ, this organ's tumour. */
  organ?: Organ;
  /** Free-form provenance: datasets, stage, commit, command line, dates. */
  provenance: Record<string, unknown>;
  description?: string;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  rngState?: unknown;
  /** `config.kind` tells the architecture (checkpoints from before SwinUNETR all say unet3d). */
  networks: Record<string, { role: ModelRole; labelScheme?: LabelScheme; config: NetworkConfig }>;
  optimizers: Record<string, { step: number; options: AdamWOptions }>;
  card: ModelCard;
  createdAt: string;
  tfjsVersion: string;
}

export interface CheckpointInput {
  networks: Record<string, Network>;
  optimizers?: Record<string, AdamW>;
  step: number;
  rngState?: unknown;
  card: ModelCard;
}

/** Serialise (asynchronously: webgpu reads back only asynchronously). */
export async function saveCheckpoint(c: CheckpointInput): Promise<Uint8Array> {
  const tensors = new Map<string, { shape: number[]; data: SafeArray }>();
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: c.step,
    rngState: c.rngState,
    networks: {},
    optimizers: {},
    card: c.card,
    createdAt: new Date().toISOString(),
    tfjsVersion: tf.version.tfjs,
  };
  for (const [net, n] of Object.entries(c.networks)) {
    if (net.includes('.') || net === 'optim') throw new Error(`network name "${net}" may not contain "." or be "optim"`);
    manifest.networks[net] = { role: n.role, labelScheme: n.labelScheme, config: n.config };
    for (const [p, v] of n.params) tensors.set(`${net}.${p}`, { shape: v.shape, data: (await v.data()) as Float32Array });
  }
  for (const [net, o] of Object.entries(c.optimizers ?? {})) {
    if (!c.networks[net]) throw new Error(`optimiser "${net}" has no network of that name in the checkpoint`);
    manifest.optimizers[net] = { step: o.step, options: o.options };
    for (const [p, m] of o.m) tensors.set(`optim.${net}.${p}.m`, { shape: m.shape, data: (await m.data()) as Float32Array });
    for (const [p, v] of o.v) tensors.set(`optim.${net}.${p}.v`, { shape: v.shape, data: (await v.data()) as Float32Array });
    for (const [p, v] of o.vmax) tensors.set(`optim.${net}.${p}.vmax`, { shape: v.shape, data: (await v.data()) as Float32Array });
  }
  return writeSafetensors(tensors, { freetumor: JSON.stringify(manifest) });
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** A checkpoint held as data (read, or imported: officialImport.ts) as the bytes saveCheckpoint writes. */
export function writeLoadedCheckpoint(ck: LoadedCheckpoint): Uint8Array {
  return writeSafetensors(ck.tensors, { freetumor: JSON.stringify(ck.manifest) });
}

export function readCheckpoint(bytes: Uint8Array): LoadedCheckpoint {
  const f = readSafetensors(bytes);
  const raw = f.metadata.freetumor;
  if (!raw) throw new Error('not a FreeTumor checkpoint: the safetensors metadata has no "freetumor" manifest');
  const manifest = JSON.parse(raw) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT) throw new Error(`unknown checkpoint format "${manifest.format}"`);
  if (manifest.version > CHECKPOINT_VERSION) throw new Error(`checkpoint version ${manifest.version} is newer than this reader (${CHECKPOINT_VERSION})`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of f.tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`tensor "${k}" is ${t.dtype}; checkpoints hold float32`);
    tensors.set(k, { shape: t.shape, data: t.data });
  }
  return { manifest, tensors };
}

/**
 * The fields that make an architecture, per kind. Left out: the init seed, and SwinUNETR's
 * imgSize (MONAI's training ROI: the forward pass takes any multiple of 32, so a model trained
 * at 96³ runs at 64³ with the same weights).
 */
export const ARCH_KEYS: { [K in NetworkConfig['kind']]: string[] } = {
  unet3d: ['kind', 'inChannels', 'outChannels', 'encoder', 'norm', 'normEps', 'activation', 'leakySlope'],
  swinunetr: ['kind', 'inChannels', 'outChannels', 'featureSize', 'depths', 'heads', 'window', 'useV2'],
};

/** Throws a readable error when two configs differ in architecture. */
export function assertSameArchitecture(stored: NetworkConfig, expected: NetworkConfig, what: string): void {
  const keys = ARCH_KEYS[stored.kind] ?? ['kind'];
  const field = (c: NetworkConfig, k: string) => JSON.stringify((c as unknown as Record<string, unknown>)[k]);
  const diff = stored.kind !== expected.kind ? ['kind'] : keys.filter((k) => field(stored, k) !== field(expected, k));
  if (diff.length) {
    throw new Error(
      `${what}: checkpoint architecture differs in ${diff.join(', ')} — checkpoint has ${describeArchitecture(stored)}, expected ${describeArchitecture(expected)}`,
    );
  }
}

/**
 * Rebuild network `name`. With `expected`, the stored architecture must match it (else a clear
 * error); with `role`, the stored role must match.
 */
export function restoreNetwork(ck: LoadedCheckpoint, name: string, expect: { config?: NetworkConfig; role?: ModelRole } = {}): Network {
  const entry = ck.manifest.networks[name];
  if (!entry) throw new Error(`checkpoint has no network "${name}" (it has: ${Object.keys(ck.manifest.networks).join(', ') || 'none'})`);
  if (expect.role && entry.role !== expect.role) throw new Error(`checkpoint network "${name}" is a ${entry.role}, expected a ${expect.role}`);
  if (expect.config) assertSameArchitecture(entry.config, expect.config, `network "${name}"`);
  const weights = new Map<string, tf.Tensor>();
  const prefix = `${name}.`;
  for (const [k, t] of ck.tensors) if (k.startsWith(prefix)) weights.set(k.slice(prefix.length), tf.tensor(t.data, t.shape));
  try {
    switch (entry.role) {
      case 'generator':
        return createGenerator(entry.config, weights);
      case 'classifier':
        return createClassifier(entry.config, weights);
      case 'segmentor':
        return createSegmentor(entry.config, entry.labelScheme ?? 'universal', weights);
    }
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** Rebuild the optimiser of network `name` over `net`'s variables (restored by restoreNetwork). */
export function restoreOptimizer(ck: LoadedCheckpoint, name: string, net: Network): AdamW {
  const entry = ck.manifest.optimizers[name];
  if (!entry) throw new Error(`checkpoint has no optimiser state for "${name}"`);
  const opt = new AdamW(net.params, entry.options);
  opt.step = entry.step;
  for (const [p] of net.params) {
    for (const which of entry.options.amsgrad ? (['m', 'v', 'vmax'] as const) : (['m', 'v'] as const)) {
      const t = ck.tensors.get(`optim.${name}.${p}.${which}`);
      if (!t) throw new Error(`checkpoint lacks optimiser moment optim.${name}.${p}.${which}`);
      const target = opt[which].get(p)!;
      if (!tf.util.arraysEqual(target.shape, t.shape)) throw new Error(`optimiser moment ${p}.${which} has shape [${t.shape}], expected [${target.shape}]`);
      tf.tidy(() => target.assign(tf.tensor(t.data, t.shape)));
    }
  }
  return opt;
}
