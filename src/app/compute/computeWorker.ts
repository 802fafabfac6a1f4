// The compute worker: tfjs lives here so training and inference never block the viewer's thread.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { registerFastKernels } from '../../models/kernels/index.ts';
import { BACKEND_ORDER, type AdapterSummary, type MainToWorker, type WorkerToMain } from './messages.ts';

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

const scope = self as unknown as {
  postMessage(m: WorkerToMain): void;
  onmessage: ((e: MessageEvent<MainToWorker>) => void) | null;
};

async function describeAdapter(): Promise<AdapterSummary | null> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null,
  };
}

/** A backend counts only once it computes: setBackend can succeed and the first kernel still fail. */
async function smokeTest(): Promise<void> {
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.tensor1d([4, 5, 6]);
  const c = tf.add(a, b);
  const out = await c.data();
  tf.dispose([a, b, c]);
  if (out[0] !== 5 || out[2] !== 9) throw new Error(`wrong result ${Array.from(out)}`);
}

async function init(): Promise<void> {
  const failures: { name: string; error: string }[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      if (!tf.findBackendFactory(name)) throw new Error('not registered');
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error('failed to initialise');
      await tf.ready();
      // The project's conv3d kernels (WGSL on webgpu, WebAssembly SIMD on cpu); webgl keeps tfjs's.
      if (name === 'webgpu' || name === 'cpu') registerFastKernels({ backends: [name] });
      await smokeTest();
      const adapter = name === 'webgpu' ? await describeAdapter().catch(() => null) : null;
      scope.postMessage({ type: 'backend', backend: name, adapter, failures });
      return;
    } catch (err) {
      failures.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  scope.postMessage({ type: 'backendFailed', failures });
}

scope.onmessage = (e) => {
  if (e.data.type === 'init') void init();
};
