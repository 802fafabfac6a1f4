import { expect, type Browser, type Page } from '@playwright/test';
import { decodePng, type Rgba } from './png.ts';
import { skipWithoutSharedDemo } from './sharedDemo.ts';

export const ARTIFACTS = 'e2e/artifacts';
/** The dev server playwright.config.ts starts (FTW_PORT moves it). */
export const BASE_URL = `http://127.0.0.1:${Number(process.env.FTW_PORT ?? 5173)}`;

/** A fresh page on the workbench with the demo case loaded, for a spec file to share. */
export async function newWorkbenchPage(browser: Browser): Promise<Page> {
  // Pages from `browser` don't get the config's `use` options; restate the ones that matter.
  const page = await browser.newPage({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
  await openWorkbench(page);
  return page;
}

/**
 * Open the workbench and wait until the demo case is on screen. `commit` rather than `load`:
 * the page keeps its main thread busy parsing the CT, and the load event can lag far behind.
 */
export async function openWorkbench(page: Page): Promise<void> {
  // The real demo is served from ../shared/data; without it the page opens the phantom instead.
  skipWithoutSharedDemo();
  await page.goto('/', { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: 90_000 });
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct.nii.gz');
}

/** What the viewer canvas shows, decoded. */
export async function canvasPixels(page: Page, saveAs?: string): Promise<Rgba> {
  // niivue's layer refreshes are replayed a slab at a time (src/app/viewer/pacedGl.ts); the canvas
  // carries data-gpu-busy until the picture is complete.
  await page.waitForFunction(() => !document.querySelector('canvas[data-gpu-busy]'), null, { timeout: 120_000, polling: 100 });
  // Two animation frames: niivue draws on the next frame after a state change.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const png = await page.getByTestId('viewer-canvas').screenshot(saveAs ? { path: `${ARTIFACTS}/${saveAs}` } : {});
  return decodePng(png);
}
