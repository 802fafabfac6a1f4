/**
 * Data-parallel training on one machine: the main thread is replica 0 and N−1 worker threads are
 * the others, each with its own tfjs and backend (its own Dawn device, or its own cpu backend).
 * A step splits the global batch into N equal, contiguous shares (replica r gets samples
 * [r·b, (r+1)·b)), every replica computes its gradients, they are averaged over shared memory in a
 * fixed order (exchange.ts), and every replica applies the same AdamW update to its own copy.
 *
 * Everything else stays in the main thread as in a single-device run: the crop stream, the random
 * draws (augmentation, tumour placement, CutMix) on the whole global batch, metrics and
 * checkpoints (replica 0's state, which equals every other). So the crops of global step t are the
 * same whatever N, and with a loss that is a mean over samples of per-sample terms and a network
 * that normalises per sample, N devices at batch b compute what one device computes at batch N·b.
 * BatchNorm layers normalise with the statistics of their replica's b samples only, as PyTorch's
 * DDP does without SyncBatchNorm (docs/training.md).
 */
import { Worker } from 'node:worker_threads';
import {
  qualityFromCounts,
  saveCheckpoint,
  warmupCosineLr,
  type AdamW,
  type BlurConfig,
  type Network,
  type QualityConfig,
  type Stage1Config,
  type Stage2Config,
} from '../../models/index.ts';
import type { SegBatch, SegStepResult, Stage2Batch, Stage2Result } from '../../models/trainSteps.ts';
import type { BackendChoice } from '../backend.ts';
import { GradientExchange, paramLayout, type ParamLayout } from './exchange.ts';
import type { ReplicaReply, ReplicaRequest, ReplicaSetup } from './protocol.ts';
import { applyMean, replicaChecksum, segmentorShardGradients, stage2ShardGradients, type SegmentorShard, type Stage2Shard, type TrainedReplica } from './replica.ts';

export interface DataParallelOptions {
  devices: number;
  /** The backend replica 0 runs on (resolved: webgpu or cpu); every worker activates the same. */
  backend: Exclude<BackendChoice, 'auto'>;
  label: string;
  /** Compare the replicas' checksums after every `verifyEvery`-th step and after the last. */
  verifyEvery: number;
  totalSteps: number;
  /** Where verification lines go (default stderr). */
  log?: (line: string) => void;
}

interface Pending {
  resolve(r: ReplicaReply): void;
  reject(e: Error): void;
}

class ReplicaWorker {
  private readonly queue: Pending[] = [];
  private failure: Error | null = null;

