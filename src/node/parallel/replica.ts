/**
 * What one data-parallel replica does with its own tfjs: rebuild the trained networks from the
 * checkpoint bytes the main thread broadcasts, compute gradients on its share of the batch into
 * its slot of the exchange, and apply the averaged gradients with its own copy of the optimiser.
 * The main thread is replica 0 and runs this same code, so every replica executes the same update.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { restoreNetwork, restoreOptimizer, type AdamW, type BlurConfig, type LoadedCheckpoint, type Network, type Stage1Config, type Stage2Config } from '../../models/index.ts';
import { classifierGradients, generatorGradients, segmentorGradients } from '../../models/trainSteps.ts';
import { createUNet } from '../../models/unet.ts';
import type { GradientExchange, ParamLayout } from './exchange.ts';

/** One replica's share of a segmentor (Dice-CE) step, as plain arrays that cross threads. */
export interface SegmentorShard {
  image: Float32Array;
  imageShape: [number, number, number, number, number];
  label: Int32Array;
  labelShape: [number, number, number, number];
  /** Eq. 8 per-sample weights of this shard (absent: all 1). */
  weights?: number[];
}

export interface TrainedReplica {
  net: Network;
  opt: AdamW;
}

/**
 * A network from checkpoint bytes. A U-Net is rebuilt directly, not through createSegmentor, so
 * that a network the main thread holds is mirrored whatever its norm: the commands refuse a
 * batch-norm S themselves, and the per-replica BatchNorm test needs one.
 */
export function restoreReplicaNetwork(ck: LoadedCheckpoint, name: string): Network {
  const entry = ck.manifest.networks[name];
  if (!entry) throw new Error(`replica checkpoint has no network "${name}"`);
  if (entry.config.kind !== 'unet3d') return restoreNetwork(ck, name);
  const weights = new Map<string, tf.Tensor>();
  for (const [k, t] of ck.tensors) if (k.startsWith(`${name}.`)) weights.set(k.slice(name.length + 1), tf.tensor(t.data, t.shape));
  try {
    return Object.assign(createUNet(entry.config, weights), { role: entry.role, labelScheme: entry.labelScheme });
  } finally {
    tf.dispose([...weights.values()]);
  }
}

/** A trained network and its optimiser from checkpoint bytes. */
export function restoreReplica(ck: LoadedCheckpoint, name: string): TrainedReplica {
  const net = restoreReplicaNetwork(ck, name);
  return { net, opt: restoreOptimizer(ck, name, net) };
}

/** Write `net`'s gradients (keyed by tf variable name) into `slot` at the layout's offsets. */
export async function writeGradients(layout: ParamLayout, name: string, net: Network, grads: tf.NamedTensorMap, slot: Float32Array): Promise<void> {
  for (const e of layout.entries) {
    if (e.net !== name) continue;
    const v = net.params.get(e.param);
    if (!v) throw new Error(`replica network "${name}" has no parameter ${e.param}`);
    const g = grads[v.name];
    // A parameter the loss does not reach has no gradient. It gets zeros, so AdamW still decays its
    // moments where a single-device step would skip it; every parameter of these networks is
    // reached, so the two runs never differ by this.
    if (!g) slot.fill(0, e.offset, e.offset + e.size);
    else slot.set((await g.data()) as Float32Array, e.offset);
  }
}

/** Apply the averaged gradients of network `name` from the exchange's mean slot. */
export function applyMean(layout: ParamLayout, name: string, r: TrainedReplica, exchange: GradientExchange, lr: number): void {
  const mean = exchange.mean();
  tf.tidy(() => {
    const grads: Record<string, tf.Tensor> = {};
    for (const e of layout.entries) {
      if (e.net !== name) continue;
      const v = r.net.params.get(e.param)!;
      // A copy: a backend may keep the array it was given, and the shared memory is rewritten next step.
      grads[e.param] = tf.tensor(mean.slice(e.offset, e.offset + e.size), v.shape);
    }
    r.opt.apply(grads, lr);
  });
}

