// The compute worker: tfjs lives here so training and inference never block the viewer's thread.
import '@tensorflow/tfjs-backend-webgpu';
import { firstWorkingBackend, type BackendFailure } from './startBackend.ts';
import { BACKEND_ORDER, type AdapterSummary, type MainToWorker, type WorkerToMain } from './messages.ts';
import { conv3dAcrossThreads } from './threadCheck.ts';

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

async function init(m: Extract<MainToWorker, { type: 'init' }>): Promise<void> {
  const failures: BackendFailure[] = [];
  const got = await firstWorkingBackend(m.backend ? [m.backend] : BACKEND_ORDER, failures, 0, m.threads);
  if (!got) return scope.postMessage({ type: 'backendFailed', failures });
  const adapter = got.name === 'webgpu' ? await describeAdapter().catch(() => null) : null;
  scope.postMessage({ type: 'backend', backend: got.name, adapter, threads: got.threads, failures });
}

scope.onmessage = (e) => {
  if (e.data.type === 'init') void init(e.data);
};

// Read-only test aid (e2e/threads.spec.ts reaches it with Playwright's worker.evaluate).
(self as unknown as { __ftwCompute?: unknown }).__ftwCompute = Object.freeze({ conv3dAcrossThreads });
