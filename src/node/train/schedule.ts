/**
 * How long a stage runs and how long its warm-up is, in steps, from the config's epochs or steps
 * and the epoch length of this run's cases (core/sampling.ts stepsPerEpoch). Resolved once per run
 * and stored in its checkpoints: the cosine schedule depends on the total, so a resume that asks
 * for another length is refused rather than silently bending the curve.
 */
import { stepsPerEpoch, type SampledCase, type SamplingConfig } from '../../core/sampling.ts';
import type { LengthUnit, Stage1Config } from '../../models/index.ts';
import { CliError } from '../cliTypes.ts';

export interface ResolvedSchedule {
  /** Steps in one epoch of this run's cases with its sampling and batch. */
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  /** Where the numbers came from, for config.json and the log line. */
  lengthUnit: LengthUnit;
  warmupUnit: LengthUnit | null;
}

export interface LengthSpec {
  lengthUnit: LengthUnit;
  epochs: number;
  totalSteps: number;
}

const toSteps = (epochs: number, spe: number) => Math.max(1, Math.round(epochs * spe));

/** Stage 2 (no schedule: constant-lr Adam) and the length part of stages 1 and 3. */
export function resolveLength(spec: LengthSpec, cases: readonly SampledCase[], sampling: SamplingConfig, batch: number): ResolvedSchedule {
  const spe = stepsPerEpoch(cases, sampling, batch);
  const totalSteps = spec.lengthUnit === 'epochs' ? toSteps(spec.epochs, spe) : spec.totalSteps;
  return { stepsPerEpoch: spe, totalSteps, warmupSteps: 0, lengthUnit: spec.lengthUnit, warmupUnit: null };
}

/** Stages 1 and 3: length and linear warm-up (METHOD.md: 2 epochs, then cosine per iteration). */
export function resolveSchedule(stage: Stage1Config, cases: readonly SampledCase[], sampling: SamplingConfig, batch: number): ResolvedSchedule {
  const r = resolveLength(stage, cases, sampling, batch);
  const warmupSteps = stage.warmupUnit === 'epochs' ? Math.round(stage.warmupEpochs * r.stepsPerEpoch) : stage.warmupSteps;
  return { ...r, warmupSteps, warmupUnit: stage.warmupUnit };
}

/** The stage config the step function gets: its schedule in steps. */
export function withSchedule(stage: Stage1Config, s: ResolvedSchedule): Stage1Config {
  return { ...stage, totalSteps: s.totalSteps, warmupSteps: s.warmupSteps };
}

/** One line for stderr; says so when the warm-up does not end before the run does. */
export function describeSchedule(label: string, s: ResolvedSchedule): string {
  const epochs = (s.totalSteps / s.stepsPerEpoch).toFixed(2).replace(/\.?0+$/, '');
  let line = `${label}: ${s.totalSteps} steps (${epochs} epochs of ${s.stepsPerEpoch} steps)`;
  if (s.warmupUnit) line += `, linear warm-up ${s.warmupSteps} steps then cosine`;
  if (s.warmupUnit && s.warmupSteps >= s.totalSteps) line += ` — NOTE: the warm-up is not over before the run ends, so the learning rate never reaches its peak`;
  return line + '\n';
}

/** The part of a schedule a resumed run must share with the run it continues. */
export interface SavedSchedule {
  totalSteps: number;
  warmupSteps: number;
}

/** Refuse to resume a checkpoint taken under another schedule (older checkpoints carry none). */
export function checkResumeSchedule(file: string, saved: SavedSchedule | undefined, now: ResolvedSchedule): void {
  if (!saved) return;
  if (saved.totalSteps === now.totalSteps && saved.warmupSteps === now.warmupSteps) return;
  throw new CliError(
    `${file}: this run was started for ${saved.totalSteps} steps with a ${saved.warmupSteps}-step warm-up; this command asks for ` +
      `${now.totalSteps} steps with a ${now.warmupSteps}-step warm-up (${now.stepsPerEpoch} steps per epoch). The learning-rate schedule ` +
      `depends on both, so --resume needs the same length: pass the original --epochs/--steps (and the same manifest, fold, batch ` +
      `and sampling), or start a new --out.`,
  );
}
