/**
 * Paper-size inference: one forward of the generator G (our paper U-Net, 3 outputs) and of the
 * segmentor S (SwinUNETR fs48 v2, 7 outputs) at 96³, batch 1 — seconds, the process's peak RSS
 * and tfjs's peak tf.memory().numBytes — on Node (tfjs cpu with the project's kernels; webgpu
 * through Dawn when asked) and in Chromium (a bench page on the cpu or SwiftShader-WebGPU
 * backend), with PyTorch's time for the same forward on the same machine in the same run.
 *
 *   npm run bench:forward -- [--size 96] [--nets unet,swinunetr] [--node cpu,webgpu]
 *                            [--browser cpu,webgpu|none] [--no-torch] [--limit-s 480]
 *
 * Each measurement runs in a fresh process (Node child, or a fresh Chromium), so a peak RSS
 * belongs to one network. Weights are random: speed does not depend on them. A run longer than
 * --limit-s is stopped and recorded as such. PyTorch: tools/torch_forward.py through
 * /usr/bin/python3 (Debian's torch), SwinUNETR from MONAI 1.3.0 at $MONAI_PATH.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createGenerator, createSegmentor, PRESETS, type Network } from '../src/models/index.ts';
import { assertFitsDevice } from '../src/models/deviceLimits.ts';
import { initBackend, type BackendChoice } from '../src/node/backend.ts';
import { lastJson, runProcess } from './runProcess.ts';

type Net = 'unet' | 'swinunetr';
const NET_NAME: Record<Net, string> = { unet: 'G: paper U-Net, 3 outputs', swinunetr: 'S: SwinUNETR fs48 v2, 7 outputs' };

interface Result {
  where: string;
  net: Net;
  seconds?: number;
  peakRssMiB?: number;
  tfPeakMiB?: number;
  note?: string;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const has = (name: string) => process.argv.includes(`--${name}`);
const mib = (b: number) => b / 2 ** 20;

export function buildNetwork(net: Net): Network {
  return net === 'unet' ? createGenerator(PRESETS.paper.generator) : createSegmentor(PRESETS.paper.segmentor, 'universal');
}

/** Child: one network, one backend; prints one JSON line. */
async function child(net: Net, backend: BackendChoice, size: number): Promise<void> {
  const info = await initBackend(backend);
  const model = buildNetwork(net);
  const patch = [size, size, size];
  // Refused before running where a WebGPU buffer could not hold a tensor (garbage otherwise).
  assertFitsDevice([{ label: NET_NAME[net], config: model.config, patch }], 'use the cpu backend, a smaller patch, or a GPU with larger limits');
  // Warm-up at 32³ (JIT, shader and kernel set-up), then the timed forward.
  const small = tf.randomUniform([1, 32, 32, 32, 1]) as tf.Tensor5D;
  await tf.tidy(() => model.apply(small)).data();
  small.dispose();
  const x = tf.randomUniform([1, size, size, size, 1]) as tf.Tensor5D;
  const rssBefore = process.memoryUsage().rss;
  let seconds = 0;
  const prof = await tf.profile(async () => {
    const t0 = performance.now();
    const y = model.apply(x);
    await y.data();
    seconds = (performance.now() - t0) / 1000;
    y.dispose();
  });
  const out = {
    seconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    rssBeforeMiB: mib(rssBefore),
    tfPeakMiB: mib(prof.peakBytes),
    backend: `${info.backend} (${info.adapter}, ${info.kernels} kernels)`,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  model.dispose();
  x.dispose();
}

async function nodeRun(net: Net, backend: string, size: number, limitS: number): Promise<Result> {
  const where = `Node ${backend}`;
  const self = fileURLToPath(import.meta.url);
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const r = await runProcess(tsx, [self, '--child', net, '--backend', backend, '--size', String(size)], limitS);
  if (r.timedOut) return { where, net, note: `stopped after ${limitS} s (forward not finished)` };
  const j = lastJson(r.stdout);
  if (r.code !== 0 || !j) {
    const why = /^\w*Error: .*$/m.exec(r.stderr)?.[0] ?? r.stderr.trim().split('\n').pop();
    return { where, net, note: `did not run: ${why?.trim()}` };
  }
  return { where: `Node ${j.backend as string}`, net, seconds: j.seconds as number, peakRssMiB: j.peakRssMiB as number, tfPeakMiB: j.tfPeakMiB as number };
}

async function torchRun(net: Net, size: number, limitS: number): Promise<Result> {
  const where = 'PyTorch (2 threads)';
  const script = fileURLToPath(new URL('../tools/torch_forward.py', import.meta.url));
  const r = await runProcess('/usr/bin/python3', [script, '--net', net, '--size', String(size), '--out', net === 'unet' ? '3' : '7', '--runs', '1', '--threads', '2'], limitS);
  if (r.timedOut) return { where, net, note: `stopped after ${limitS} s` };
  const j = lastJson(r.stdout);
  if (r.code !== 0 || !j) return { where, net, note: `failed: ${r.stderr.trim().split('\n').pop()}` };
  return { where: `PyTorch ${j.torch as string} (${j.threads as number} threads)`, net, seconds: j.seconds as number, peakRssMiB: j.peakRssMiB as number };
}

function torchAvailable(): string | null {
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 is missing';
  const t = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (t.status !== 0) return '/usr/bin/python3 has no torch (apt-get install python3-torch)';
  if (!process.env.MONAI_PATH) return 'MONAI_PATH is unset (a checkout of MONAI 1.3.0) — SwinUNETR is skipped';
  return null;
}

function machine(): string[] {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  return [
    `date ${new Date().toISOString()}`,
    `CPU ${model.trim()} · ${cpus().length} cores · ${(totalmem() / 2 ** 30).toFixed(1)} GiB · Node ${process.version} · tfjs ${tf.version.tfjs}`,
    `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
}

/** Peak RSS (VmHWM) summed over a process and its descendants, in MiB. */
function treePeakMiB(root: number): number {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, pp] of parent) if (!tree.has(pid) && tree.has(pp)) (tree.add(pid), (grew = true));
  }
  let kib = 0;
  for (const pid of tree) {
    try {
      kib += Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kib / 1024;
}

async function browserRuns(nets: Net[], backends: string[], size: number, limitS: number): Promise<Result[]> {
  const out: Result[] = [];
  const { createServer } = await import('vite');
  const { chromium } = await import('@playwright/test');
  const port = 5191;
  const server = await createServer({ server: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'error' });
  await server.listen();
  try {
    for (const backend of backends)
      for (const net of nets) {
        const where = `Chromium ${backend}`;
        const bs = await chromium.launchServer({
          executablePath: '/usr/bin/chromium',
          args: ['--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
        });
        const pid = bs.process().pid!;
        const browser = await chromium.connect(bs.wsEndpoint());
        try {
          const page = await browser.newPage();
          await page.goto(`http://127.0.0.1:${port}/e2e/pages/paperForward.html?net=${net}&backend=${backend}&size=${size}`, { waitUntil: 'commit' });
          const t0 = performance.now();
          const res = await page
            .waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench, undefined, { timeout: limitS * 1000, polling: 2000 })
            .then((h) => h.jsonValue() as Promise<{ seconds?: number; tfPeakBytes?: number; backend?: string; error?: string }>)
            .catch(() => null);
          const peak = treePeakMiB(pid);
          if (!res) out.push({ where, net, peakRssMiB: peak, note: `stopped after ${Math.round((performance.now() - t0) / 1000)} s (forward not finished)` });
          else if (res.error) out.push({ where: `Chromium ${res.backend ?? backend}`, net, note: `did not run: ${res.error}` });
          else out.push({ where: `Chromium ${res.backend}`, net, seconds: res.seconds, peakRssMiB: peak, tfPeakMiB: mib(res.tfPeakBytes ?? 0) });
        } finally {
          await browser.close().catch(() => undefined);
          await bs.close();
        }
        console.log(fmt(out[out.length - 1]));
      }
  } finally {
    await server.close();
  }
  return out;
}

