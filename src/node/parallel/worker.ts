/**
 * A data-parallel replica in a worker thread: its own tfjs and backend (a cpu backend of its own,
 * or its own Dawn device), its own copy of the trained networks and optimisers. It does what the
 * main thread (replica 0) tells it, one message at a time, and answers each.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCheckpoint, type Network } from '../../models/index.ts';
import { initBackend } from '../backend.ts';
import { GradientExchange, type ParamLayout } from './exchange.ts';
import type { ReplicaReply, ReplicaRequest, ReplicaSetup } from './protocol.ts';
import { applyMean, replicaChecksum, restoreReplica, restoreReplicaNetwork, segmentorShardGradients, stage2ShardGradients, type TrainedReplica } from './replica.ts';

const setup = workerData as ReplicaSetup;
const port = parentPort!;
let state: { exchange: GradientExchange; layout: ParamLayout; trained: Map<string, TrainedReplica>; frozen: Map<string, Network> } | null = null;

function dispose(): void {
  if (!state) return;
  for (const r of state.trained.values()) {
    r.net.dispose();
    r.opt.dispose();
  }
  for (const n of state.frozen.values()) n.dispose();
  state = null;
}

async function handle(m: ReplicaRequest): Promise<ReplicaReply> {
  if (m.type === 'init') {
    const info = await initBackend(setup.backend, { replicas: setup.replicas });
    return { type: 'ready', backend: info.backend, adapter: info.adapter };
  }
  if (m.type === 'load') {
    dispose();
    const ck = readCheckpoint(m.checkpoint);
    state = {
      exchange: new GradientExchange(m.replicas, m.layout.total, m.buffer),
      layout: m.layout,
      trained: new Map(m.trained.map((n) => [n, restoreReplica(ck, n)])),
      frozen: new Map(m.frozen.map((n) => [n, restoreReplicaNetwork(ck, n)])),
    };
    return { type: 'loaded' };
  }
  if (!state) throw new Error(`replica ${setup.replica} asked to '${m.type}' before its state was loaded`);
  const { exchange, layout } = state;
  const trained = (name: string) => {
    const r = state!.trained.get(name);
    if (!r) throw new Error(`replica ${setup.replica} has no trained network "${name}"`);
    return r;
  };
  switch (m.type) {
    case 'segmentor-grads':
      return { type: 'grads', loss: await segmentorShardGradients(layout, m.name, trained(m.name), m.shard, m.cfg, exchange.slot(setup.replica)) };
    case 'stage2-grads': {
      const S = state.frozen.get('S');
      if (!S) throw new Error(`replica ${setup.replica} has no frozen segmentor S`);
      const r = await stage2ShardGradients(layout, trained('G'), trained('C'), S, m.shard, m.cfg, m.blur, exchange.slot(setup.replica));
      return { type: 'stage2', ...r };
    }
    case 'reduce':
      exchange.reduceChunk(setup.replica);
      return { type: 'reduced' };
    case 'apply':
      for (const u of m.updates) applyMean(layout, u.name, trained(u.name), exchange, u.lr);
      return { type: 'applied' };
    case 'checksum':
      return { type: 'checksum', sum: await replicaChecksum([...state.trained.values()]) };
  }
}

// Messages are handled strictly in order: a step's phases must not interleave.
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: ReplicaRequest) => {
  chain = chain.then(async () => {
    try {
      port.postMessage(await handle(m));
    } catch (e) {
      port.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) } satisfies ReplicaReply);
    }
  });
});
