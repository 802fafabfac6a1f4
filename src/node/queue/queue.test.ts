/**
 * The queue end to end, with a real redis-server and real `freetumor` processes: a coordinator per
 * command and three workers synthesise the demo cases; one worker is SIGKILLed the moment it starts
 * a job; every job still finishes, each case runs to completion exactly once, and the outputs equal
 * a single-process run's byte for byte. The two surviving workers then serve `cache --queue` and
 * `evaluate --queue` (a worker serves any command's jobs), each compared with its single-process
 * run the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../../core/labels.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { DEMO_MODELS_DIR } from '../demoModels.ts';
import { readNiftiFile, writeNiftiFile } from '../io.ts';
import { runCliProcess } from '../testing/cliProcess.ts';
import { demoPairs, runCli } from '../train/testRun.ts';
import { RESULTS_DIR } from './jobs.ts';
import { redisServerAvailable, REDIS_INSTALL_HINT, startRedisServer, type RedisServer } from './redisServer.ts';

const BIN = fileURLToPath(new URL('../../../bin/freetumor.mjs', import.meta.url));
const CASES = ['a', 'b', 'c', 'd'];
// Short lock and stall checks so a killed worker's job is back in the queue within seconds.
const WORKER_FLAGS = ['--lock-ms', '3000', '--stalled-ms', '1000'];

interface WorkerProc {
  child: ChildProcess;
  stderr: string;
  exited: Promise<number | null>;
}

function startWorker(url: string, onLine: (w: WorkerProc, line: string) => void): WorkerProc {
  const child = spawn(process.execPath, [BIN, 'worker', '--queue', url, ...WORKER_FLAGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  const w: WorkerProc = { child, stderr: '', exited: new Promise((r) => child.on('exit', (code) => r(code))) };
  let partial = '';
  child.stderr!.on('data', (d) => {
    w.stderr += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine(w, l);
  });
  return w;
}

/** A box of `size` voxels around the image's liver-tumour labels (2), with the origin moved to match. */
async function cropAroundTumour(image: string, label: string, imageOut: string, labelOut: string, size: Vec3) {
  const img = (await readNiftiFile(image)).volume;
  const lab = (await readNiftiFile(label)).volume;
  const [X, Y] = img.dims;
  const centre = [0, 0, 0];
  let n = 0;
  lab.data.forEach((v, i) => {
    if (v !== ORGAN_IDS.liver.tumor) return;
    centre[0] += i % X;
    centre[1] += Math.floor(i / X) % Y;
    centre[2] += Math.floor(i / (X * Y));
    n++;
  });
  expect(n).toBeGreaterThan(0);
  const start = [0, 1, 2].map((a) => Math.max(0, Math.min(img.dims[a] - size[a], Math.round(centre[a] / n) - (size[a] >> 1))));
  const crop = <T extends Float32Array | Uint8Array>(d: ArrayLike<number>, out: T): T => {
    for (let z = 0; z < size[2]; z++)
      for (let y = 0; y < size[1]; y++)
        for (let x = 0; x < size[0]; x++) out[x + size[0] * (y + size[1] * z)] = d[x + start[0] + X * (y + start[1] + Y * (z + start[2]))];
    return out;
  };
  const A = img.affine;
  const affine = [...A] as Mat4;
  for (let r = 0; r < 3; r++) affine[4 * r + 3] = A[4 * r] * start[0] + A[4 * r + 1] * start[1] + A[4 * r + 2] * start[2] + A[4 * r + 3];
  const n3 = size[0] * size[1] * size[2];
  await writeNiftiFile(imageOut, { dims: size, affine, data: crop(img.data, new Float32Array(n3)) });
  await writeNiftiFile(labelOut, { dims: size, affine, data: crop(lab.data, new Uint8Array(n3)) }, { datatype: 'uint8' });
}

/** Every file under `dir` (but the queue's own result files), path → bytes. */
async function tree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== RESULTS_DIR) await walk(p);
      } else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

