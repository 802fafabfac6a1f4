/**
 * Checkpoints: one safetensors file that both the browser and Node (and Python's safetensors)
 * read. Tensors: `<net>.<param>` for weights, `optim.<net>.<param>.m|v` for Adam moments.
 * `__metadata__.freetumor` holds the JSON manifest: per network its role and architecture config,
 * per optimiser its step and options, the training step, the RNG state and the model card.
 */
import * as tf from '@tensorflow/tfjs';
import type { Organ } from '../core/labels.ts';
import type { LabelScheme, ModelRole, UNetConfig } from './config.ts';
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
  networks: Record<string, { role: ModelRole; labelScheme?: LabelScheme; config: UNetConfig }>;
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
  }
  return writeSafetensors(tensors, { freetumor: JSON.stringify(manifest) });
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
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

const ARCH_KEYS: (keyof UNetConfig)[] = ['kind', 'inChannels', 'outChannels', 'encoder', 'norm', 'normEps', 'activation', 'leakySlope'];

function describe(c: UNetConfig): string {
  return `${c.kind} in ${c.inChannels} out ${c.outChannels} encoder ${JSON.stringify(c.encoder)} norm ${c.norm} act ${c.activation}`;
}

/** Throws a readable error when two configs differ in architecture (the init seed is ignored). */
export function assertSameArchitecture(stored: UNetConfig, expected: UNetConfig, what: string): void {
  const diff = ARCH_KEYS.filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(expected[k]));
  if (diff.length) {
    throw new Error(
      `${what}: checkpoint architecture differs in ${diff.join(', ')} — checkpoint has ${describe(stored)}, expected ${describe(expected)}`,
    );
  }
}

/**
 * Rebuild network `name`. With `expected`, the stored architecture must match it (else a clear
 * error); with `role`, the stored role must match.
 */
export function restoreNetwork(ck: LoadedCheckpoint, name: string, expect: { config?: UNetConfig; role?: ModelRole } = {}): Network {
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
    for (const which of ['m', 'v'] as const) {
      const t = ck.tensors.get(`optim.${name}.${p}.${which}`);
      if (!t) throw new Error(`checkpoint lacks optimiser moment optim.${name}.${p}.${which}`);
      const target = opt[which].get(p)!;
      if (!tf.util.arraysEqual(target.shape, t.shape)) throw new Error(`optimiser moment ${p}.${which} has shape [${t.shape}], expected [${target.shape}]`);
      tf.tidy(() => target.assign(tf.tensor(t.data, t.shape)));
    }
  }
  return opt;
}
