import { useStatusStore } from '../stores/statusStore.ts';
import { adapterLabel, type WorkerToMain } from './messages.ts';

/** Start the compute worker and report its backend to the status store. */
export function startComputeWorker(): Worker | null {
  const status = useStatusStore.getState();
  let worker: Worker;
  try {
    worker = new Worker(new URL('./computeWorker.ts', import.meta.url), { type: 'module' });
  } catch (err) {
    status.setBackendFailed(`worker could not start: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  worker.onmessage = (e: MessageEvent<WorkerToMain>) => {
    const m = e.data;
    if (m.type === 'backend') {
      useStatusStore.getState().setBackend({
        name: m.backend,
        adapter: adapterLabel(m.adapter),
        isFallbackAdapter: m.adapter?.isFallbackAdapter ?? null,
        failures: m.failures,
      });
    } else {
      useStatusStore.getState().setBackendFailed(m.failures.map((f) => `${f.name}: ${f.error}`).join('; '));
    }
  };
  worker.onerror = (e) => {
    useStatusStore.getState().setBackendFailed(`worker error: ${e.message || 'failed to load'}`);
  };
  worker.postMessage({ type: 'init' });
  return worker;
}
