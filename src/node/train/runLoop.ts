/**
 * The loop every training command shares: steps, metrics as JSONL, a progress line, checkpoints
 * every N steps and at the end, resume, and a clean stop on Ctrl-C. Checkpoints are directories
 * written under a temporary name and renamed into place, and `latest` is replaced atomically, so a
 * kill -9 at any moment leaves the previous checkpoint whole: --resume loses at most the steps
 * since it.
 */
import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io.ts';
import { Progress } from '../progress.ts';

export interface RunLoopOptions {
  outDir: string;
  label: string;
  totalSteps: number;
  checkpointEvery: number;
  /** Continue from `outDir/checkpoints/latest` if there is one. */
  resume: boolean;
  /** One training step; returns the figures to log (losses, P, lr…). */
  step(step: number): Promise<Record<string, number>>;
  /** Write everything needed to continue into `dir` (which exists and is empty). */
  save(dir: string, step: number): Promise<void>;
  /** Restore from a checkpoint directory; returns the step it was taken after. */
  load(dir: string): Promise<number>;
  /** Kept checkpoints besides the latest (default 2). */
  keep?: number;
}

export interface RunLoopResult {
  finalStep: number;
  interrupted: boolean;
  resumedFrom: number | null;
}

const stepDir = (step: number) => `step-${String(step).padStart(8, '0')}`;

export async function latestCheckpoint(outDir: string): Promise<string | null> {
  try {
    const name = (await readFile(join(outDir, 'checkpoints', 'latest'), 'utf8')).trim();
    return name ? join(outDir, 'checkpoints', name) : null;
  } catch {
    return null;
  }
}

async function writeCheckpoint(opts: RunLoopOptions, step: number, saved: string[]): Promise<void> {
  const root = join(opts.outDir, 'checkpoints');
  await mkdir(root, { recursive: true });
  const name = stepDir(step);
  const tmp = join(root, `.${name}.partial`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  await opts.save(tmp, step);
  await rm(join(root, name), { recursive: true, force: true });
  await rename(tmp, join(root, name));
  await writeFileAtomic(join(root, 'latest'), new TextEncoder().encode(name + '\n'));
  saved.push(name);
  const keep = opts.keep ?? 2;
  while (saved.length > keep + 1) await rm(join(root, saved.shift()!), { recursive: true, force: true });
}

export async function runLoop(opts: RunLoopOptions): Promise<RunLoopResult> {
  await mkdir(opts.outDir, { recursive: true });
  let start = 0;
  let resumedFrom: number | null = null;
  if (opts.resume) {
    const dir = await latestCheckpoint(opts.outDir);
    if (dir) {
      start = await opts.load(dir);
      resumedFrom = start;
      process.stderr.write(`${opts.label}: resumed from ${dir} (step ${start})\n`);
    } else process.stderr.write(`${opts.label}: --resume given but no checkpoint in ${opts.outDir}; starting at step 0\n`);
  }
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: leave now
    stopRequested = true;
    process.stderr.write(`\n${opts.label}: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n`);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = new Progress({ label: opts.label, total: opts.totalSteps, unit: 'steps' }, start);
  const metricsFile = join(opts.outDir, 'metrics.jsonl');
  if (resumedFrom !== null) await truncateMetrics(metricsFile, start);
  const saved: string[] = [];
  let step = start;
  try {
    while (step < opts.totalSteps && !stopRequested) {
      const t0 = performance.now();
      const figures = await opts.step(step);
      step++;
      const seconds = (performance.now() - t0) / 1000;
      await appendFile(metricsFile, JSON.stringify({ step, time: new Date().toISOString(), seconds, ...figures }) + '\n');
      progress.update(step, figures);
      if (step % opts.checkpointEvery === 0 || step === opts.totalSteps) await writeCheckpoint(opts, step, saved);
    }
    if (stopRequested && step % opts.checkpointEvery !== 0 && step !== opts.totalSteps) await writeCheckpoint(opts, step, saved);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  return { finalStep: step, interrupted: stopRequested, resumedFrom };
}

/** Steps after the checkpoint were lost with the run that logged them; they will be logged again. */
async function truncateMetrics(file: string, upTo: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  const kept = text.split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      return (JSON.parse(line) as { step: number }).step <= upTo;
    } catch {
      return false; // a line cut by the kill
    }
  });
  await writeFileAtomic(file, new TextEncoder().encode(kept.map((l) => l + '\n').join('')));
}
