/**
 * The cpu conv kernels on the thread pool: bit-identical for 1, 2 and 3 threads, and a worker
 * that fails or dies surfaces as an exception (then single-threaded), never a hang. Workers are
 * real worker_threads started by the Node spawner the CLI uses.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeKernelWorkerSpawner } from '../../../node/kernelWorkers.ts';
import { conv3dGeom } from '../geometry.ts';
import { conv3dBackpropFilter, conv3dBackpropInput, conv3dForward, type Conv3DGeom } from './conv3d.ts';
import { CTRL } from './threadPool.ts';
import { activePool, configureKernelThreads, kernelThreadsInfo, shutdownKernelThreads } from './threads.ts';
import { THREAD_WORKER_SOURCE } from './threadWorkerSource.ts';

/** A seeded LCG in [−0.5, 0.5): no tfjs needed. */
function data(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = x / 2 ** 32 - 0.5;
  }
  return a;
}

interface Case { x: number[]; f: number[]; stride: number | [number, number, number]; pad: 'same' | 'valid' }
const CASES: Case[] = [
  { x: [2, 7, 9, 5, 3], f: [3, 3, 3, 3, 11], stride: 1, pad: 'same' },
  { x: [2, 9, 6, 7, 10], f: [3, 3, 3, 10, 5], stride: 2, pad: 'same' },
  { x: [1, 11, 8, 9, 12], f: [2, 3, 2, 12, 9], stride: [2, 1, 2], pad: 'valid' },
  { x: [1, 16, 16, 16, 8], f: [3, 3, 3, 8, 16], stride: 1, pad: 'same' },
];

function runCase(c: Case, seed: number): Float32Array[] {
  const g: Conv3DGeom = conv3dGeom(c.x, c.f, c.stride, c.pad);
  const x = data(c.x.reduce((p, v) => p * v), seed);
  const w = data(c.f.reduce((p, v) => p * v), seed + 1);
  const dy = data(g.batch * g.outD * g.outH * g.outW * g.outC, seed + 2);
  return [conv3dForward(x, w, g), conv3dBackpropInput(dy, w, g), conv3dBackpropFilter(x, dy, g)];
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const workerCalls = () => {
  const p = activePool();
  if (!p) return 0;
  const c = new Int32Array(p.w.memory.buffer, 0, CTRL.INTS);
  let n = 0;
  for (let k = 1; k < p.threads; k++) n += c[CTRL.HB + k];
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the case (letting events in between) until it throws; the error, or null. */
async function firstError(c: Case, tries = 5): Promise<Error | null> {
  for (let i = 0; i < tries; i++) {
    try {
      runCase(c, 5);
    } catch (e) {
      return e as Error;
    }
    await sleep(25);
  }
  return null;
}

describe('cpu conv3d kernels on threads', () => {
  afterAll(() => shutdownKernelThreads());

  it('gives bit-identical outputs and gradients for 1, 2 and 3 threads (stride 1 and 2, odd sizes, batch 2)', async () => {
    const results: Float32Array[][][] = [];
    // As used (the caller works too), and with the workers doing every task, so that their
    // results are compared whatever the timing.
    for (const [t, callerWorks] of [[1, true], [2, true], [3, true], [2, false], [3, false]] as const) {
      const info = await configureKernelThreads({ threads: t, spawn: nodeKernelWorkerSpawner, callerWorks });
      expect(info).toMatchObject({ threads: t, requested: t });
      results.push(CASES.map((c, i) => runCase(c, 100 + 10 * i)));
      if (!callerWorks) expect(workerCalls()).toBeGreaterThan(0);
    }
    for (let i = 0; i < CASES.length; i++)
      for (let k = 0; k < 3; k++) {
        expect(results[0][i][k].some((v) => v !== 0)).toBe(true);
        for (const r of results.slice(1)) expect(bytes(r[i][k]).equals(bytes(results[0][i][k]))).toBe(true);
      }
  }, 60_000);

  it('the worker source uses the same control-block layout as the pool', () => {
    const m = /var CTRL = (\{[^}]*\})/.exec(THREAD_WORKER_SOURCE);
    expect(m).not.toBeNull();
    expect(JSON.parse(m![1].replace(/(\w+):/g, '"$1":'))).toEqual(CTRL);
  });

  it('reports a worker that cannot start and stays single-threaded', async () => {
    const info = await configureKernelThreads({ threads: 2, spawn: (src) => nodeKernelWorkerSpawner(`${src}\nthrow new Error('cannot start here');`) });
    expect(info.threads).toBe(1);
    expect(info.requested).toBe(2);
    expect(info.reason).toMatch(/cannot start here/);
  });

  it('surfaces a worker error as an exception, then runs single-threaded with the reason recorded', async () => {
    const reference = (await configureKernelThreads({ threads: 1, spawn: nodeKernelWorkerSpawner }), runCase(CASES[3], 5));
    // Every task a worker runs throws; the caller's own tasks are fine.
    const faulty = (src: string) => nodeKernelWorkerSpawner(`${src}\nfunction runTask() { throw new Error('injected fault'); }`);
    expect(await configureKernelThreads({ threads: 2, spawn: faulty, callerWorks: false })).toMatchObject({ threads: 2 });
    const err = await firstError(CASES[3]);
    expect(err?.message).toMatch(/kernel worker 1 failed: Error: injected fault/);
    expect(kernelThreadsInfo()).toMatchObject({ threads: 1, requested: 2, reason: expect.stringMatching(/injected fault/) });
    runCase(CASES[3], 5).forEach((r, k) => expect(bytes(r).equals(bytes(reference[k]))).toBe(true));
  }, 30_000);

  it('surfaces a worker that dies in the middle of a task (no hang)', async () => {
    const dying = (src: string) => nodeKernelWorkerSpawner(`${src}\nfunction runTask() { process.exit(3); }`);
    expect(await configureKernelThreads({ threads: 2, spawn: dying, stallMs: 300, callerWorks: false })).toMatchObject({ threads: 2 });
    const err = await firstError(CASES[3]);
    // Blocked in the job, the caller sees the stall; between jobs, the spawner reports the exit.
    expect(err?.message).toMatch(/no progress for 0\.3 s on worker 1 \(task \d+\)|kernel worker 1: exited with code 3/);
    expect(kernelThreadsInfo().threads).toBe(1);
    expect(() => runCase(CASES[3], 5)).not.toThrow();
  }, 30_000);
});
