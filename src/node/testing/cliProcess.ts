/**
 * Test support: run `freetumor` as a user does (its own node process, through bin/freetumor.mjs)
 * and report its exit code, output, wall time and peak resident memory. A time limit kills it, so
 * a command that hangs or reads without end fails the test instead of stalling the suite.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/freetumor.mjs', import.meta.url));
// maxRSS is written synchronously at exit: stderr to a pipe is asynchronous and would be cut off.
const REPORT_PEAK = "data:text/javascript,import {writeSync} from 'node:fs'; process.on('exit', () => writeSync(2, '\\nfreetumor-test-maxrss-kib=' + process.resourceUsage().maxRSS + '\\n'))";

export interface CliProcessRun {
  /** null when killed by the time limit. */
  code: number | null;
  stdout: string;
  /** stderr without the memory report. */
  stderr: string;
  ms: number;
  /** Peak resident memory in MiB; NaN when the process was killed before reporting. */
  peakMiB: number;
}

export function runCliProcess(argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliProcessRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', REPORT_PEAK, BIN, ...argv], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /\nfreetumor-test-maxrss-kib=(\d+)\n/.exec(stderr);
      resolve({
        code,
        stdout,
        stderr: m ? stderr.replace(m[0], '') : stderr,
        ms: performance.now() - t0,
        peakMiB: m ? Number(m[1]) / 1024 : NaN,
      });
    });
  });
}
