/**
 * `npm run bench:app`: the workbench in headless Chromium on generated clinical-size CTs. For each
 * size: open the image, open its label map (until the lesion list is measured), synthesise one
 * random tumour (until it is drawn and listed), open the side-by-side compare. Each phase reports
 * its wall time and its longest main-thread task, also split into the tasks overlapping niivue's
 * GPU work (the app marks it, see src/app/viewer/glRefresh.ts) and the longest task outside it,
 * and the longest scene draw on the GPU (src/app/viewer/pacedGl.ts).
 *
 *   npm run bench:app                      # 512×512×52 and 512×512×300
 *   npm run bench:app -- --slices 600 --load-only   # the memory check: open a 600-slice scan
 *
 * Starts its own dev server (FTW_BENCH_PORT, default 5187) unless --url is given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { writeSyntheticCt } from '../e2e/helpers/syntheticCt.ts';
import { collectLongTasks, installLongTaskObserver, resetLongTasks, splitByRefresh, waitForGpu } from '../e2e/helpers/longTasks.ts';
import { machineLine } from './machine.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SLICES = (opt('slices') ?? '52,300').split(',').map(Number);
const LOAD_ONLY = args.includes('--load-only');
const SEED = Number(opt('seed') ?? 16);
const PORT = Number(process.env.FTW_BENCH_PORT ?? 5187);
const PHASE_TIMEOUT = Number(opt('timeout-s') ?? 900) * 1000;
// The launch flags of playwright.config.ts (see docs: Debian chromium, closed network).
const LAUNCH_ARGS = ['--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];

interface PhaseResult {
  phase: string;
  wallS: number;
  longestMs: number;
  longestOwnMs: number;
  longestNiivueMs: number;
  tasks: number;
}

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const given = opt('url');
  if (given) return { url: given, stop: () => {} };
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs'], { env: { ...process.env, FTW_PORT: String(PORT) }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${PORT}/`;
  for (let t = 0; t < 120; t++) {
    try {
      if ((await fetch(url)).ok) return { url, stop: () => child.kill('SIGTERM') };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  child.kill('SIGTERM');
  throw new Error(`the dev server did not answer on ${url}`);
}

async function phase(page: Page, name: string, act: () => Promise<void>, done: () => Promise<void>): Promise<PhaseResult> {
  await resetLongTasks(page);
  const t0 = Date.now();
  await act();
  await done();
  // Until drawn: the GPU work the phase queued is part of what the user waits for.
  await waitForGpu(page, PHASE_TIMEOUT);
  const wallS = (Date.now() - t0) / 1000;
  const tasks = await collectLongTasks(page);
  const { own, niivue } = splitByRefresh(tasks);
  const r = { phase: name, wallS, longestMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))), longestOwnMs: Math.round(Math.max(0, ...own)), longestNiivueMs: Math.round(Math.max(0, ...niivue)), tasks: tasks.length };
  // The scenes drawn after a refresh, until the GPU finished each: one frame, not cut into slabs.
  const scene = (await page.evaluate("performance.getEntriesByName('ftw:niivue-scene', 'measure').map((m) => m.duration)")) as number[];
  await page.evaluate("performance.clearMeasures('ftw:niivue-scene')");
  const longestScene = Math.round(Math.max(0, ...scene));
  console.log(`  ${name.padEnd(10)} ${wallS.toFixed(1).padStart(7)} s   longest task ${String(r.longestMs).padStart(6)} ms (outside niivue's GPU work ${String(r.longestOwnMs).padStart(6)} ms, overlapping it ${String(r.longestNiivueMs).padStart(6)} ms; ${r.tasks} long tasks); longest scene draw on the GPU ${longestScene} ms`);
  return r;
}

async function runSize(url: string, slices: number, dir: string): Promise<PhaseResult[]> {
  const dims: [number, number, number] = [512, 512, slices];
  const t = Date.now();
  const ct = writeSyntheticCt(dir, `ct512x${slices}`, { dims, spacing: [0.74, 0.74, slices <= 60 ? 5 : 1.5], seed: SEED });
  console.log(`512×512×${slices} int16 (generated in ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  const browser = await chromium.launch({ executablePath: process.env.FTW_CHROMIUM ?? '/usr/bin/chromium', args: LAUNCH_ARGS });
  const results: PhaseResult[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let crashed = false;
    page.on('crash', () => {
      crashed = true;
      console.log('  the tab crashed');
    });
    await installLongTaskObserver(page);
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__ftw?.isReady() === true, null, { timeout: PHASE_TIMEOUT });
    const timeout = { timeout: PHASE_TIMEOUT };
    results.push(
      await phase(
        page,
        'load image',
        () => page.getByTestId('file-input-image').setInputFiles(ct.image),
        () => page.getByTestId('case-dims').filter({ hasText: `512 × 512 × ${slices}` }).waitFor(timeout),
      ),
    );
    results.push(
      await phase(
        page,
        'load labels',
        () => page.getByTestId('file-input-labels').setInputFiles(ct.labels),
        () => page.getByTestId('lesion-table').locator('tbody tr').first().waitFor(timeout),
      ),
    );
    if (!LOAD_ONLY) {
      results.push(
        await phase(
          page,
          'synthesis',
          async () => {
            await page.getByTestId('synth-size').selectOption('small');
            await page.getByTestId('viewer-canvas').focus();
            await page.keyboard.press('Shift+P');
            await page.keyboard.press('t');
          },
          // Computed, drawn, and measured: the synthetic tumour is in the lesion list.
          () => page.locator('[data-testid^="lesion-"][data-synthetic="true"]').first().waitFor(timeout),
        ),
      );
      results.push(
        await phase(
          page,
          'compare',
          () => page.keyboard.press('b'),
          () => page.getByTestId('compare-canvas').waitFor(timeout),
        ),
      );
    }
    if (crashed) throw new Error('tab crashed');
  } finally {
    await browser.close();
  }
  return results;
}

async function main(): Promise<void> {
  console.log(machineLine());
  const server = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'ftw-bench-app-'));
  try {
    for (const s of SLICES) {
      try {
        await runSize(server.url, s, dir);
      } catch (err) {
        console.log(`  512×512×${s}: ${err instanceof Error ? err.message : String(err)}`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
