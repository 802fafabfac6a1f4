/**
 * How many threads the cpu conv3d kernels use, and the runner they run on. Until
 * configureKernelThreads is called (by the Node entry point or the browser's tfjs worker, each
 * bringing its own way to start a worker) the kernels run on the calling thread alone.
 *
 *   await configureKernelThreads({ threads: 4, spawn })  → { threads: 4, requested: 4 }
 *                                                          or { threads: 1, requested: 4, reason }
 *   kernelThreadsInfo()                                    what is in effect now
 *   await shutdownKernelThreads()                          back to one thread, workers stopped
 *
 * Results are bit-identical for any thread count (threadPool.ts), so this is a speed setting only.
 */
import { relaxedSimdAvailable } from './wasmGemm.ts';
import { PoolRunner, SingleRunner, type GemmRunner, type KernelWorkerSpawner, type PoolOptions } from './threadPool.ts';

export type { KernelWorkerLike, KernelWorkerSpawner } from './threadPool.ts';

export interface KernelThreadsInfo {
  threads: number;
  requested: number;
  /** Why fewer threads than requested run, e.g. 'not cross-origin isolated (no SharedArrayBuffer)'. */
  reason?: string;
  /** Whether the GEMM uses relaxed-SIMD fused multiply-add (wasmGemm.ts; off with FREETUMOR_RELAXED_SIMD=0). */
  relaxedSimd?: boolean;
}

let info: KernelThreadsInfo = { threads: 1, requested: 1 };
let pool: PoolRunner | null = null;
let single: SingleRunner | null | undefined;

function singleRunner(): SingleRunner | null {
  if (single === undefined) single = SingleRunner.create();
  return single;
}

/** Why this thread cannot run a pool, or null if it can. */
function unavailableReason(): string | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) return 'not cross-origin isolated (no SharedArrayBuffer)';
  try {
    // Throws on a browser's main thread, where blocking is forbidden.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return 'Atomics.wait is not allowed on this thread (a browser main thread): run tfjs in a Worker';
  }
  return null;
}

/**
 * Use `threads` threads (the caller and threads − 1 workers started with `spawn`) from now on.
 * Never throws for an environment that cannot: it falls back to one thread and says why.
 */
export async function configureKernelThreads(opts: { threads: number; spawn: KernelWorkerSpawner } & PoolOptions): Promise<KernelThreadsInfo> {
  const requested = opts.threads;
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`kernel threads must be a positive integer, got ${requested}`);
  await shutdownKernelThreads();
  if (requested === 1) {
    info = { threads: 1, requested };
    return kernelThreadsInfo();
  }
  const why = unavailableReason();
  if (why) {
    info = { threads: 1, requested, reason: why };
    return kernelThreadsInfo();
  }
  try {
    const p = await PoolRunner.start(requested, opts.spawn, opts);
    p.onFailure = (reason) => {
      if (pool !== p) return;
      pool = null;
      info = { ...info, threads: 1, reason };
    };
    pool = p;
    info = { threads: requested, requested };
  } catch (e) {
    info = { threads: 1, requested, reason: (e as Error).message };
  }
  return kernelThreadsInfo();
}

export function kernelThreadsInfo(): KernelThreadsInfo {
  return { ...info, relaxedSimd: relaxedSimdAvailable() };
}

/** Stop the workers (if any); the kernels run on the calling thread afterwards. */
export async function shutdownKernelThreads(): Promise<void> {
  const p = pool;
  pool = null;
  info = { threads: 1, requested: 1 };
  if (p) await p.shutdown();
}

/** The runner the kernels use now, or null without WebAssembly SIMD. */
export function kernelRunner(): GemmRunner | null {
  return pool ?? singleRunner();
}

/** For tests: the pool in use, if any. */
export function activePool(): PoolRunner | null {
  return pool;
}
