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
      failures: { name: string; error: string }[];
    }
  | { type: 'backendFailed'; failures: { name: string; error: string }[] };

export type MainToWorker = { type: 'init' };

/** "google / swiftshader (fallback)" from whatever the adapter chose to tell. */
export function adapterLabel(a: AdapterSummary | null): string | null {
  if (!a) return null;
  const parts = [a.vendor, a.architecture || a.device || a.description].filter((s) => s && s.length > 0);
  return parts.length ? parts.join(' / ') : null;
}
