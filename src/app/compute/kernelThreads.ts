/**
 * The cpu kernels' threads in the browser: nested dedicated workers made from the kernel pool's
 * self-contained source, on every core when the page is cross-origin isolated (SharedArrayBuffer
 * exists only there), one thread otherwise. Worker-only: the pool blocks its caller with
 * Atomics.wait, which a page's main thread may not do.
 */
import { configureKernelThreads, kernelThreadsInfo, type KernelThreadsInfo, type KernelWorkerLike, type KernelWorkerSpawner } from '../../models/kernels/index.ts';

/** What the status bar says when SharedArrayBuffer is withheld (see vite.config.ts's headers). */
export const NOT_ISOLATED = 'page not cross-origin isolated';

// One Blob URL per distinct source, kept for the worker's life: revoking it as soon as a Worker
// is constructed can race the browser's fetch of the script, and there is only ever one source.
const blobUrls = new Map<string, string>();

/** A KernelWorkerSpawner for browsers: a classic dedicated worker running `source` from a Blob URL. */
export const spawnBlobWorker: KernelWorkerSpawner = (source: string): KernelWorkerLike => {
  let url = blobUrls.get(source);
  if (!url) {
    url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    blobUrls.set(source, url);
  }
  const worker = new Worker(url, { name: 'ftw-kernel-thread' });
  return {
    postMessage: (m) => worker.postMessage(m),
    terminate: () => worker.terminate(),
    onError: (cb) => {
      worker.addEventListener('error', (e) => {
        // Handled here: the pool reports it (and falls back), so it need not reach the console too.
        e.preventDefault();
        cb(new Error(`kernel thread failed: ${e.message || 'its script could not load (CSP worker-src, or no nested workers)'}`));
      });
      worker.addEventListener('messageerror', () => cb(new Error('kernel thread could not read a message')));
    },
  };
};

interface WorkerGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/** navigator.hardwareConcurrency, or 1 where the browser withholds it. */
export function coreCount(): number {
  const n = (globalThis as WorkerGlobals).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * Start the pool with `requested` threads (default: every core) if this worker is cross-origin
 * isolated; otherwise leave the kernels single-threaded and say why. Never throws: a pool that
 * cannot start is reported as one thread with the error as the reason.
 */
export async function startKernelThreads(requested: number = coreCount()): Promise<KernelThreadsInfo> {
  if ((globalThis as WorkerGlobals).crossOriginIsolated !== true) {
    return { ...kernelThreadsInfo(), threads: 1, requested, reason: NOT_ISOLATED };
  }
  try {
    return await configureKernelThreads({ threads: requested, spawn: spawnBlobWorker });
  } catch (err) {
    return { ...kernelThreadsInfo(), threads: 1, requested, reason: err instanceof Error ? err.message : String(err) };
  }
}

let started: Promise<KernelThreadsInfo> | null = null;

/**
 * startKernelThreads, once per worker: the compute, lab and study workers each call it when they
 * settle on the cpu backend, and a later fallback to cpu reuses the pool already running.
 */
export function kernelThreadsOnce(requested?: number): Promise<KernelThreadsInfo> {
  started ??= startKernelThreads(requested);
  return started;
}
