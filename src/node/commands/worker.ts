/**
 * `freetumor worker --queue redis://HOST:PORT/NAME`: run the case jobs that `synthesize`,
 * `evaluate` and `cache` enqueue with --queue, on this machine, until stopped.
 */
import { parseArgs, requiredFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { WORKER_FLAGS, workerOptions } from '../queue/options.ts';
import { runWorker } from '../queue/workerProcess.ts';

const help = `usage: freetumor worker --queue redis://HOST:PORT/NAME [options]

Takes the case jobs that \`freetumor synthesize|evaluate|cache --queue URL\` enqueue, one at a time,
and writes each case's outputs into the coordinator's --out (or --cache) path, which this machine
must see at the same absolute path (a shared filesystem), as it must the manifest, the scans and
the checkpoints. Start any number, on any machines. A job whose result already exists for the
same config is acknowledged without running; a failed job is retried (the coordinator's
--attempts, with exponential backoff); a worker that dies mid-job loses nothing: once its lock
expires another worker runs the case again from the start.
Stops on SIGINT/SIGTERM after the job in hand, or after --idle-exit-ms without a job.
stderr: one line per job (start, done with its time, skipped, failed).
options:
  --queue URL          redis://[USER:PASSWORD@]HOST:PORT/NAME[?db=N] (required)
  --lock-ms MS         job lock time: how long a dead worker's job waits before another takes it
                       (default 30000; renewed every MS/2 while the job runs)
  --stalled-ms MS      how often this worker looks for stalled jobs (default 15000)
  --max-stalled N      times a job may stall (its worker die) before it fails (default 2)
  --idle-exit-ms MS    exit after MS without a job (default: run until stopped), e.g. for a
                       Kubernetes Job`;

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, WORKER_FLAGS, 'worker');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const opts = workerOptions(args, requiredFlag(args, 'queue'));
    try {
      await runWorker(opts);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    return 0;
  },
};
