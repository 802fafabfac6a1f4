/**
 * "Files stay on this machine", tested: a whole session (demo case, a synthesis and its export, the
 * quality lab on one tumour, a one-item reader study answered) is recorded request by request —
 * pages, their workers and any service worker — and fails on anything sent to another origin. The
 * Content-Security-Policy that enforces it (vite.config.ts) must be served as a header and a meta
 * tag, allow only this origin, raise no violation while the app works, and stop a fetch to another
 * origin, from the page and from a worker, before it leaves the browser.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { BASE_URL, openWorkbench } from './helpers/app.ts';
import { TS_SAMPLE } from '../src/core/totalSegmentatorSample.ts';

const ORIGIN = new URL(BASE_URL).origin;
/** vite.config.ts's dev endpoint that receives the policy's violation reports (page and workers). */
const CSP_REPORT_PATH = '/__csp-report';

/** The sources a directive may list: this origin, its blobs and data URLs, nothing on the network. */
const ALLOWED_SOURCES = new Set(["'self'", "'none'", 'blob:', 'data:', "'wasm-unsafe-eval'"]);
/**
 * The one exception: connect-src names the two files of the TotalSegmentator sample at their source,
 * by exact URL, for the download the user asks for. Nothing can be sent there that is not a GET of them.
 */
const SAMPLE_URLS: string[] = [TS_SAMPLE.image.url, TS_SAMPLE.labels.url];

