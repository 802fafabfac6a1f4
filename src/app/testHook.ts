/**
 * Read-only hook for e2e tests: whether the first case has finished loading (or failed). Tests
 * assert on what the UI shows; this only tells them when to start looking.
 */
export interface TestHook {
  ready: Promise<void>;
  isReady: () => boolean;
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
  window.__ftw = Object.freeze({ ready: settled, isReady: () => done });
}
