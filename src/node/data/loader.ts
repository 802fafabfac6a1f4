/**
 * Streams training crops from the cache with worker threads reading ahead, so the GPU does not
 * wait on disk or decoding. Crops come out in plan order (see core/sampling.ts), which makes a
 * run with a seed reproducible whatever the number of workers.
 */
import { Worker } from 'node:worker_threads';
import type { Rng } from '../../core/random.ts';
import { cropRequests, type CropRequest, type SamplingConfig } from '../../core/sampling.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { CacheEntry } from './cache.ts';
import type { CropJob, CropResult } from './cropWorker.ts';

export interface Crop {
  caseId: string;
  source: string;
  labeled: boolean;
  request: CropRequest;
  start: Vec3;
  image: Float32Array;
  label: Uint8Array;
}

export interface LoaderOptions {
  patch: Vec3;
  sampling: SamplingConfig;
  /** Loader threads (default 2). */
  workers?: number;
  /** Crops requested ahead of the consumer. */
  prefetch?: number;
  /** Crops already consumed by an earlier run: the plan is replayed past them (resume). */
  startAt?: number;
}

export class CropLoader {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (r: CropResult) => void }>();
  private readonly requests: Generator<CropRequest>;
  private readonly queue: { seq: number; request: CropRequest; result: Promise<CropResult> }[] = [];
  private seq = 0;
  private closed = false;
  /** Crops handed out since the start of the plan; a checkpoint stores it to resume. */
  consumed: number;

  constructor(
    private readonly entries: CacheEntry[],
    private readonly rng: Rng,
    private readonly opts: LoaderOptions,
  ) {
    this.requests = cropRequests(entries.map((e) => e.header), opts.sampling, rng);
    // Replaying the plan costs a few RNG draws per crop and no I/O.
    for (let n = 0; n < (opts.startAt ?? 0); n++) this.requests.next();
    this.consumed = opts.startAt ?? 0;
    const n = Math.max(1, opts.workers ?? 2);
    this.workers = Array.from({ length: n }, () => {
      const w = new Worker(new URL('./tsWorker.mjs', import.meta.url), {
        workerData: { tsModule: new URL('./cropWorker.ts', import.meta.url).href },
      });
      w.on('message', (r: CropResult) => {
        this.pending.get(r.seq)?.resolve(r);
        this.pending.delete(r.seq);
      });
      w.on('error', (e) => {
        for (const [seq, p] of this.pending) p.resolve({ seq, error: `loader worker failed: ${e.message}` });
        this.pending.clear();
      });
      return w;
    });
  }

  private fill(): void {
    const depth = Math.max(1, this.opts.prefetch ?? 8);
    while (this.queue.length < depth) {
      const request = this.requests.next().value as CropRequest;
      const seq = this.seq++;
      const entry = this.entries[request.caseIndex];
      const job: CropJob = { seq, file: entry.file, patch: this.opts.patch, request };
      const result = new Promise<CropResult>((resolve) => this.pending.set(seq, { resolve }));
      this.workers[seq % this.workers.length].postMessage(job);
      this.queue.push({ seq, request, result });
    }
  }

  /** The next crop in plan order. */
  async next(): Promise<Crop> {
    if (this.closed) throw new Error('CropLoader: closed');
    this.fill();
    const head = this.queue.shift()!;
    const r = await head.result;
    this.consumed++;
    this.fill();
    if (r.error) throw new Error(r.error);
    const e = this.entries[head.request.caseIndex];
    return { caseId: e.id, source: e.header.source, labeled: e.header.labeled, request: head.request, start: r.start!, image: r.image!, label: r.label! };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
