/**
 * `freetumor worker`: take case jobs from a BullMQ queue until stopped (or idle for
 * --idle-exit-ms), one at a time, each on the compute thread. A job whose result already exists
 * for its hash is acknowledged without running. A worker that dies mid-job (SIGKILL, lost
 * machine) stops renewing the job's lock; after --lock-ms another worker's stalled check (every
 * --stalled-ms) puts it back in the queue, and whoever takes it starts the case from scratch.
 */
import { Worker as QueueWorker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { Worker as Thread } from 'node:worker_threads';
import { connectionOf } from './connection.ts';
import type { ThreadReply, ThreadRequest } from './computeThread.ts';
import { readResult, type CaseJob } from './jobs.ts';
import type { WorkerOptions } from './options.ts';

export interface WorkerRunResult {
  done: number;
  skipped: number;
  failed: number;
}

class ComputeThread {
  private thread: Thread | null = null;
  private seq = 0;
  private pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; progress: (p: Record<string, unknown>) => void }>();

  private start(): Thread {
    const t = new Thread(new URL('../data/tsWorker.mjs', import.meta.url), { workerData: { tsModule: new URL('./computeThread.ts', import.meta.url).href } });
    t.on('message', (m: ThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') return p.progress(m.progress);
      this.pending.delete(m.id);
      if (m.type === 'done') p.resolve();
      else p.reject(new Error(m.message));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.thread = null;
    };
    t.on('error', (e) => fail(new Error(`compute thread failed: ${e.message}`)));
    t.on('exit', (code) => fail(new Error(`compute thread exited (${code})`)));
    return t;
  }

  run(job: CaseJob, progress: (p: Record<string, unknown>) => void): Promise<void> {
    this.thread ??= this.start();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, progress });
      this.thread!.postMessage({ id, job } satisfies ThreadRequest);
    });
  }

  async stop(): Promise<void> {
    const t = this.thread;
    this.thread = null;
    if (t) await t.terminate();
  }
}

export async function runWorker(opts: WorkerOptions, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<WorkerRunResult> {
  const me = `worker ${hostname()}:${process.pid}`;
  const thread = new ComputeThread();
  const counts: WorkerRunResult = { done: 0, skipped: 0, failed: 0 };
  let busy = false;
  let lastActive = performance.now();

  const processor = async (job: Job<CaseJob>) => {
    const d = job.data;
    busy = true;
    try {
      const tag = `${d.kind} ${d.index + 1}/${d.total} ${d.caseId}`;
      if (await readResult(d.resultFile, d.caseHash)) {
        counts.skipped++;
        log(`${me}: skipped ${tag} (its result exists for this config)`);
        return { worker: me, skipped: true };
      }
      log(`${me}: start ${tag} (job ${job.id}, attempt ${job.attemptsMade + 1})`);
      const t0 = performance.now();
      try {
        await thread.run(d, (p) => {
          void job.updateProgress(p).catch(() => {});
        });
      } catch (e) {
        counts.failed++;
        log(`${me}: failed ${tag}: ${(e as Error).message}`);
        throw e;
      }
      counts.done++;
      const ms = performance.now() - t0;
      log(`${me}: done ${tag} in ${(ms / 1000).toFixed(1)} s`);
      return { worker: me, skipped: false, ms };
    } finally {
      busy = false;
      lastActive = performance.now();
    }
  };

  const worker = new QueueWorker<CaseJob>(opts.address.name, processor, {
    connection: connectionOf(opts.address),
    concurrency: 1,
    lockDuration: opts.lockMs,
    stalledInterval: opts.stalledMs,
    maxStalledCount: opts.maxStalled,
    autorun: false,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // ioredis reconnects by itself; say so once per distinct problem rather than per retry.
    if (e.message !== lastError) log(`${me}: Redis at ${opts.address.display}: ${e.message} (retrying)`);
    lastError = e.message;
  });
  await worker.waitUntilReady().catch((e) => {
    throw new Error(`cannot reach Redis at ${opts.address.display}: ${(e as Error).message}`);
  });
  log(`${me}: waiting for jobs on ${opts.address.display} (lock ${opts.lockMs} ms, stalled check every ${opts.stalledMs} ms)`);

  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    if (stopping) return stopping;
    log(`${me}: ${why}; finishing the current job`);
    stopping = worker.close().then(() => thread.stop());
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals) => void stop(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const idle =
    opts.idleExitMs === undefined
      ? null
      : setInterval(() => {
          if (!busy && performance.now() - lastActive > opts.idleExitMs!) void stop(`idle for ${opts.idleExitMs} ms`);
        }, Math.min(500, Math.max(50, opts.idleExitMs / 4)));
  try {
    await worker.run();
    await stopping;
  } finally {
    if (idle) clearInterval(idle);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await thread.stop();
  }
  log(`${me}: stopped (${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed)`);
  return counts;
}
