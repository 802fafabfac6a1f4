/**
 * Long-run behaviour of the training commands, through the real CLI: Ctrl-C (SIGINT to a child
 * process) saves a checkpoint and exits cleanly, and resuming that run ends with the same weights
 * as a run that was never interrupted (same crops, same random stream).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../models/index.ts';
import { latestCheckpoint } from './runLoop.ts';
import { demoPairs, jsonLines, REPO, runCli, TINY_TEST_CONFIG, writeJson } from './testRun.ts';

let dir: string;
let manifest: string;
const STEPS = 6;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-resume-'));
  await demoPairs(join(dir, 'pairs'), ['a']);
  await writeJson(join(dir, 'config.json'), { ...TINY_TEST_CONFIG, run: { ...TINY_TEST_CONFIG.run, batch: 1, checkpointEvery: 1000 } });
  manifest = join(dir, 'manifest.json');
  expect((await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '1')).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const args = (out: string) => [
  'train-segmentor', '--manifest', manifest, '--out', out, '--preset', 'tiny', '--config', join(dir, 'config.json'),
  '--backend', 'cpu', '--cache', join(dir, 'cache'), '--handcrafted-tumours', '--steps', String(STEPS), '--seed', '5',
];

async function weights(runDir: string): Promise<Map<string, Float32Array>> {
  const ck = readCheckpoint(new Uint8Array(await readFile(join((await latestCheckpoint(runDir))!, 'model.safetensors'))));
  return new Map([...ck.tensors].map(([k, t]) => [k, t.data]));
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('training runs: Ctrl-C and --resume', () => {
  it('SIGINT saves a checkpoint and exits; --resume then ends where an uninterrupted run ends', { timeout: 240_000 }, async () => {
    const whole = join(dir, 'whole');
    expect((await runCli(...args(whole))).code).toBe(0);

    const cut = join(dir, 'cut');
    const child = spawn(process.execPath, [join(REPO, 'bin/freetumor.mjs'), ...args(cut)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Interrupt once the first step is logged (mid-run: checkpoints are only due at the end).
    await waitFor(async () => (await readFile(join(cut, 'metrics.jsonl'), 'utf8').catch(() => '')).trim().length > 0, 180_000);
    child.kill('SIGINT');
    const code = await exited;
    expect(stderr).toMatch(/stopping after this step and saving a checkpoint/);
    expect(stderr).toMatch(/interrupted at step \d+; checkpoint saved/);
    expect(code).toBe(130);
    const latest = await latestCheckpoint(cut);
    expect(latest).not.toBeNull();
    const stoppedAt = Number(/step-(\d+)$/.exec(latest!)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(STEPS);
    expect((await stat(join(latest!, 'model.safetensors'))).size).toBeGreaterThan(0);

    const resumed = await runCli(...args(cut), '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed from .*step-0*${stoppedAt} \\(step ${stoppedAt}\\)`));
    const steps = jsonLines<{ step: number }>(await readFile(join(cut, 'metrics.jsonl'), 'utf8')).map((l) => l.step);
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, n) => n + 1));

    const a = await weights(whole);
    const b = await weights(cut);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    let maxDiff = 0;
    for (const [k, x] of a) {
      const y = b.get(k)!;
      for (let n = 0; n < x.length; n++) maxDiff = Math.max(maxDiff, Math.abs(x[n] - y[n]));
    }
    expect(maxDiff).toBeLessThan(1e-6);
    // The losses logged after the resume are those of the uninterrupted run.
    const la = jsonLines<{ loss: number }>(await readFile(join(whole, 'metrics.jsonl'), 'utf8')).map((l) => l.loss);
    const lb = jsonLines<{ loss: number }>(await readFile(join(cut, 'metrics.jsonl'), 'utf8')).map((l) => l.loss);
    for (let n = 0; n < STEPS; n++) expect(lb[n]).toBeCloseTo(la[n], 5);
  });
});
