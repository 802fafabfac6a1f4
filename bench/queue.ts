/**
 * Queue throughput (not a test): `synthesize --queue` on N copies of the demo CT (each its own
 * case id, so its own seeded draws) with 1, 2 and 4 `freetumor worker` processes on this machine,
 * against a private redis-server. Jobs/s counts from the first job enqueued to the last result
 * written, so each worker's first-job setup (compute thread, tfjs, checkpoints) is included, as
 * it is in a real run. A second pass of the same command measures the queue's own overhead:
 * every result exists, so nothing is enqueued and no worker computes.
 *
 *   npm run bench:queue -- [--cases 8] [--workers 1,2,4]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CT, DEMO_MODELS_DIR, DEMO_SEG } from '../src/node/demoModels.ts';
import { startRedisServer } from '../src/node/queue/redisServer.ts';
import { machineLine } from './machine.ts';

const BIN = fileURLToPath(new URL('../bin/freetumor.mjs', import.meta.url));
const argOf = (name: string, fallback: string) => {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1] : fallback;
};
const N = Number(argOf('cases', '8'));
const WORKERS = argOf('workers', '1,2,4').split(',').map(Number);

function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function startWorker(url: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--lock-ms', '10000', '--stalled-ms', '5000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d) => {
      err += d;
      if (/waiting for jobs/.test(err)) resolve(c);
    });
    c.on('exit', (code) => reject(new Error(`worker exited (${code}):\n${err}`)));
  });
}

async function main() {
  console.log(machineLine());
  const redis = await startRedisServer();
  const dir = await mkdtemp(join(tmpdir(), 'ftw-bench-queue-'));
  try {
    await mkdir(join(dir, 'pairs', 'images'), { recursive: true });
    await mkdir(join(dir, 'pairs', 'labels'), { recursive: true });
    for (let k = 0; k < N; k++) {
      await copyFile(DEMO_CT, join(dir, 'pairs', 'images', `c${k}.nii.gz`));
      await copyFile(DEMO_SEG, join(dir, 'pairs', 'labels', `c${k}.nii.gz`));
    }
    const manifest = join(dir, 'manifest.json');
    const m = await cli(['manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '2']);
    if (m.code !== 0) throw new Error(m.stderr);
    console.log(`${N} cases (the demo CT, tiny demo models, cpu backend); workers on this machine`);
    console.log('| workers | jobs | wall s | jobs/s | re-run with every result present, s |');
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    for (const w of WORKERS) {
      const url = redis.url(`bench-${w}`);
      const workers = await Promise.all(Array.from({ length: w }, () => startWorker(url)));
      const out = join(dir, `out-${w}`);
      const argv = ['synthesize', '--manifest', manifest, '--generator', join(DEMO_MODELS_DIR, 'demo-generator.safetensors'), '--segmentor', join(DEMO_MODELS_DIR, 'demo-segmentor.safetensors'), '--out', out, '--cache', join(dir, `cache-${w}`), '--backend', 'cpu', '--retries', '2', '--queue', url, '--poll-ms', '100'];
      const r = await cli(argv);
      if (r.code !== 0) throw new Error(r.stderr);
      const done = /done in \S+ \((\d+\.\d+) jobs\/s\)/.exec(r.stderr);
      const jobsPerS = done ? Number(done[1]) : NaN;
      const t0 = performance.now();
      const again = await cli(argv);
      if (again.code !== 0) throw new Error(again.stderr);
      const rerun = (performance.now() - t0) / 1000;
      console.log(`| ${w} | ${N} | ${(N / jobsPerS).toFixed(1)} | ${jobsPerS.toFixed(2)} | ${rerun.toFixed(1)} |`);
      for (const p of workers) p.kill('SIGTERM');
      await Promise.all(workers.map((p) => new Promise((res) => (p.exitCode !== null ? res(null) : p.on('exit', res)))));
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
