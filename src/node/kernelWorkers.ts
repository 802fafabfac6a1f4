/**
 * Node's side of the cpu kernel thread pool (src/models/kernels/cpu/threads.ts): how to start a
 * kernel worker (worker_threads, from source text) and how many threads to ask for.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KernelWorkerLike, KernelWorkerSpawner } from '../models/kernels/index.ts';

/** Gives the worker source the browser's onmessage / postMessage / close on worker_threads. */
const SHIM = `const { parentPort } = require('node:worker_threads');
globalThis.postMessage = (m) => parentPort.postMessage(m);
globalThis.close = () => parentPort.close();
parentPort.on('message', (data) => globalThis.onmessage && globalThis.onmessage({ data }));
`;

/**
 * Starts a kernel worker as an eval'd worker_threads Worker. Unref'd: an idle pool never keeps
 * the process alive. An error or an exit the pool did not ask for reaches onError.
 */
export const nodeKernelWorkerSpawner: KernelWorkerSpawner = (source: string): KernelWorkerLike => {
  const w = new Worker(SHIM + source, { eval: true });
  w.unref();
  let terminating = false;
  const listeners: ((err: Error) => void)[] = [];
  w.on('error', (e) => listeners.forEach((cb) => cb(e instanceof Error ? e : new Error(String(e)))));
  w.on('exit', (code) => {
    if (!terminating) listeners.forEach((cb) => cb(new Error(`exited with code ${code}`)));
  });
  return {
    postMessage: (m) => w.postMessage(m),
    terminate: () => {
      terminating = true;
      return w.terminate();
    },
    onError: (cb) => listeners.push(cb),
  };
};

/**
 * Kernel threads for this process: `requested` if given, else FREETUMOR_THREADS, else every core
 * shared among `replicas` data-parallel replicas (at least 1). 1 turns threading off.
 */
export function kernelThreadCount(requested?: number, replicas = 1, env: Record<string, string | undefined> = process.env): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new Error(`kernel threads must be a positive integer, got ${requested}`);
    return requested;
  }
  const v = env.FREETUMOR_THREADS;
  if (v !== undefined && v.trim() !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`FREETUMOR_THREADS must be a positive integer (1 = off), got "${v}"`);
    return n;
  }
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, replicas)));
}
