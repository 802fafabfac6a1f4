/**
 * The coordinator side of `--queue`: one BullMQ job per case (id = the case hash, so enqueueing
 * twice adds nothing), progress and ETA while the workers run them, and the caller's final step
 * (manifest, report) once every case has its result file. Completion is read from the result
 * files on the shared output path, not from Redis: a result is only written whole, and a job that
 * finished before this coordinator started (or in an earlier run) counts as done.
 */
import { Queue } from 'bullmq';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestCase } from '../../core/manifest.ts';
import { CliError } from '../cliTypes.ts';
import { formatDuration } from '../progress.ts';
import { caseHashOf, readResult, removeStaleTemps, resultFileOf, RESULTS_DIR, type CaseJob, type JobKind } from './jobs.ts';
import type { CoordinatorOptions } from './options.ts';
import { assertReachable, connectionOf } from './connection.ts';

export interface QueuedCase {
  manifest: number;
  c: ManifestCase;
  root: string;
}

export interface QueuedRun<R> {
  kind: JobKind;
  label: string;
  /** Where the workers write; the result files go under its .queue/. */
  outDir: string;
  configHash: string;
  /** The command's argv with absolute paths, for the workers. */
  argv: string[];
  cases: QueuedCase[];
  /** Directories the jobs write into, swept of a killed worker's temporary files at the end. */
  writeDirs: string[];
  finish(results: R[]): Promise<number>;
}

export async function runQueued<R>(run: QueuedRun<R>, opts: CoordinatorOptions, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<number> {
  if (!run.cases.length) throw new CliError(`${run.label}: no case to run`);
  await mkdir(join(run.outDir, RESULTS_DIR), { recursive: true });
  const jobs: CaseJob[] = [];
  for (let index = 0; index < run.cases.length; index++) {
    const { manifest, c, root } = run.cases[index];
    const caseHash = await caseHashOf(run.configHash, c, root);
    jobs.push({ kind: run.kind, argv: run.argv, configHash: run.configHash, manifest, caseId: c.id, index, total: run.cases.length, caseHash, resultFile: resultFileOf(run.outDir, c.id, caseHash) });
  }
  const results: (R | undefined)[] = new Array(jobs.length);
  const pending = new Set<number>();
  await Promise.all(
    jobs.map(async (j, k) => {
      const r = await readResult<R>(j.resultFile, j.caseHash);
      if (r) results[k] = r.result;
      else pending.add(k);
    }),
  );
  const already = jobs.length - pending.size;
  await assertReachable(opts.address);
  const queue = new Queue(opts.address.name, { connection: connectionOf(opts.address) });
  queue.on('error', () => {}); // connection errors surface through the awaited calls below
  try {
    try {
      await queue.waitUntilReady();
    } catch (e) {
      throw new CliError(`cannot reach Redis at ${opts.address.display}: ${(e as Error).message}`);
    }
    const toAdd = [];
    for (const k of pending) {
      const j = jobs[k];
      const id = jobIdOf(j);
      // A job that failed every attempt in an earlier run stays failed in Redis: start it afresh.
      const old = await queue.getJob(id);
      if (old && (await old.isFailed())) await old.remove();
      toAdd.push({
        name: `${j.kind} ${j.caseId}`,
        data: j,
        opts: { jobId: id, attempts: opts.attempts, backoff: { type: 'exponential', delay: opts.backoffMs }, removeOnComplete: true, removeOnFail: false },
      });
    }
    if (toAdd.length) await queue.addBulk(toAdd);
    log(`${run.label}: ${jobs.length} case job(s) on ${opts.address.display}${already ? ` (${already} already done for this config)` : ''}; waiting for workers (freetumor worker --queue ${opts.address.display})`);

    const t0 = performance.now();
    const startPending = pending.size;
    let lastLine = '';
    while (pending.size) {
      for (const k of [...pending]) {
        const r = await readResult<R>(jobs[k].resultFile, jobs[k].caseHash);
        if (r) {
          results[k] = r.result;
          pending.delete(k);
        }
      }
      if (!pending.size) break;
      // Only jobs past their last attempt are in the failed set (retries wait in "delayed").
      const ours = new Map([...pending].map((k) => [jobIdOf(jobs[k]), jobs[k]]));
      const failed = (await queue.getFailed(0, -1)).filter((j) => j.id && ours.has(j.id)).map((j) => `${ours.get(j.id!)!.caseId}: ${j.failedReason}`);
      if (failed.length) throw new CliError(`${failed.length} job(s) failed after ${opts.attempts} attempt(s):\n  ${failed.join('\n  ')}`);
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed');
      const done = startPending - pending.size;
      const elapsed = (performance.now() - t0) / 1000;
      const rate = done / Math.max(elapsed, 1e-9);
      const line = `${run.label}: ${jobs.length - pending.size}/${jobs.length} done, ${counts.active} running, ${counts.waiting} waiting, ${counts.delayed} retrying · ${rate.toFixed(2)} jobs/s ETA ${done ? formatDuration(pending.size / rate) : '?'}`;
      if (line.replace(/ · .*/, '') !== lastLine) log(line);
      lastLine = line.replace(/ · .*/, '');
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
    const elapsed = (performance.now() - t0) / 1000;
    log(`${run.label}: ${jobs.length}/${jobs.length} done in ${formatDuration(elapsed)}${startPending ? ` (${(startPending / Math.max(elapsed, 1e-9)).toFixed(2)} jobs/s)` : ''}`);
  } finally {
    await queue.close();
  }
  await removeStaleTemps([...run.writeDirs, join(run.outDir, RESULTS_DIR)]);
  return run.finish(results as R[]);
}

/** BullMQ refuses ':' in custom ids; the case hash already names the config and the case. */
export const jobIdOf = (j: CaseJob) => `${j.kind}-${j.caseHash}`;
