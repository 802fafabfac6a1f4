// The compute worker: tfjs lives here so training and inference never block the viewer's thread.
import '@tensorflow/tfjs-backend-webgpu';
import { firstWorkingBackend, type BackendFailure } from './startBackend.ts';
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

async function init(): Promise<void> {
  const failures: BackendFailure[] = [];
  const got = await firstWorkingBackend(BACKEND_ORDER, failures);
  if (!got) return scope.postMessage({ type: 'backendFailed', failures });
  const adapter = got.name === 'webgpu' ? await describeAdapter().catch(() => null) : null;
  scope.postMessage({ type: 'backend', backend: got.name, adapter, failures });
}

scope.onmessage = (e) => {
  if (e.data.type === 'init') void init();
};