function parsePolicy(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/** Every directive lists only local sources; 'unsafe-inline' only for styles (vite's dev CSS). */
function expectOnlyThisOrigin(policy: Map<string, string[]>, where: string): void {
  for (const [name, sources] of policy) {
    if (name === 'report-uri') {
      expect(sources, `${where}: report-uri`).toEqual([CSP_REPORT_PATH]);
      continue;
    }
    for (const s of sources) {
      const ok = ALLOWED_SOURCES.has(s) || (name === 'connect-src' && SAMPLE_URLS.includes(s)) || (name === 'script-src' && /^'sha256-[A-Za-z0-9+/]+=*'$/.test(s)) || (name === 'style-src' && s === "'unsafe-inline'");
      expect(ok, `${where}: ${name} allows ${s}`).toBe(true);
    }
  }
  expect(policy.get('default-src'), `${where}: default-src`).toEqual(["'self'"]);
  expect(policy.get('connect-src'), `${where}: connect-src`).toEqual(["'self'", 'blob:', 'data:', ...SAMPLE_URLS]);
  expect(policy.get('script-src'), `${where}: script-src`).toContain("'wasm-unsafe-eval'");
  expect(policy.get('object-src'), `${where}: object-src`).toEqual(["'none'"]);
}

/** Another origin than the app's, in URL form; blob: URLs carry their creator's origin, data: none. */
function isForeign(url: string): boolean {
  if (url.startsWith('data:')) return false;
  const u = new URL(url.startsWith('blob:') ? url.slice('blob:'.length) : url);
  // A WebSocket (vite's HMR) to the same host and port is this origin, as CSP's 'self' counts it.
  const scheme = { 'ws:': 'http:', 'wss:': 'https:' }[u.protocol] ?? u.protocol;
  return `${scheme}//${u.host}` !== ORIGIN;
}

async function cspReports(): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${BASE_URL}${CSP_REPORT_PATH}`);
  const text = await res.text();
  try {
    return JSON.parse(text) as Array<Record<string, unknown>>;
  } catch {
    throw new Error(`${BASE_URL}${CSP_REPORT_PATH} is not the CSP report endpoint of vite.config.ts (a dev server started from another config?): ${text.slice(0, 80)}`);
  }
}

/** A server on another origin (same host, another port) that counts what reaches it. */
async function otherOrigin(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end('received');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

async function synthesiseAndExport(page: Page): Promise<void> {
  await page.keyboard.press('t');
  await expect(page.getByTestId('synth-result')).toBeVisible({ timeout: 60_000 });
  const names: string[] = [];
  page.on('download', (d) => names.push(d.suggestedFilename()));
  await page.keyboard.press('e');
  await expect.poll(() => names.sort(), { timeout: 30_000 }).toEqual(['example_ct_synthetic.nii.gz', 'example_ct_synthetic_label.nii.gz']);
  page.removeAllListeners('download');
}

async function qualityLabSingle(page: Page): Promise<void> {
  await page.getByTestId('open-quality-lab').click();
  await expect(page.getByTestId('ql-card-generator')).toContainText('demo-generator.safetensors', { timeout: 60_000 });
  await expect(page.getByTestId('ql-card-segmentor')).toContainText('demo-segmentor.safetensors');
  await page.getByTestId('ql-synthesize').click();
  await expect(page.getByTestId('ql-single-result')).toBeVisible({ timeout: 90_000 });
  const p = Number(await page.getByTestId('ql-single-result').getAttribute('data-p'));
  expect(p >= 0 && p <= 1, `P = ${p}`).toBe(true);
  await page.getByTestId('ql-close').click();
  await expect(page.getByTestId('quality-lab')).toHaveCount(0);
}

async function readerStudyOneItem(page: Page): Promise<void> {
  await page.getByTestId('open-reader-study').click();
  await page.getByTestId('rs-go-prepare').click();
  await page.getByTestId('rs-add-demo').click();
  await expect(page.getByTestId('rs-cases')).toContainText('demo case');
  await page.getByTestId('rs-synthesis-handcrafted').check();
  await page.getByTestId('rs-real-count').fill('0');
  await page.getByTestId('rs-synthetic-count').fill('1');
  await page.getByTestId('rs-build').click();
  await expect(page.getByTestId('rs-study-items')).toHaveText('1', { timeout: 60_000 });
  await page.getByTestId('rs-reader-id').fill('P1');
  await page.getByTestId('rs-start').click();
  await expect(page.getByTestId('rs-canvas')).toHaveAttribute('data-shown', /^item-\d+$/);
  await page.keyboard.press('KeyJ');
  await page.keyboard.press('Digit3');
  await expect(page.getByTestId('rs-save')).toHaveAttribute('data-state', 'saved');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('rs-finished')).toBeVisible();
}

test('a whole session sends nothing to another origin; the CSP allows only this one and blocks the rest', async ({ browser, context, page }) => {
  // About a minute on two idle cores; the rest is for a machine busy with other work.
  test.setTimeout(240_000);
  const requests: Array<{ url: string; type: string; from: string }> = [];
  // The context sees every page's requests, their dedicated workers' (checked below) and service
  // workers'; WebSockets are not requests and are recorded on their own.
  context.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType(), from: r.serviceWorker() ? 'service worker' : 'page' }));
  page.on('websocket', (ws) => requests.push({ url: ws.url(), type: 'websocket', from: 'page' }));
  const serviceWorkers: string[] = [];
  context.on('serviceworker', (sw) => serviceWorkers.push(sw.url()));
  const consoleViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text());
  });
  await context.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    window.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`));
  });
  const reportsBefore = (await cspReports()).length;
  const T0 = Date.now();

  // The policy: a header on every response (documents and worker scripts) and a meta tag in the page.
  const doc = await page.request.get('/');
  const header = doc.headers()['content-security-policy'];
  expect(header, 'Content-Security-Policy header on /').toBeTruthy();
  const headerPolicy = parsePolicy(header);
  expectOnlyThisOrigin(headerPolicy, 'header');
  // Only a header can forbid framing (a meta tag cannot carry frame-ancestors).
  expect(headerPolicy.get('frame-ancestors')).toEqual(["'none'"]);

  await openWorkbench(page);
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta, 'CSP meta tag').toBeTruthy();
  const metaPolicy = parsePolicy(meta!);
  expectOnlyThisOrigin(metaPolicy, 'meta');
  expect(metaPolicy.has('frame-ancestors')).toBe(false);
  for (const [name, sources] of metaPolicy) expect(headerPolicy.get(name), `header and meta agree on ${name}`).toEqual(sources);

  const took: string[] = [];
  const lap = (what: string) => took.push(`${what} ${((Date.now() - T0) / 1000).toFixed(0)} s`);
  lap('demo');
  await synthesiseAndExport(page);
  lap('synthesis + export');
  await qualityLabSingle(page);
  lap('quality lab');
  await readerStudyOneItem(page);
  lap('reader study');

  // Playwright reports a dedicated worker's requests: a fetch made inside one is recorded.
  const worker = page.workers().find((w) => w.url().includes('computeWorker'));
  expect(worker, 'the compute worker is running').toBeTruthy();
  expect(await worker!.evaluate(async () => (await fetch('/favicon.svg?from=compute-worker')).status)).toBe(200);
  await expect.poll(() => requests.some((r) => r.url.endsWith('/favicon.svg?from=compute-worker'))).toBe(true);

  // The recording saw the session: the demo case, the lab's models, a module only workers import.
  const urls = requests.map((r) => r.url);
  for (const part of ['/demo/example_ct.nii.gz', '/demo/example_seg.nii.gz', '/models/demo-generator.safetensors', '/models/demo-segmentor.safetensors', '/src/app/compute/startBackend.ts']) {
    expect(urls.some((u) => u.includes(part)), `a request for ${part}`).toBe(true);
  }
  const foreign = requests.filter((r) => isForeign(r.url));
  console.log(`${took.join(', ')}; ${requests.length} requests (${requests.filter((r) => r.type === 'websocket').length} websocket), ${foreign.length} to another origin; service workers: ${serviceWorkers.length}`);
  expect(foreign, 'requests to another origin').toEqual([]);
  expect(serviceWorkers.filter(isForeign)).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  expect(consoleViolations).toEqual([]);
  // Workers report theirs to the dev server's endpoint (their policy carries report-uri).
  expect((await cspReports()).slice(reportsBefore), 'CSP violation reports from page or workers').toEqual([]);

  // The policy is what stops a leak: a request to another origin leaves a page without it ...
  const other = await otherOrigin();
  try {
    const control = await browser.newPage();
    await control.evaluate((url) => fetch(url, { method: 'POST', mode: 'no-cors', body: 'control' }), `${other.url}/control`);
    await control.close();
    expect(other.hits).toEqual(['POST /control']);

    // ... and not the workbench page, nor its worker.
    const fromPage = await page.evaluate(async (url) => {
      const violation = new Promise<string>((resolve) => window.addEventListener('securitypolicyviolation', (e) => resolve(`${e.effectiveDirective} ${e.blockedURI}`), { once: true }));
      let error = 'none';
      try {
        await fetch(url, { method: 'POST', mode: 'no-cors', body: 'patient data' });
      } catch (e) {
        error = String(e);
      }
      return { error, violation: await Promise.race([violation, new Promise<string>((r) => setTimeout(() => r('no violation event'), 5000))]) };
    }, `${other.url}/privacy-spec-probe-from-page`);
    expect(fromPage.error).toMatch(/TypeError/);
    expect(fromPage.violation).toBe(`connect-src ${other.url}/privacy-spec-probe-from-page`);
    const fromWorker = await worker!.evaluate(async (url) => {
      try {
        await fetch(url, { method: 'POST', mode: 'no-cors', body: 'patient data' });
        return 'sent';
      } catch (e) {
        return String(e);
      }
    }, `${other.url}/privacy-spec-probe-from-worker`);
    expect(fromWorker).toMatch(/TypeError/);
    await expect
      .poll(async () => (await cspReports()).slice(reportsBefore).map((r) => `${r['effective-directive'] ?? r['violated-directive']} ${r['blocked-uri']}`).sort())
      .toEqual([`connect-src ${other.url}/privacy-spec-probe-from-page`, `connect-src ${other.url}/privacy-spec-probe-from-worker`]);
    // Give a request that got out time to arrive before saying none did.
    await page.waitForTimeout(500);
    expect(other.hits).toEqual(['POST /control']);
    // The console listener that found nothing during the session does see a violation.
    await expect.poll(() => consoleViolations.some((m) => m.includes('privacy-spec-probe-from-page'))).toBe(true);
  } finally {
    other.server.close();
  }
});
