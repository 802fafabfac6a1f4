/**
 * Issue 4: cpu and webgpu agree (relative error < 1e-4) for every model function, in Chromium too.
 * The page e2e/pages/modelParity.html (dev server only) runs e2e/pages/parityCases.ts on cpu and
 * then on webgpu (SwiftShader here) with the same weights; this spec checks its report, then
 * reruns the same cases on Node's cpu backend: same seeds → same weights → same numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { quietNodeBackendAdvice } from '../src/node/tfjsAdvice.ts';
import { ARTIFACTS } from './helpers/app.ts';
import { CASES, TOL, bitsEqual, caseError, computeAll, fromBase64, makeInputs, makeWeights, weightsDigest, type Outputs } from './pages/parityCases.ts';
import type { ParityReport } from './pages/modelParity.ts';

test.describe.configure({ mode: 'serial' });

let report: ParityReport;
let browserOut: { cpu: Outputs; webgpu: Outputs };
const consoleLines: string[] = [];
const nodeSummary: Record<string, unknown> = {};

const decode = (o: Record<string, string>): Outputs => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fromBase64(v)]));

function saveJson(): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}/model-parity.json`, JSON.stringify({ browser: report, node: nodeSummary, console: consoleLines }, null, 2) + '\n');
}

test('Chromium: every model function agrees on cpu and webgpu', async ({ page }: { page: Page }) => {
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`.slice(0, 2000)));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  const started = Date.now();
  // 'commit': the page keeps its main thread busy with tfjs, the load event can lag.
  await page.goto('/e2e/pages/modelParity.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__parity?.done === true, null, { timeout: 100_000, polling: 250 });
  const seconds = (Date.now() - started) / 1000;
  const r = (await page.evaluate(() => window.__parity)) as ParityReport;
  report = r;
  if (r.ok === false && r.error && !r.cases) {
    saveJson();
    throw new Error(`the parity page failed: ${r.error}`);
  }
  browserOut = await page.evaluate(() => window.__parityOutputs!).then((o) => ({ cpu: decode(o.cpu), webgpu: decode(o.webgpu) }));
  await page.screenshot({ path: `${ARTIFACTS}/model-parity.png`, fullPage: true });
  saveJson();

  console.log(`[modelParity] page done in ${seconds.toFixed(1)} s; backend ${r.backend.active}; adapter ${JSON.stringify(r.adapter.info)} fallback ${r.adapter.isFallbackAdapter}`);
  for (const c of r.cases) console.log(`[modelParity] ${c.key.padEnd(18)} ${c.exact ? (c.pass ? 'bit-identical' : 'DIFFERENT') : c.relErr.toExponential(2)} over ${c.values}`);
  console.log(`[modelParity] timings ms ${JSON.stringify(Object.fromEntries(Object.entries(r.timingsMs).map(([k, v]) => [k, Math.round(v)])))}`);
  console.log(`[modelParity] bias trap ${JSON.stringify(r.biasTrap)}`);

  expect(r.backend.active, 'tf.getBackend() after setBackend("webgpu")').toBe('webgpu');
  expect(r.backend.setBackendReturned).toBe(true);
  expect(r.adapter.found, 'navigator.gpu.requestAdapter() returned an adapter').toBe(true);
  expect(r.cases.map((c) => c.key)).toEqual(CASES.map((c) => c.key));
  for (const c of r.cases) {
    expect.soft(c.relErr, `${c.label}: webgpu vs cpu relative error`).toBeLessThan(TOL);
  }
  // Eq. 1 leaves every voxel outside M̃ (and outside the organ mask) bit-identical on webgpu.
  expect(r.outsideMask.webgpu.outside, 'voxels outside M̃ (or outside the organ mask)').toBeGreaterThan(500);
  expect(r.outsideMask.webgpu.mismatches).toBe(0);
  expect(r.outsideMask.cpu.mismatches).toBe(0);
  // No GPU validation error before the deliberate bias trap.
  const trapErrors = r.biasTrap?.errors.length ?? 0;
  expect(r.gpuErrors.slice(0, r.gpuErrors.length - trapErrors), 'GPU errors during the model functions').toEqual([]);
  // Determinism is checked only when the page runs twice (?repeat=1), which this spec skips for speed.
  expect(r.webgpuRepeatBitIdentical).not.toBe(false);
  // The 1-D bias trap, on record: the [1,1,1,1,C] path src/models uses is right. The naive add is
  // expected wrong in tfjs 4.22; if it ever comes out right, the record (JSON) shows it — not a failure.
  expect(r.biasTrap).not.toBeNull();
  expect(r.biasTrap!.reshapedRelErr).toBeLessThan(1e-6);
});

test('Node cpu reproduces the browser: same weights, same outputs', async () => {
  test.skip(!report || !browserOut, 'the browser run produced no outputs');
  await tf.setBackend('cpu');
  quietNodeBackendAdvice(tf.findBackend('cpu'));
  const weights = await makeWeights();
  const digest = weightsDigest(weights);
  const node = await computeAll(weights, makeInputs());
  const vsCpu: Record<string, { relErr: number; bitIdentical: boolean }> = {};
  const vsGpu: Record<string, number> = {};
  for (const c of CASES) {
    vsCpu[c.key] = { relErr: caseError(c, browserOut.cpu[c.key], node[c.key]), bitIdentical: bitsEqual(browserOut.cpu[c.key], node[c.key]) };
    vsGpu[c.key] = caseError(c, browserOut.webgpu[c.key], node[c.key]);
  }
  Object.assign(nodeSummary, { weightsDigest: digest, browserCpuVsNodeCpu: vsCpu, browserWebgpuVsNodeCpu: vsGpu });
  saveJson();
  console.log(`[modelParity] Node weights ${digest} (browser ${report.weightsDigest})`);
  for (const c of CASES) console.log(`[modelParity] node cpu vs browser cpu ${c.key.padEnd(18)} bit-identical ${vsCpu[c.key].bitIdentical} rel ${vsCpu[c.key].relErr.toExponential(2)}; vs browser webgpu ${vsGpu[c.key].toExponential(2)}`);

  expect(digest, 'seeded weights are the same in Node and Chromium').toBe(report.weightsDigest);
  for (const c of CASES) {
    expect.soft(vsCpu[c.key].relErr, `${c.label}: browser cpu vs Node cpu`).toBeLessThan(1e-6);
    expect.soft(vsGpu[c.key], `${c.label}: browser webgpu vs Node cpu`).toBeLessThan(TOL);
  }
});
