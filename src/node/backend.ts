/**
 * Backend selection for Node entry points (CLI, tests). src/models never picks a backend; this
 * file does, so the same model code runs on Dawn/WebGPU in Node and on tfjs's cpu kernels.
 *
 * tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is imported, so the
 * Dawn globals are installed first and the backend package is imported dynamically afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import { configureKernelThreads, registerFastKernels, shutdownKernelThreads, type KernelThreadsInfo } from '../models/kernels/index.ts';
import { kernelThreadCount, nodeKernelWorkerSpawner } from './kernelWorkers.ts';
import { quietNodeBackendAdvice } from './tfjsAdvice.ts';
import { enableRelaxedSimd } from './relaxedSimd.ts';

// Before any kernel compiles, so the conv GEMM gets fused multiply-add (see relaxedSimd.ts).
enableRelaxedSimd();

export type BackendChoice = 'webgpu' | 'cpu' | 'auto';

export interface BackendInfo {
  /** The tfjs backend now active. */
  backend: 'webgpu' | 'cpu';
  /** Human-readable adapter (e.g. "llvmpipe (LLVM 19…) — lavapipe") or "tfjs cpu". */
  adapter: string;
  /** When `auto` fell back to cpu (or webgpu was unavailable), why. */
  fallbackReason?: string;
  /** 'fast' when the project's conv3d kernels replace tfjs's (FREETUMOR_STOCK_KERNELS=1 keeps stock). */
  kernels: 'fast' | 'stock';
  /** The cpu conv kernels' threads (absent on webgpu and with stock kernels). */
  threads?: KernelThreadsInfo;
}

export interface InitBackendOptions {
  /**
   * Threads for the cpu conv kernels; default FREETUMOR_THREADS, else all cores shared among
   * `replicas`. 1 = single-threaded.
   */
  threads?: number;
  /** Data-parallel replicas in this process (each gets its share of the cores). */
  replicas?: number;
}

let webgpuProbe: Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> | undefined;

async function installDawn(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  try {
    const g = globalThis as unknown as { navigator?: { gpu?: GPU } };
    if (!g.navigator?.gpu) {
      const dawn = (await import('webgpu')) as unknown as {
        create: (flags: string[]) => GPU;
        globals: Record<string, unknown>;
      };
      Object.assign(globalThis, dawn.globals);
      const gpu = dawn.create([]);
      // Node ≥ 21 defines a read-only navigator; Node 20 has none. Define either way.
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...(g.navigator ?? {}), gpu },
        configurable: true,
        writable: true,
      });
    }
    const gpu = (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return {
        ok: false,
        reason:
          'Dawn (npm "webgpu") returned no WebGPU adapter: no Vulkan driver with a usable device ' +
          '(on CPU-only Debian 12 install mesa-vulkan-drivers from bookworm-backports for lavapipe)',
      };
    }
    const info = (adapter as unknown as { info?: GPUAdapterInfo }).info;
    const name = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') : 'unknown adapter';
    await import('@tensorflow/tfjs-backend-webgpu');
    return { ok: true, adapter: name || 'unnamed adapter' };
  } catch (e) {
    return { ok: false, reason: `Dawn/WebGPU initialisation failed: ${(e as Error).message}` };
  }
}

/** Whether a WebGPU adapter is available in this process (installs the Dawn globals once). */
export function probeWebGPU(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  webgpuProbe ??= installDawn();
  return webgpuProbe;
}

/**
 * Choose and activate a backend. `webgpu` throws if no adapter exists; `auto` prefers webgpu and
 * falls back to cpu with the reason recorded. wasm is never chosen here: its 3-D gradients are
 * wrong in tfjs 4.22 (see assertTrainableBackend in src/models).
 */
export async function initBackend(choice: BackendChoice = 'auto', opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const info = await activate(choice);
  // The cpu backend also serves webgpu's CPU fallbacks, so it is quieted whichever is active.
  quietNodeBackendAdvice(tf.findBackend('cpu'));
  // After activation, so the webgpu backend's own kernels exist to be saved as the stock ones.
  const r = registerFastKernels({ backends: [info.backend] });
  const kernels = r.registered.length > 0 ? 'fast' : 'stock';
  if (info.backend !== 'cpu' || kernels === 'stock') {
    await shutdownKernelThreads();
    return { ...info, kernels };
  }
  const threads = await configureCpuKernelThreads(opts);
  return { ...info, kernels, threads };
}

/** (Re)configure the cpu conv kernels' threads, e.g. once the number of replicas is known. */
export function configureCpuKernelThreads(opts: InitBackendOptions = {}): Promise<KernelThreadsInfo> {
  return configureKernelThreads({ threads: kernelThreadCount(opts.threads, opts.replicas), spawn: nodeKernelWorkerSpawner });
}

/** "2 threads · SIMD FMA", or "1 thread (why not more)", for start-up lines. */
export function kernelThreadsLabel(t: KernelThreadsInfo): string {
  const fma = t.relaxedSimd === undefined ? '' : t.relaxedSimd ? ' · SIMD FMA' : ' · SIMD mul+add';
  return `${t.threads} thread${t.threads === 1 ? '' : 's'}${t.reason ? ` (${t.reason})` : ''}${fma}`;
}

async function activate(choice: BackendChoice): Promise<Omit<BackendInfo, 'kernels'>> {
  if (choice === 'cpu') {
    await tf.setBackend('cpu');
    await tf.ready();
    return { backend: 'cpu', adapter: 'tfjs cpu' };
  }
  const probe = await probeWebGPU();
  if (!probe.ok) {
    if (choice === 'webgpu') throw new Error(`webgpu backend requested but unavailable: ${probe.reason}`);
    await tf.setBackend('cpu');
    await tf.ready();
    return { backend: 'cpu', adapter: 'tfjs cpu', fallbackReason: probe.reason };
  }
  const ok = await tf.setBackend('webgpu');
  if (!ok) {
    const reason = 'tf.setBackend("webgpu") returned false (backend failed to initialise)';
    if (choice === 'webgpu') throw new Error(reason);
    await tf.setBackend('cpu');
    return { backend: 'cpu', adapter: 'tfjs cpu', fallbackReason: reason };
  }
  await tf.ready();
  return { backend: 'webgpu', adapter: probe.adapter };
}
