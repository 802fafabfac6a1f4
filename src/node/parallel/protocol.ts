/** Messages between the main thread (replica 0) and the replica worker threads. */
import type { BlurConfig, Stage1Config, Stage2Config } from '../../models/index.ts';
import type { BackendChoice } from '../backend.ts';
import type { ParamLayout } from './exchange.ts';
import type { SegmentorShard, Stage2Shard, Stage2ShardResult } from './replica.ts';

export interface ReplicaSetup {
  replica: number;
  backend: BackendChoice;
  tsModule: string;
  /** Replicas in the process, so each takes its share of the cores for its cpu kernel threads. */
  replicas?: number;
}

export type ReplicaRequest =
  | { type: 'init' }
  /** Networks `trained` (with optimiser state) and `frozen` from checkpoint bytes; the exchange to use. */
  | { type: 'load'; checkpoint: Uint8Array; trained: string[]; frozen: string[]; replicas: number; layout: ParamLayout; buffer: SharedArrayBuffer }
  | { type: 'segmentor-grads'; name: string; shard: SegmentorShard; cfg: Stage1Config }
  | { type: 'stage2-grads'; shard: Stage2Shard; cfg: Stage2Config; blur: BlurConfig }
  | { type: 'reduce' }
  /** Apply the averaged gradients to each named network, in this order, with its learning rate. */
  | { type: 'apply'; updates: { name: string; lr: number }[] }
  | { type: 'checksum' };

export type ReplicaReply =
  | { type: 'ready'; backend: string; adapter: string }
  | { type: 'loaded' }
  | { type: 'grads'; loss: number }
  | ({ type: 'stage2' } & Stage2ShardResult)
  | { type: 'reduced' }
  | { type: 'applied' }
  | { type: 'checksum'; sum: string }
  | { type: 'error'; message: string };