  constructor(readonly worker: Worker, readonly index: number) {
    worker.on('message', (r: ReplicaReply) => {
      const p = this.queue.shift();
      if (!p) return;
      if (r.type === 'error') p.reject(new Error(`device ${index}: ${r.message}`));
      else p.resolve(r);
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const p of this.queue.splice(0)) p.reject(e);
    };
    worker.on('error', (e) => fail(new Error(`device ${index} failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`device ${index} exited (code ${code})`)));
  }

  /** The worker answers in the order it was asked, so replies match a FIFO of requests. */
  request<T extends ReplicaReply['type']>(m: ReplicaRequest, expect: T): Promise<Extract<ReplicaReply, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({
        resolve: (r) => (r.type === expect ? resolve(r as Extract<ReplicaReply, { type: T }>) : reject(new Error(`device ${this.index}: expected ${expect}, got ${r.type}`))),
        reject,
      });
      this.worker.postMessage(m);
    });
  }
}

export class DataParallel {
  private exchange: GradientExchange | null = null;
  private layout: ParamLayout | null = null;
  /** What the workers mirror; a resume replaces the networks and optimisers, so they are reloaded. */
  private mirrored: { trained: Record<string, TrainedReplica>; frozen: Record<string, Network> } | null = null;

  private constructor(
    private readonly opts: DataParallelOptions,
    private readonly workers: ReplicaWorker[],
    readonly adapters: string[],
  ) {}

  static async start(opts: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(opts.devices) || opts.devices < 2) throw new Error(`data-parallel needs ≥ 2 devices, got ${opts.devices}`);
    const workers: ReplicaWorker[] = [];
    for (let r = 1; r < opts.devices; r++) {
      const setup: ReplicaSetup = { replica: r, backend: opts.backend, tsModule: new URL('./worker.ts', import.meta.url).href, replicas: opts.devices };
      workers.push(new ReplicaWorker(new Worker(new URL('../data/tsWorker.mjs', import.meta.url), { workerData: setup }), r));
    }
    try {
      const ready = await Promise.all(workers.map((w) => w.request({ type: 'init' }, 'ready')));
      for (const [i, r] of ready.entries()) {
        if (r.backend !== opts.backend) throw new Error(`device ${i + 1} activated ${r.backend}, replica 0 runs ${opts.backend}`);
      }
      return new DataParallel(opts, workers, ready.map((r) => r.adapter));
    } catch (e) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw e;
    }
  }

  /**
   * Give every worker replica 0's trained networks with their optimiser state, and the frozen
   * networks, bit for bit (as checkpoint bytes), unless it holds them already.
   */
  private async mirror(trained: Record<string, TrainedReplica>, frozen: Record<string, Network> = {}): Promise<void> {
    const m = this.mirrored;
    const same =
      m !== null &&
      Object.keys(trained).join() === Object.keys(m.trained).join() &&
      Object.entries(trained).every(([k, r]) => m.trained[k].net === r.net && m.trained[k].opt === r.opt) &&
      Object.keys(frozen).join() === Object.keys(m.frozen).join() &&
      Object.entries(frozen).every(([k, n]) => m.frozen[k] === n);
    if (same) return;
    const networks: Record<string, Network> = { ...frozen };
    const optimizers: Record<string, AdamW> = {};
    for (const [k, r] of Object.entries(trained)) {
      networks[k] = r.net;
      optimizers[k] = r.opt;
    }
    const checkpoint = await saveCheckpoint({ networks, optimizers, step: 0, card: { preset: 'data-parallel replica', provenance: {} } });
    this.layout = paramLayout(Object.entries(trained).map(([name, r]) => ({ name, params: r.net.params })));
    this.exchange = new GradientExchange(this.opts.devices, this.layout.total);
    const req: ReplicaRequest = {
      type: 'load',
      checkpoint,
      trained: Object.keys(trained),
      frozen: Object.keys(frozen),
      replicas: this.opts.devices,
      layout: this.layout,
      buffer: this.exchange.buffer,
    };
    await Promise.all(this.workers.map((w) => w.request(req, 'loaded')));
    this.mirrored = { trained: { ...trained }, frozen: { ...frozen } };
  }

  /** Reduce-scatter then all-gather the exchange, and apply the mean on every replica. */
  private async reduceAndApply(updates: { name: string; lr: number }[], self: Record<string, TrainedReplica>): Promise<void> {
    const exchange = this.exchange!;
    const reduced = this.workers.map((w) => w.request({ type: 'reduce' }, 'reduced'));
    exchange.reduceChunk(0);
    await Promise.all(reduced);
    const applied = this.workers.map((w) => w.request({ type: 'apply', updates }, 'applied'));
    for (const u of updates) applyMean(this.layout!, u.name, self[u.name], exchange, u.lr);
    await Promise.all(applied);
  }

  /** Replica 0's share while the workers compute theirs; a failure here still waits for them. */
  private async alongside<T, R>(own: () => Promise<T>, others: Promise<R>[]): Promise<[T, R[]]> {
    handled(others);
    let mine: T;
    try {
      mine = await own();
    } catch (e) {
      await Promise.allSettled(others);
      throw e;
    }
    return [mine, await Promise.all(others)];
  }

  private async afterStep(self: Record<string, TrainedReplica>, step: number): Promise<void> {
    if ((step + 1) % this.opts.verifyEvery === 0 || step + 1 === this.opts.totalSteps) await this.verify(self, step + 1);
  }

  /**
   * One Dice-CE step of network `name` on the global batch (as segmentorStep), data-parallel.
   * `step` is the run loop's step index (for verification).
   */
  async segmentorStep(name: string, net: Network, opt: AdamW, batch: SegBatch, cfg: Stage1Config, step: number): Promise<SegStepResult> {
    const N = this.opts.devices;
    const self = { [name]: { net, opt } };
    await this.mirror(self);
    const lr = warmupCosineLr(opt.step, cfg);
    const shards = await splitSegBatch(batch, N);
    const [own, replies] = await this.alongside(
      () => segmentorShardGradients(this.layout!, name, self[name], shards[0], cfg, this.exchange!.slot(0)),
      this.workers.map((w, i) => w.request({ type: 'segmentor-grads', name, shard: shards[i + 1], cfg }, 'grads')),
    );
    await this.reduceAndApply([{ name, lr }], self);
    await this.afterStep(self, step);
    // Equal shares, so the mean of the replicas' means is the mean over the global batch.
    let loss = own;
    for (const r of replies) loss += r.loss;
    return { loss: loss / N, lr, step: opt.step };
  }

  /**
   * Stage 2 (as generatorClassifierStep), data-parallel: every replica computes G's gradients on
   * its share and C's on its own x̂, one exchange averages both, and G and C are updated. The
   * losses are means over replicas; P and pass are per sample, in global batch order. Its masked
   * means (L_seg, L_adv, L_C) are over each replica's voxels, as under DDP.
   */
  async generatorClassifierStep(
    G: TrainedReplica,
    C: TrainedReplica,
    S: Network,
    batch: Stage2Batch,
    cfg: Stage2Config,
    blur: BlurConfig,
    quality: QualityConfig,
    step: number,
  ): Promise<Stage2Result> {
    const N = this.opts.devices;
    const self = { G, C };
    await this.mirror(self, { S });
    const shards = await splitStage2Batch(batch, N);
    const [own, replies] = await this.alongside(
      () => stage2ShardGradients(this.layout!, G, C, S, shards[0], cfg, blur, this.exchange!.slot(0)),
      this.workers.map((w, i) => w.request({ type: 'stage2-grads', shard: shards[i + 1], cfg, blur }, 'stage2')),
    );
    await this.reduceAndApply([{ name: 'G', lr: G.opt.options.lr }, { name: 'C', lr: C.opt.options.lr }], self);
    await this.afterStep(self, step);
    const all = [own, ...replies];
    const mean = (k: 'lSeg' | 'lAdv' | 'lG' | 'lC') => all.reduce((s, r) => s + r[k], 0) / N;
    const counts = new Float32Array(all.reduce((n, r) => n + r.counts.length, 0));
    let at = 0;
    for (const r of all) {
      counts.set(r.counts, at);
      at += r.counts.length;
    }
    return { lSeg: mean('lSeg'), lAdv: mean('lAdv'), lG: mean('lG'), lC: mean('lC'), ...qualityFromCounts(counts, quality.threshold) };
  }

  /** Checksums of every replica's trained weights and optimiser state, replica 0 first. */
  async checksums(self: Record<string, TrainedReplica>): Promise<string[]> {
    const others = handled(this.workers.map((w) => w.request({ type: 'checksum' }, 'checksum')));
    const own = await replicaChecksum(Object.values(self));
    return [own, ...(await Promise.all(others)).map((r) => r.sum)];
  }

  private async verify(self: Record<string, TrainedReplica>, step: number): Promise<void> {
    const sums = await this.checksums(self);
    const bad = sums.findIndex((s) => s !== sums[0]);
    if (bad >= 0) throw new Error(`${this.opts.label}: replica ${bad} diverged from replica 0 at step ${step} (weights/optimiser checksum ${sums[bad].slice(0, 12)} ≠ ${sums[0].slice(0, 12)})`);
    (this.opts.log ?? ((l) => process.stderr.write(l)))(`${this.opts.label}: ${this.opts.devices} replicas identical at step ${step} (sha256 ${sums[0].slice(0, 12)})\n`);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/**
 * A worker's failure can arrive while replica 0 is still computing, before anything awaits its
 * promise; marked handled here, it is still thrown where the promise is awaited.
 */
function handled<T>(ps: Promise<T>[]): Promise<T>[] {
  for (const p of ps) p.catch(() => {});
  return ps;
}

/** Contiguous equal shares of a batch, as arrays that can be posted to a worker. */
export async function splitSegBatch(batch: SegBatch, n: number): Promise<SegmentorShard[]> {
  const [B, z, y, x, c] = batch.image.shape;
  if (B % n !== 0) throw new Error(`a global batch of ${B} cannot be split evenly over ${n} devices`);
  const per = B / n;
  const image = (await batch.image.data()) as Float32Array;
  const labelData = await batch.label.data();
  const label = labelData instanceof Int32Array ? labelData : Int32Array.from(labelData as ArrayLike<number>);
  const iv = z * y * x * c;
  const lv = z * y * x;
  return Array.from({ length: n }, (_, r) => ({
    image: image.slice(r * per * iv, (r + 1) * per * iv),
    imageShape: [per, z, y, x, c] as [number, number, number, number, number],
    label: label.slice(r * per * lv, (r + 1) * per * lv),
    labelShape: [per, z, y, x] as [number, number, number, number],
    weights: batch.weights?.slice(r * per, (r + 1) * per),
  }));
}

/** Contiguous equal shares of a stage-2 batch. */
export async function splitStage2Batch(batch: Stage2Batch, n: number): Promise<Stage2Shard[]> {
  const [B, z, y, x, c] = batch.image.shape;
  if (B % n !== 0) throw new Error(`a global batch of ${B} cannot be split evenly over ${n} devices`);
  const per = B / n;
  const v = z * y * x * c;
  const read = async (t: { data(): Promise<unknown> } | undefined) => (t ? ((await t.data()) as Float32Array) : undefined);
  const [image, softMask, synthMask, realMask, texture, organMask] = await Promise.all([batch.image, batch.softMask, batch.synthMask, batch.realMask, batch.texture, batch.organMask].map(read));
  const part = (a: Float32Array, r: number) => a.slice(r * per * v, (r + 1) * per * v);
  return Array.from({ length: n }, (_, r) => ({
    shape: [per, z, y, x, c] as [number, number, number, number, number],
    image: part(image!, r),
    softMask: part(softMask!, r),
    synthMask: part(synthMask!, r),
    realMask: part(realMask!, r),
    texture: part(texture!, r),
    organMask: organMask ? part(organMask, r) : undefined,
    organChannel: batch.organChannel.slice(r * per, (r + 1) * per),
  }));
}
