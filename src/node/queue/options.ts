/**
 * The queue flags: the coordinator's (on synthesize / evaluate / cache) and the worker's. Every
 * default is a flag; the lock and stall timings are the worker's because BullMQ renews a job's lock
 * and detects stalled jobs in the workers.
 */
import { numberFlag, stringFlag, type FlagSpec, type ParsedArgs } from '../args.ts';
import { CliError } from '../cliTypes.ts';
import { parseQueueUrl, type QueueAddress } from './url.ts';

export const COORDINATOR_FLAGS: Record<string, FlagSpec> = {
  queue: { type: 'string' },
  attempts: { type: 'string' },
  'backoff-ms': { type: 'string' },
  'poll-ms': { type: 'string' },
};

export const COORDINATOR_HELP = `queue (run the cases as jobs on any number of \`freetumor worker\` processes):
  --queue redis://HOST:PORT/NAME  enqueue one job per case on queue NAME and wait; the workers
                   write each case's outputs into --out (a path every worker must see at the same
                   absolute path); this process then writes the final outputs. A case whose output
                   already exists for the same config is not run again
  --attempts N     tries per job before it fails (default 3)
  --backoff-ms MS  first retry delay, doubled each retry (default 2000)
  --poll-ms MS     how often the progress/ETA line is refreshed (default 1000)`;

export interface CoordinatorOptions {
  address: QueueAddress;
  attempts: number;
  backoffMs: number;
  pollMs: number;
}

export function coordinatorOptions(args: ParsedArgs): CoordinatorOptions | undefined {
  const url = stringFlag(args, 'queue');
  if (url === undefined) {
    for (const f of ['attempts', 'backoff-ms', 'poll-ms']) if (stringFlag(args, f) !== undefined) throw new CliError(`--${f} needs --queue`);
    return undefined;
  }
  return {
    address: parseQueueUrl(url),
    attempts: numberFlag(args, 'attempts', 3, { integer: true, min: 1 }),
    backoffMs: numberFlag(args, 'backoff-ms', 2000, { integer: true, min: 0 }),
    pollMs: numberFlag(args, 'poll-ms', 1000, { integer: true, min: 10 }),
  };
}

/** argv without the coordinator's flags: what config.json records, as a single-process run would. */
export function withoutQueueFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let n = 0; n < argv.length; n++) {
    const a = argv[n];
    const name = a.startsWith('--') ? a.slice(2).split('=')[0] : '';
    if (name in COORDINATOR_FLAGS) {
      if (!a.includes('=')) n++;
      continue;
    }
    out.push(a);
  }
  return out;
}

export const WORKER_FLAGS: Record<string, FlagSpec> = {
  queue: { type: 'string' },
  'lock-ms': { type: 'string' },
  'stalled-ms': { type: 'string' },
  'max-stalled': { type: 'string' },
  'idle-exit-ms': { type: 'string' },
};

export interface WorkerOptions {
  address: QueueAddress;
  lockMs: number;
  stalledMs: number;
  maxStalled: number;
  idleExitMs: number | undefined;
}

export function workerOptions(args: ParsedArgs, requiredQueue: string): WorkerOptions {
  const lockMs = numberFlag(args, 'lock-ms', 30_000, { integer: true, min: 100 });
  const idle = stringFlag(args, 'idle-exit-ms');
  return {
    address: parseQueueUrl(requiredQueue),
    lockMs,
    stalledMs: numberFlag(args, 'stalled-ms', 15_000, { integer: true, min: 100 }),
    maxStalled: numberFlag(args, 'max-stalled', 2, { integer: true, min: 0 }),
    idleExitMs: idle === undefined ? undefined : numberFlag(args, 'idle-exit-ms', 0, { integer: true, min: 0 }),
  };
}
