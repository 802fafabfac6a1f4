import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { latestCheckpoint, runLoop, type RunLoopOptions } from './runLoop.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A "model" whose state is one number: each step adds a pseudo-random increment. */
function toyRun(outDir: string, totalSteps: number, resume: boolean, failAt?: number): RunLoopOptions & { state: { x: number } } {
  const state = { x: 0 };
  return {
    state,
    outDir,
    label: 'toy',
    totalSteps,
    checkpointEvery: 3,
    resume,
    async step(step) {
      if (step === failAt) throw new Error('killed');
      state.x = (state.x * 31 + step + 7) % 1000003;
      return { x: state.x };
    },
    async save(dir, step) {
      await writeFile(join(dir, 'state.json'), JSON.stringify({ x: state.x, step }));
    },
    async load(dir) {
      const s = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
      state.x = s.x;
      return s.step;
    },
  };
}

describe('runLoop', () => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

  it('a run killed mid-way and resumed ends where an uninterrupted run ends', async () => {
    const a = await mkdtemp(join(tmpdir(), 'ftw-run-'));
    const b = await mkdtemp(join(tmpdir(), 'ftw-run-'));
    dirs.push(a, b);
    const whole = toyRun(a, 10, false);
    expect((await runLoop(whole)).finalStep).toBe(10);

    await expect(runLoop(toyRun(b, 10, false, 7))).rejects.toThrow('killed');
    expect(await latestCheckpoint(b)).toMatch(/step-00000006$/);
    const resumed = toyRun(b, 10, true);
    const r = await runLoop(resumed);
    expect(r.resumedFrom).toBe(6);
    expect(resumed.state.x).toBe(whole.state.x);

    // Metrics hold each step exactly once, the lost step 7 logged again by the resumed run.
    const steps = (await readFile(join(b, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Old checkpoints are pruned; no partial directory is left.
    const names = await readdir(join(b, 'checkpoints'));
    expect(names.some((n) => n.includes('partial'))).toBe(false);
    expect(names).toContain('step-00000010');
  });

  it('a partial checkpoint directory from a crash is never taken for a checkpoint', async () => {
    const d = await mkdtemp(join(tmpdir(), 'ftw-run-'));
    dirs.push(d);
    const opts = toyRun(d, 3, false);
    await runLoop(opts);
    const bad = toyRun(d, 6, false);
    bad.save = async () => {
      throw new Error('disk full');
    };
    await expect(runLoop({ ...bad, resume: true })).rejects.toThrow('disk full');
    expect(await latestCheckpoint(d)).toMatch(/step-00000003$/);
  });
});