/** Dice-CE gradients of one shard into the replica's slot; returns the shard's mean loss. */
export async function segmentorShardGradients(
  layout: ParamLayout,
  name: string,
  r: TrainedReplica,
  shard: SegmentorShard,
  cfg: Stage1Config,
  slot: Float32Array,
): Promise<number> {
  const image = tf.tensor5d(shard.image, shard.imageShape);
  const label = tf.tensor4d(shard.label, shard.labelShape, 'int32');
  try {
    const { value, grads } = segmentorGradients(r.net, { image, label, weights: shard.weights }, cfg);
    try {
      await writeGradients(layout, name, r.net, grads, slot);
      return (await value.data())[0];
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  } finally {
    tf.dispose([image, label]);
  }
}

/** SHA-256 of the weights and optimiser state of the trained networks: equal on every replica after every step. */
export async function replicaChecksum(trained: TrainedReplica[]): Promise<string> {
  const h = createHash('sha256');
  const add = async (t: tf.Tensor) => {
    const d = (await t.data()) as Float32Array;
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  };
  for (const r of trained) {
    for (const [, v] of r.net.params) await add(v);
    for (const moments of [r.opt.m, r.opt.v, r.opt.vmax]) for (const [, t] of moments) await add(t);
    h.update(`|${r.opt.step}|`);
  }
  return h.digest('hex');
}

/** One replica's share of a stage-2 step: the synthesis inputs and masks, [b,z,y,x,1] each. */
export interface Stage2Shard {
  shape: [number, number, number, number, number];
  image: Float32Array;
  softMask: Float32Array;
  synthMask: Float32Array;
  realMask: Float32Array;
  texture: Float32Array;
  organMask?: Float32Array;
  organChannel: number[];
}

export interface Stage2ShardResult {
  lSeg: number;
  lAdv: number;
  lG: number;
  lC: number;
  /** Quality-test counts [b, 2] of the frozen S on this shard's x̂. */
  counts: Float32Array;
}

/**
 * G's gradients (against frozen S and the current C) and C's gradients (on the detached x̂), both
 * from the weights before this step's update, as the single-device step computes them: C's
 * gradients do not depend on G's update, so one exchange carries both.
 */
export async function stage2ShardGradients(
  layout: ParamLayout,
  G: TrainedReplica,
  C: TrainedReplica,
  S: Network,
  shard: Stage2Shard,
  cfg: Stage2Config,
  blur: BlurConfig,
  slot: Float32Array,
): Promise<Stage2ShardResult> {
  const t = (a: Float32Array) => tf.tensor5d(a, shard.shape);
  const inputs = {
    image: t(shard.image),
    softMask: t(shard.softMask),
    synthMask: t(shard.synthMask),
    realMask: t(shard.realMask),
    texture: t(shard.texture),
    organMask: shard.organMask ? t(shard.organMask) : undefined,
    organChannel: shard.organChannel,
  };
  const g = generatorGradients(G.net, C.net, S, inputs, cfg, blur);
  try {
    await writeGradients(layout, 'G', G.net, g.grads, slot);
    const c = classifierGradients(C.net, g.xhat, inputs);
    try {
      await writeGradients(layout, 'C', C.net, c.grads, slot);
      const one = async (x: tf.Tensor) => (await x.data())[0];
      return { lSeg: await one(g.seg), lAdv: await one(g.adv), lG: await one(g.value), lC: await one(c.value), counts: (await g.counts.data()) as Float32Array };
    } finally {
      tf.dispose([c.value, c.grads]);
    }
  } finally {
    tf.dispose([g.value, g.grads, g.xhat, g.counts, g.seg, g.adv]);
    tf.dispose([inputs.image, inputs.softMask, inputs.synthMask, inputs.realMask, inputs.texture, ...(inputs.organMask ? [inputs.organMask] : [])]);
  }
}
