import { useCaseStore } from './stores/caseStore.ts';
import { useStatusStore } from './stores/statusStore.ts';

/**
 * Read-only hook for e2e tests: when the first case has finished loading (or failed), and a
 * snapshot of what the UI shows. Tests assert on visible text; this only tells them when to look.
 */
export interface TestHook {
  ready: Promise<void>;
  isReady: () => boolean;
  snapshot: () => { image: string | null; label: string | null; backend: string | null };
}

declare global {
  interface Window {
    __ftw?: TestHook;
  }
}

export function installTestHook(ready: Promise<void>): void {
  let done = false;
  const settled = ready.finally(() => {
    done = true;
  });
  window.__ftw = Object.freeze({
    ready: settled,
    isReady: () => done,
    snapshot: () => ({
      image: useCaseStore.getState().image?.name ?? null,
      label: useCaseStore.getState().label?.name ?? null,
      backend: useStatusStore.getState().backend?.name ?? null,
    }),
  });
}
