/** A child process with a wall-clock limit, its output collected, and its JSON result (the paper benchmarks' runner). */
import { spawn } from 'node:child_process';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed at the limit: what it printed until then is kept. */
  timedOut: boolean;
  seconds: number;
}

export function runProcess(cmd: string, args: string[], limitS: number, env: NodeJS.ProcessEnv = process.env): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, limitS * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The last line of a child's output that is a JSON object (its result), or null. */
export function lastJson(s: string): Record<string, unknown> | null {
  const line = s.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : null;
}
