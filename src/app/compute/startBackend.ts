/**
 * Choosing a tfjs backend inside a worker (the compute worker, the quality lab's, the reader
 * study's): each candidate must register, initialise and then compute a known sum before it
 * counts — setBackend can succeed and the first kernel still fail. Worker-only: it imports tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { registerFastKernels, type KernelThreadsInfo } from '../../models/kernels/index.ts';
import { kernelThreadsOnce } from './kernelThreads.ts';

export interface BackendFailure {
  name: string;
  error: string;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Switch to `name`, register the project's kernels for it and prove it adds; throws why not. */
export async function useBackend(name: string): Promise<void> {
  if (!tf.findBackendFactory(name)) throw new Error('not registered');
  if (!(await tf.setBackend(name))) throw new Error('failed to initialise');
  await tf.ready();
  // The project's conv3d and step kernels (WGSL on webgpu, WebAssembly/JS on cpu); webgl keeps tfjs's.
  if (name === 'webgpu' || name === 'cpu') registerFastKernels({ backends: [name] });
  const out = await tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6]))).data();
  if (out[0] !== 5 || out[2] !== 9) throw new Error(`wrong result ${Array.from(out)}`);
}

export interface WorkingBackend<N extends string> {
  name: N;
  index: number;
  /** On cpu, the kernels' threads (every core when cross-origin isolated); null elsewhere. */
  threads: KernelThreadsInfo | null;
}

/**
 * The first backend of `order` (from index `start`) that works, or null; every one that did not
 * is appended to `failures` with its reason. On cpu the kernels' thread pool starts too, once per
 * worker, with `threads` threads (default every core).
 */
export async function firstWorkingBackend<N extends string>(order: readonly N[], failures: BackendFailure[], start = 0, threads?: number): Promise<WorkingBackend<N> | null> {
  for (let i = start; i < order.length; i++) {
    try {
      await useBackend(order[i]);
      return { name: order[i], index: i, threads: order[i] === 'cpu' ? await kernelThreadsOnce(threads) : null };
    } catch (err) {
      failures.push({ name: order[i], error: message(err) });
    }
  }
  return null;
}