const fmt = (r: Result) =>
  `${NET_NAME[r.net].padEnd(34)} ${r.where.padEnd(52)} ${r.seconds !== undefined ? `${r.seconds.toFixed(1)} s` : '—'}` +
  `${r.peakRssMiB !== undefined ? ` · peak RSS ${r.peakRssMiB.toFixed(0)} MiB` : ''}${r.tfPeakMiB !== undefined ? ` · tf peak ${r.tfPeakMiB.toFixed(0)} MiB` : ''}${r.note ? ` · ${r.note}` : ''}`;

async function main(): Promise<void> {
  const size = Number(flag('size', '96'));
  if (has('child')) return child(flag('child', 'unet') as Net, flag('backend', 'cpu') as BackendChoice, size);
  if (!Number.isInteger(size) || size % 32 !== 0 || size <= 0) throw new Error(`--size must be a positive multiple of 32 (SwinUNETR), got ${flag('size', '96')}`);
  const nets = flag('nets', 'unet,swinunetr').split(',') as Net[];
  for (const n of nets) if (!(n in NET_NAME)) throw new Error(`--nets: unknown network ${n} (unet, swinunetr)`);
  const nodeBackends = flag('node', 'cpu').split(',').filter(Boolean);
  const browser = flag('browser', 'cpu').split(',').filter((b) => b && b !== 'none');
  const limitS = Number(flag('limit-s', '480'));
  console.log(`paper-size forward, ${size}³, batch 1`);
  for (const l of machine()) console.log(l);
  const results: Result[] = [];
  for (const b of nodeBackends)
    for (const n of nets) {
      results.push(await nodeRun(n, b, size, limitS));
      console.log(fmt(results[results.length - 1]));
    }
  const noTorch = has('no-torch') ? '--no-torch' : torchAvailable();
  if (noTorch && !has('no-torch')) console.log(`PyTorch: ${noTorch}`);
  for (const n of nets) {
    if (has('no-torch') || (noTorch && (n === 'swinunetr' || !/MONAI_PATH/.test(noTorch)))) continue;
    results.push(await torchRun(n, size, limitS));
    console.log(fmt(results[results.length - 1]));
  }
  if (browser.length) results.push(...(await browserRuns(nets, browser, size, limitS)));
  console.log(`\nsummary (${machine()[2]} at the end)`);
  for (const n of nets) {
    const torch = results.find((r) => r.net === n && r.where.startsWith('PyTorch') && r.seconds !== undefined);
    for (const r of results.filter((x) => x.net === n)) {
      const ratio = torch && r !== torch && r.seconds !== undefined ? ` · ×${(r.seconds / torch.seconds!).toFixed(1)} PyTorch's time` : '';
      console.log(`${fmt(r)}${ratio}`);
    }
  }
}

await main();
