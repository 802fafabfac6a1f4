/**
 * Issue 19, the browser side: the dev server makes the page cross-origin isolated (COOP/COEP), so
 * on the cpu backend the conv3d kernels run on every core (nested workers from a Blob URL), the
 * status bar says how many, and a conv3d is bit-identical on one thread and on two. A page that is
 * not isolated says so and runs on one. `?backend=cpu` forces the cpu backend; `?demo=phantom`
 * keeps the page light (the case is not what is tested here).
 */
import { expect, test, type Page, type Worker } from '@playwright/test';
import { ARTIFACTS, BASE_URL } from './helpers/app.ts';

interface ThreadCheckRun {
  info: { threads: number; requested: number; reason?: string };
  bits: number[];
}

async function openOnCpu(page: Page, query = '?backend=cpu&demo=phantom'): Promise<void> {
  await page.goto(`/${query}`, { waitUntil: 'commit' });
  await expect(page.getByTestId('status-backend')).toHaveAttribute('data-backend', 'cpu', { timeout: 90_000 });
}

async function computeWorker(page: Page): Promise<Worker> {
  await expect.poll(() => page.workers().some((w) => w.url().includes('computeWorker'))).toBe(true);
  return page.workers().find((w) => w.url().includes('computeWorker'))!;
}

test('isolated page: every core on cpu, in the status bar; conv3d bit-identical on 1 and 2 threads', async ({ page }) => {
  const doc = await page.request.get('/');
  expect(doc.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(doc.headers()['cross-origin-embedder-policy']).toBe('require-corp');

  await openOnCpu(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = page.getByTestId('status-threads');
  await expect(threads).toHaveAttribute('data-threads', String(cores));
  expect(cores, 'this test needs a machine with two cores or more').toBeGreaterThanOrEqual(2);
  await expect(threads).toHaveText(`· ${cores} threads`);
  await page.locator('footer.statusbar').screenshot({ path: `${ARTIFACTS}/threads-status-bar.png` });

  const worker = await computeWorker(page);
  expect(await worker.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const runs = await worker.evaluate(() => (self as unknown as { __ftwCompute: { conv3dAcrossThreads(c: number[]): Promise<ThreadCheckRun[]> } }).__ftwCompute.conv3dAcrossThreads([1, 2]));
  expect(runs.map((r) => r.info.threads)).toEqual([1, 2]);
  const [one, two] = runs.map((r) => r.bits);
  // A real output: as many values as voxels × channels, and not all zero.
  expect(one.length).toBe(12 * 12 * 12 * 16);
  expect(one.filter((b) => b !== 0).length).toBeGreaterThan(one.length / 2);
  let differing = 0;
  for (let i = 0; i < one.length; i++) if (one[i] !== two[i]) differing++;
  expect(differing, 'values that differ between 1 and 2 threads').toBe(0);
});

test('a page served without COOP/COEP runs the cpu kernels on one thread and says why', async ({ page }) => {
  // The document only: without its headers the page (and so its workers) is not isolated.
  await page.route((url) => url.origin === new URL(BASE_URL).origin && url.pathname === '/', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  await openOnCpu(page);
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
  const threads = page.getByTestId('status-threads');
  await expect(threads).toHaveAttribute('data-threads', '1');
  await expect(threads).toHaveText('· 1 thread (page not cross-origin isolated)');
  await page.locator('footer.statusbar').screenshot({ path: `${ARTIFACTS}/threads-status-bar-not-isolated.png` });
});
