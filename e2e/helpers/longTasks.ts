import type { Page } from '@playwright/test';

/** A task over 50 ms on the page's thread, with the part of it niivue's GPU refresh took. */
export interface LongTask {
  start: number;
  duration: number;
  /** ms of this task inside niivue's refresh (the JS call itself), 'ftw:niivue-refresh' in src/app/viewer/glRefresh.ts. */
  inRefresh: number;
  /** ms inside a refresh or the GPU work it queued ('ftw:niivue-gpu'): the page waits for that GPU work to draw a frame. */
  inGpu: number;
}

/*
 * The page-side code is plain script text: bench/app.ts runs under tsx, whose transform wraps
 * named functions in a helper the page does not have, so functions cannot be shipped as such.
 */

/** For page.addInitScript({ content }): observe long tasks from the first script on. */
export const LONG_TASK_OBSERVER = `(() => {
  const store = { tasks: [], since: 0 };
  store.reset = () => { store.tasks = []; store.since = performance.now(); };
  window.__ftwLongTasks = store;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) store.tasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
})()`;

export async function installLongTaskObserver(page: Page): Promise<void> {
  await page.addInitScript({ content: LONG_TASK_OBSERVER });
}

/** Forget the tasks so far: the next collect reports from here. */
export async function resetLongTasks(page: Page): Promise<void> {
  await page.evaluate('window.__ftwLongTasks.reset()');
}

const COLLECT = `(() => {
  const lt = window.__ftwLongTasks;
  const refreshes = performance.getEntriesByName('ftw:niivue-refresh', 'measure');
  const gpu = refreshes.concat(performance.getEntriesByName('ftw:niivue-gpu', 'measure'));
  // ms of task t inside any of the spans, each ms counted once (spans overlap one another).
  const overlap = (t, spans) => {
    const cuts = spans
      .map((r) => [Math.max(t.start, r.startTime), Math.min(t.start + t.duration, r.startTime + r.duration)])
      .filter((c) => c[1] > c[0])
      .sort((x, y) => x[0] - y[0]);
    let total = 0;
    let reach = -Infinity;
    for (const c of cuts) {
      const from = Math.max(c[0], reach);
      if (c[1] > from) total += c[1] - from;
      reach = Math.max(reach, c[1]);
    }
    return total;
  };
  return lt.tasks
    .filter((t) => t.start >= lt.since)
    .map((t) => ({ start: t.start, duration: t.duration, inRefresh: overlap(t, refreshes), inGpu: overlap(t, gpu) }));
})()`;

/** Until the GPU has finished every refresh the app started (each refresh gets its GPU measure). */
export async function waitForGpu(page: Page, timeout: number): Promise<void> {
  // A function, not a string: the app's CSP forbids the eval a string predicate needs.
  await page.waitForFunction(
    () => performance.getEntriesByName('ftw:niivue-gpu', 'measure').length >= performance.getEntriesByName('ftw:niivue-refresh', 'measure').length,
    null,
    { timeout, polling: 250 },
  );
}

/** The long tasks since the last reset, after two frames so the last one has been reported. */
export async function collectLongTasks(page: Page): Promise<LongTask[]> {
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 100))))');
  return (await page.evaluate(COLLECT)) as LongTask[];
}

/**
 * Per task: the time outside niivue's refresh and the GPU work it queued (`own`), and the tasks
 * that overlap such a window (`niivue`, whole task).
 */
export function splitByRefresh(tasks: LongTask[]): { own: number[]; niivue: number[] } {
  return {
    own: tasks.map((t) => t.duration - t.inGpu),
    niivue: tasks.filter((t) => t.inGpu > 0).map((t) => t.duration),
  };
}
