/**
 * Test aid for e2e/threads.spec.ts, run inside the compute worker: one seeded Conv3D (through the
 * registered cpu kernel, as every model runs it) at each thread count, so the spec can hold the
 * outputs bit-identical across counts (the kernels' fixed reduction order keeps training
 * reproducible). Read-only for the app: the pool is put back to what it was.
 */
import * as tf from '@tensorflow/tfjs';
import { configureKernelThreads, kernelThreadsInfo, type KernelThreadsInfo } from '../../models/kernels/index.ts';
import { spawnBlobWorker } from './kernelThreads.ts';

export interface ThreadCheckRun {
  /** The pool as configured for this run. */
  info: KernelThreadsInfo;
  /** The output's float32 values as their bit patterns (uint32), for an exact comparison. */
  bits: number[];
}

/** Big enough that the pool splits it across threads; small enough for a second on one core. */
const X_SHAPE: [number, number, number, number, number] = [1, 12, 12, 12, 16];
const W_SHAPE: [number, number, number, number, number] = [3, 3, 3, 16, 16];

export async function conv3dAcrossThreads(counts: number[], seed = 19): Promise<ThreadCheckRun[]> {
  if (tf.getBackend() !== 'cpu') throw new Error(`the thread check needs the cpu backend; this worker runs ${tf.getBackend()} (open the page with ?backend=cpu)`);
  const before = kernelThreadsInfo().threads;
  const runs: ThreadCheckRun[] = [];
  const x = tf.randomUniform(X_SHAPE, -1, 1, 'float32', seed);
  const w = tf.randomUniform(W_SHAPE, -1, 1, 'float32', seed + 1);
  try {
    for (const threads of counts) {
      const info = await configureKernelThreads({ threads, spawn: spawnBlobWorker });
      const y = tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 1, 1], 'same');
      const out = (await y.data()) as Float32Array;
      y.dispose();
      runs.push({ info, bits: Array.from(new Uint32Array(out.buffer, out.byteOffset, out.length)) });
    }
  } finally {
    x.dispose();
    w.dispose();
    await configureKernelThreads({ threads: before, spawn: spawnBlobWorker });
  }
  return runs;
}