async function expectSameTree(queued: string, single: string) {
  const a = await tree(queued);
  const b = await tree(single);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of b) expect(a.get(k)!.equals(v), `${k} differs from the single-process run`).toBe(true);
}

const haveRedis = redisServerAvailable();
if (!haveRedis) console.warn(`SKIPPED queue tests: ${REDIS_INSTALL_HINT}`);

describe.skipIf(!haveRedis)('freetumor --queue (real redis-server, worker processes)', () => {
  let redis: RedisServer;
  let dir: string;
  const workers: WorkerProc[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'ftw-queue-'));
    await demoPairs(join(dir, 'pairs'), CASES);
    const m = await runCli('manifest', '--out', join(dir, 'manifest.json'), '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '2');
    expect(m.code, m.stderr).toBe(0);
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('3 workers, one SIGKILLed mid-job: every case once, outputs equal a single-process run', { timeout: 120_000 }, async () => {
    const url = redis.url('synth');
    let killed: WorkerProc | null = null;
    let killedCase = '';
    for (let n = 0; n < 3; n++)
      workers.push(
        startWorker(url, (w, line) => {
          const m = / start synthesize \d+\/\d+ (\S+)/.exec(line);
          if (m && !killed) {
            killed = w;
            killedCase = m[1];
            w.child.kill('SIGKILL');
          }
        }),
      );
    const out = join(dir, 'syn');
    const cache = join(dir, 'cache');
    const argv = ['synthesize', '--manifest', join(dir, 'manifest.json'), '--generator', join(DEMO_MODELS_DIR, 'demo-generator.safetensors'), '--segmentor', join(DEMO_MODELS_DIR, 'demo-segmentor.safetensors'), '--out', out, '--cache', cache, '--backend', 'cpu', '--retries', '2', '--seed', '3', '--threshold', '0'];
    const q = await runCliProcess([...argv, '--queue', url, '--poll-ms', '200'], { timeoutMs: 90_000 });
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/synthesize: 4\/4 done in/);

    // The killed worker started a case and did not finish it; someone else did, once.
    expect(killed).not.toBeNull();
    expect(await killed!.exited).toBe(null);
    expect(killed!.stderr).not.toMatch(/ done synthesize/);
    const done = workers.flatMap((w) => [...w.stderr.matchAll(/ done synthesize \d+\/\d+ (\S+)/g)].map((m) => m[1]));
    expect(done.sort()).toEqual(CASES.map((c) => `demo/${c}`).sort());
    expect(done).toContain(killedCase);
    const survivors = workers.filter((w) => w !== killed);
    expect(survivors.map((w) => w.stderr).join('')).toMatch(new RegExp(`start synthesize \\d+/\\d+ ${killedCase.replace('/', '\\/')} \\(job \\S+, attempt 1\\)`));

    // The same command without --queue (in this process), into the same paths (moved aside first): same bytes.
    await rename(out, `${out}.queued`);
    await rename(cache, `${cache}.queued`);
    const s = await runCli(...argv);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual(JSON.parse(s.stdout));
    expect(JSON.parse(s.stdout).written).toBeGreaterThan(0);
    await expectSameTree(`${out}.queued`, out);
    // The workers built each case's cache file exactly as the single-process build did.
    const qc = await tree(`${cache}.queued`);
    const sc = await tree(cache);
    for (const [k, v] of qc) expect(sc.get(k)?.equals(v), k).toBe(true);
    expect(qc.size).toBe(CASES.length);

    // Enqueueing again runs nothing: every result exists for this config.
    const again = await runCli(...argv.map((a) => (a === out ? `${out}.queued` : a === cache ? `${cache}.queued` : a)), '--queue', url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/4 case job\(s\) .*\(4 already done for this config\)/);
  });

  it('cache --queue and evaluate --queue equal their single-process runs', { timeout: 120_000 }, async () => {
    // The two surviving workers of the test above: a worker serves any command's jobs.
    const url = redis.url('synth');
    if (workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 2) workers.push(startWorker(url, () => {}), startWorker(url, () => {}));
    const cacheArgv = ['cache', '--manifest', join(dir, 'manifest.json'), '--cache', join(dir, 'cache2'), '--preset', 'tiny'];
    const qc = await runCliProcess([...cacheArgv, '--queue', url, '--poll-ms', '200'], { timeoutMs: 60_000 });
    expect(qc.code, qc.stderr).toBe(0);
    expect(JSON.parse(qc.stdout)).toMatchObject({ cases: 4, builtNow: 4 });
    await rename(join(dir, 'cache2'), join(dir, 'cache2.queued'));
    const sc = await runCli(...cacheArgv);
    expect(sc.code, sc.stderr).toBe(0);
    expect(JSON.parse(sc.stdout)).toMatchObject({ cases: 4, builtNow: 4 });
    await expectSameTree(join(dir, 'cache2.queued'), join(dir, 'cache2'));

    // A case that fails every time (its scan is missing) is retried with backoff, then reported.
    await writeFile(join(dir, 'broken.json'), JSON.stringify({ version: 1, root: '.', folds: 1, seed: 0, cases: [{ id: 'gone', source: 'demo', image: 'gone.nii.gz', label: 'gone-seg.nii.gz', labelMap: 'totalsegmentator', labeled: false, fold: 0 }] }));
    const fails = await runCliProcess(['cache', '--manifest', join(dir, 'broken.json'), '--cache', join(dir, 'cache3'), '--queue', url, '--attempts', '2', '--backoff-ms', '100', '--poll-ms', '100'], { timeoutMs: 60_000 });
    expect(fails.code).toBe(2);
    expect(fails.stderr).toMatch(/1 job\(s\) failed after 2 attempt\(s\):\n {2}gone: .*gone\.nii\.gz/);
    const tries = workers.flatMap((w) => [...w.stderr.matchAll(/ start cache 1\/1 gone \(job \S+, attempt (\d)\)/g)].map((m) => Number(m[1])));
    expect(tries.sort()).toEqual([1, 2]);

    // Evaluate labelled cases: crops of the synthetic cases around their new tumours (a whole scan
    // takes hundreds of windows on the cpu backend).
    const syn = JSON.parse(await readFile(join(dir, 'syn', 'manifest.json'), 'utf8')) as { cases: { id: string; image: string; label: string }[] };
    await mkdir(join(dir, 'crops'));
    const cases = [];
    for (const [k, c] of syn.cases.entries()) {
      await cropAroundTumour(join(dir, 'syn', c.image), join(dir, 'syn', c.label), join(dir, 'crops', `i${k}.nii.gz`), join(dir, 'crops', `l${k}.nii.gz`), [40, 40, 24]);
      cases.push({ id: `crop/${k}`, source: 'synthetic', image: `i${k}.nii.gz`, label: `l${k}.nii.gz`, labelMap: 'project', labeled: true, fold: 0 });
    }
    await writeFile(join(dir, 'crops', 'manifest.json'), JSON.stringify({ version: 1, root: '.', folds: 1, seed: 0, cases }));
    const evalOut = join(dir, 'eval');
    const evalArgv = ['evaluate', '--manifest', join(dir, 'crops', 'manifest.json'), '--checkpoint', join(DEMO_MODELS_DIR, 'demo-segmentor.safetensors'), '--out', evalOut, '--backend', 'cpu', '--overlap', '0'];
    const qe = await runCliProcess([...evalArgv, '--queue', url, '--poll-ms', '200'], { timeoutMs: 90_000 });
    expect(qe.code, qe.stderr).toBe(0);
    await rename(evalOut, `${evalOut}.queued`);
    const se = await runCli(...evalArgv);
    expect(se.code, se.stderr).toBe(0);
    expect(qe.stdout).toBe(se.stdout);
    await expectSameTree(`${evalOut}.queued`, evalOut);
    expect((await stat(join(evalOut, 'evaluation.json'))).size).toBeGreaterThan(0);
  });
});
