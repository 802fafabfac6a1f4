/**
 * The worker's compute thread. The job runs here, not on the worker's main thread, because tfjs's
 * cpu backend computes synchronously: a case that held the main thread longer than the lock time
 * would stop BullMQ's lock renewal and be taken for stalled and run twice. One setup is kept (the
 * last config seen), so consecutive jobs of one run pay for checkpoints and backend once.
 */
import { parentPort } from 'node:worker_threads';
import { writeResult, type CaseJob } from './jobs.ts';
import { JOB_KINDS, type JobContext } from './jobKinds.ts';

export type ThreadRequest = { id: number; job: CaseJob };
export type ThreadReply = { id: number; type: 'done' } | { id: number; type: 'error'; message: string } | { id: number; type: 'progress'; progress: Record<string, unknown> };

let current: { configHash: string; ctx: JobContext } | null = null;

async function contextFor(job: CaseJob): Promise<JobContext> {
  if (current?.configHash === job.configHash) return current.ctx;
  current?.ctx.dispose();
  current = null;
  const kind = await JOB_KINDS[job.kind]();
  current = { configHash: job.configHash, ctx: await kind.openJobContext(job.argv) };
  return current.ctx;
}

parentPort!.on('message', async ({ id, job }: ThreadRequest) => {
  try {
    const ctx = await contextFor(job);
    const result = await ctx.run(job, (progress) => parentPort!.postMessage({ id, type: 'progress', progress } satisfies ThreadReply));
    await writeResult(job, result);
    parentPort!.postMessage({ id, type: 'done' } satisfies ThreadReply);
  } catch (e) {
    parentPort!.postMessage({ id, type: 'error', message: (e as Error)?.message ?? String(e) } satisfies ThreadReply);
  }
});
