/**
 * The app as a user without ../shared sees it (`?demo=phantom` forces that here): it opens on the
 * phantom generated in the tab, with no request to another origin, says which demo it is, and offers
 * the TotalSegmentator sample — refused when offline or when the bytes are not the recorded ones,
 * opened when they are. The sample's source is routed here (the test machine has no internet); the
 * page's CSP still has to let the request out for the route to see it.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page, type Route } from '@playwright/test';
import { TS_SAMPLE } from '../src/core/totalSegmentatorSample.ts';
import { BASE_URL, canvasPixels } from './helpers/app.ts';
import { pixelStats } from './helpers/png.ts';
import { DEMO_CT, DEMO_SEG, SHARED_DEMO_PRESENT } from './helpers/sharedDemo.ts';

const ORIGIN = new URL(BASE_URL).origin;

test.describe.configure({ mode: 'serial' });

let page: Page;
const requests: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/?demo=phantom', { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: 90_000 });
});
test.afterAll(() => page.close());

const fulfil = (body: Buffer | Uint8Array) => (route: Route) =>
  route.fulfill({ status: 200, body: Buffer.from(body), headers: { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'application/octet-stream' } });

test('opens on the phantom, made in the tab: organs in the legend, an image on the canvas, nothing fetched from elsewhere', async () => {
  await expect(page.getByTestId('case-image-name')).toHaveText('abdomen_phantom_ct.nii');
  await expect(page.getByTestId('case-label-name')).toHaveText('abdomen_phantom_seg.nii');
  await expect(page.getByTestId('case-dims')).toContainText('120');
  await expect(page.getByTestId('demo-source')).toHaveAttribute('data-demo', 'phantom');
  await expect(page.getByTestId('demo-source')).toContainText('generated abdominal phantom');
  for (const organ of ['Liver', 'Pancreas', 'Kidney']) await expect(page.getByTestId('label-legend')).toContainText(organ);
  const stats = pixelStats(await canvasPixels(page, 'phantom-demo.png'));
  expect(stats.std, 'the canvas shows an image, not a flat colour').toBeGreaterThan(10);
  expect(requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== ORIGIN)).toEqual([]);
  // Nothing of the real demo was asked for: the phantom needs no file.
  expect(requests.filter((u) => u.includes('/demo/example_'))).toEqual([]);
});

test('the sample: offline and wrong bytes are refused with the reason, the phantom stays', async () => {
  await page.route(TS_SAMPLE.image.url, (route) => route.abort('internetdisconnected'));
  await page.route(TS_SAMPLE.labels.url, (route) => route.abort('internetdisconnected'));
  await page.getByTestId('open-ts-sample').click();
  await expect(page.getByTestId('ts-sample-error')).toContainText(/could not download example_(ct|seg_fast_force_split)\.nii\.gz from raw\.githubusercontent\.com: offline, or the request was blocked/);
  await expect(page.getByTestId('case-image-name')).toHaveText('abdomen_phantom_ct.nii');

  await page.unrouteAll();
  const wrong = Buffer.alloc(1000, 7);
  await page.route(TS_SAMPLE.image.url, fulfil(wrong));
  await page.route(TS_SAMPLE.labels.url, fulfil(wrong));
  await page.getByTestId('open-ts-sample').click();
  await expect(page.getByTestId('ts-sample-error')).toContainText(/is not the expected file \(SHA-256 [0-9a-f]{12}…, expected [0-9a-f]{12}…, 1000 bytes\); not opened/);
  await expect(page.getByTestId('case-image-name')).toHaveText('abdomen_phantom_ct.nii');
  await page.unrouteAll();
});

test('the sample with the recorded bytes opens as the demo', async () => {
  test.skip(!SHARED_DEMO_PRESENT, `the TotalSegmentator example is not at ${DEMO_CT} (../shared/data beside the checkout)`);
  await page.route(TS_SAMPLE.image.url, fulfil(readFileSync(DEMO_CT)));
  await page.route(TS_SAMPLE.labels.url, fulfil(readFileSync(DEMO_SEG)));
  await page.getByTestId('open-ts-sample').click();
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct.nii.gz', { timeout: 90_000 });
  await expect(page.getByTestId('case-label-name')).toHaveText('example_seg.nii.gz');
  await expect(page.getByTestId('demo-source')).toHaveAttribute('data-demo', 'totalsegmentator');
  await expect(page.getByTestId('demo-source')).toContainText('checked by SHA-256');
  await page.unrouteAll();
  // "Load demo case" now reopens the sample from memory: no second download.
  const before = requests.filter((u) => u.startsWith('https://raw.githubusercontent.com/')).length;
  await page.getByTestId('case-image-name').click();
  await page.keyboard.press('d');
  await expect(page.getByTestId('case-image-name')).toHaveText('example_ct.nii.gz');
  expect(requests.filter((u) => u.startsWith('https://raw.githubusercontent.com/')).length).toBe(before);
});

test('without the query parameter the page opens whichever demo the server has: the real one, else the phantom', async ({ browser }) => {
  const served = (await (await fetch(`${BASE_URL}/demo/demo.json`)).json()) as { source: string | null };
  expect(served.source === null || served.source === 'totalsegmentator').toBe(true);
  expect(served.source === 'totalsegmentator').toBe(SHARED_DEMO_PRESENT);
  const p = await browser.newPage({ baseURL: BASE_URL, viewport: { width: 1280, height: 800 } });
  try {
    await p.goto('/', { waitUntil: 'commit' });
    await p.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: 90_000 });
    await expect(p.getByTestId('demo-source')).toHaveAttribute('data-demo', served.source ?? 'phantom');
    await expect(p.getByTestId('case-image-name')).toHaveText(served.source ? 'example_ct.nii.gz' : 'abdomen_phantom_ct.nii');
  } finally {
    await p.close();
  }
});
