import type { KernelThreadsInfo } from '../../models/kernels/index.ts';
import type { BackendName } from '../stores/statusStore.ts';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'cpu'];

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean | null;
}

export type WorkerToMain =
  | {
      type: 'backend';
      backend: BackendName;
      adapter: AdapterSummary | null;
      /** The cpu kernels' threads; null on the other backends. */
      threads: KernelThreadsInfo | null;
      failures: { name: string; error: string }[];
    }
  | { type: 'backendFailed'; failures: { name: string; error: string }[] };

/**
 * `backend` tries only that one (the page's ?backend=); `threads` sizes the cpu kernels' pool
 * (?threads=; default every core).
 */
export type MainToWorker = { type: 'init'; backend?: BackendName; threads?: number };

/** "google / swiftshader (fallback)" from whatever the adapter chose to tell. */
export function adapterLabel(a: AdapterSummary | null): string | null {
  if (!a) return null;
  const parts = [a.vendor, a.architecture || a.device || a.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : null;
}

/** "2 threads", "1 thread (page not cross-origin isolated)": the status bar's wording. */
export function threadsLabel(info: { threads: number; reason?: string | null } | null): string | null {
  if (!info) return null;
  const n = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  return info.reason ? `${n} (${info.reason})` : n;
}
