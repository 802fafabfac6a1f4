/**
 * A training command's run around runLoop: the networks it trains (with their optimisers), saved
 * together with the crop stream's state in one checkpoint file per checkpoint directory, restored
 * on --resume (refusing another architecture), and a summary line at the end.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  restoreOptimizer,
  saveCheckpoint,
  type AdamW,
  type ModelCard,
  type ModelRole,
  type Network,
} from '../../models/index.ts';
import type { RunConfig } from '../config.ts';
import { CHECKPOINT_FILE, openCheckpoint, restoreChecked } from './runSetup.ts';
import type { CropStream, StreamState } from './cropStream.ts';
import { runLoop, type RunLoopResult } from './runLoop.ts';
import { checkResumeSchedule, type ResolvedSchedule, type SavedSchedule } from './schedule.ts';

/** Exit status after Ctrl-C: the checkpoint is saved, but the run did not finish (128 + SIGINT). */
export const INTERRUPTED_EXIT = 130;

export interface Trained {
  net: Network;
  opt: AdamW;
  role: ModelRole;
}

export interface TrainJob {
  label: string;
  outDir: string;
  /** The run's length and warm-up; `schedule.totalSteps` is the number of steps run. */
  schedule: ResolvedSchedule;
  cfg: RunConfig;
  resume: boolean;
  stream: CropStream;
  /** Replaced in place on resume. */
  trained: Record<string, Trained>;
  card: ModelCard;
  step(step: number): Promise<Record<string, number>>;
}

export async function trainWithCheckpoints(job: TrainJob): Promise<RunLoopResult> {
  const save = async (dir: string, step: number) => {
    const networks: Record<string, Network> = {};
    const optimizers: Record<string, AdamW> = {};
    for (const [name, t] of Object.entries(job.trained)) {
      networks[name] = t.net;
      optimizers[name] = t.opt;
    }
    const schedule: SavedSchedule = { totalSteps: job.schedule.totalSteps, warmupSteps: job.schedule.warmupSteps };
    const bytes = await saveCheckpoint({ networks, optimizers, step, rngState: { ...job.stream.state(), schedule }, card: job.card });
    await writeFile(join(dir, CHECKPOINT_FILE), bytes);
  };
  const load = async (dir: string) => {
    const c = await openCheckpoint(join(dir, CHECKPOINT_FILE));
    checkResumeSchedule(c.file, (c.ck.manifest.rngState as { schedule?: SavedSchedule } | undefined)?.schedule, job.schedule);
    for (const [name, t] of Object.entries(job.trained)) {
      const net = restoreChecked(c, name, { config: t.net.config, role: t.role, labelScheme: t.net.labelScheme });
      const opt = restoreOptimizer(c.ck, name, net);
      t.net.dispose();
      t.opt.dispose();
      job.trained[name] = { ...t, net, opt };
    }
    job.stream.restore(c.ck.manifest.rngState as StreamState);
    return c.ck.manifest.step;
  };
  try {
    const r = await runLoop({
      outDir: job.outDir,
      label: job.label,
      totalSteps: job.schedule.totalSteps,
      checkpointEvery: job.cfg.run.checkpointEvery,
      keep: job.cfg.run.keepCheckpoints,
      resume: job.resume,
      step: job.step,
      save,
      load,
    });
    process.stderr.write(
      r.interrupted
        ? `${job.label}: interrupted at step ${r.finalStep}; checkpoint saved in ${join(job.outDir, 'checkpoints')} (continue with --resume)\n`
        : `${job.label}: done, ${r.finalStep} steps; final checkpoint in ${join(job.outDir, 'checkpoints')}\n`,
    );
    return r;
  } finally {
    await job.stream.close();
  }
}

/** Mean of the finite entries (NaN when none). */
export function finiteMean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}
