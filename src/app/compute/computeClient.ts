import { useStatusStore, type BackendName } from '../stores/statusStore.ts';
import { adapterLabel, BACKEND_ORDER, type MainToWorker, type WorkerToMain } from './messages.ts';

/**
 * The compute worker's options from the page's URL: ?backend=webgpu|webgl|cpu tries only that
 * backend, ?threads=N sizes the cpu kernels' pool (default every core). `problems` names any value
 * that could not be used, which is then left at its default.
 */
export function computeOptions(search: string): { init: MainToWorker; problems: string[] } {
  const params = new URLSearchParams(search);
  const init: MainToWorker = { type: 'init' };
  const problems: string[] = [];
  const backend = params.get('backend');
  if (backend !== null) {
    if ((BACKEND_ORDER as readonly string[]).includes(backend)) init.backend = backend as BackendName;
    else problems.push(`?backend=${backend} is not one of ${BACKEND_ORDER.join(', ')}; trying each in turn`);
  }
  const threads = params.get('threads');
  if (threads !== null) {
    const n = Number(threads);
    if (/^\d+$/.test(threads) && n >= 1) init.threads = n;
    else problems.push(`?threads=${threads} is not a whole number of at least 1; using every core`);
  }
  return { init, problems };
}

/** Start the compute worker and report its backend to the status store. */
export function startComputeWorker(search: string = globalThis.location?.search ?? ''): Worker | null {
  const status = useStatusStore.getState();
  const { init, problems } = computeOptions(search);
  for (const p of problems) status.pushMessage('error', p);
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
        threads: m.threads ? { threads: m.threads.threads, requested: m.threads.requested, reason: m.threads.reason ?? null } : null,
        failures: m.failures,
      });
    } else {
      useStatusStore.getState().setBackendFailed(m.failures.map((f) => `${f.name}: ${f.error}`).join('; '));
    }
  };
  worker.onerror = (e) => {
    useStatusStore.getState().setBackendFailed(`worker error: ${e.message || 'failed to load'}`);
  };
  worker.postMessage(init);
  return worker;
}
