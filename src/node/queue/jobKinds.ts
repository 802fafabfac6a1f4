/**
 * The worker side of each job kind: a setup built once from the command's argv (checkpoints,
 * backend, networks), then one call per case that writes the case's outputs and returns what the
 * coordinator needs to write the final manifest or report.
 */
import type { CaseJob, JobKind } from './jobs.ts';

export interface JobContext {
  run(job: CaseJob, progress: (p: Record<string, unknown>) => void): Promise<unknown>;
  dispose(): void;
}

export const JOB_KINDS: Record<JobKind, () => Promise<{ openJobContext(argv: string[]): Promise<JobContext> }>> = {
  synthesize: () => import('../commands/synthesize.ts'),
  evaluate: () => import('../commands/evaluate.ts'),
  cache: () => import('../commands/cache.ts'),
};
