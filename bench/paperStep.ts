/**
 * Paper-size training step: one stage-1 step (forward, Dice-CE, gradients of every weight, AdamW
 * with AMSGrad — `segmentorStep`, what `freetumor train` runs) of a preset's U-Net at --size³,
 * on Node (tfjs cpu with the project's kernels; webgpu through Dawn when asked), with PyTorch's
 * time for the same step on the same architecture (tools/torch_step.py) in the same run and the
 * ratio. `--preset paper` is the 19.07 M-parameter U-Net (encoder 32,64 | 64,128 | 128,256 |
 * 256,512, instance norm as the U-Net segmentor, 7 classes).
 *
 *   npm run bench:step -- [--preset paper|tiny] [--size 64] [--batch 1] [--backends cpu,webgpu]
 *                         [--steps 1] [--warmup-size 32] [--no-torch] [--torch-device cpu|cuda]
 *                         [--threads N] [--torch-threads N] [--limit-s 1200] [--json FILE]
 *
 * Each backend runs in a fresh Node process (one peak RSS per measurement, and a run longer than
 * --limit-s is stopped and recorded as such). tfjs warms up with a step at --warmup-size³ (JIT,
 * kernel set-up, shader compilation; a full-size warm-up would double a 3-minute run); PyTorch
 * warms up at full size (it caches oneDNN primitives per shape), which can only favour it.
 * Inputs are synthetic (seeded uniform image, a ball-shaped label): speed does not depend on them.
 * PyTorch runs in the first of $TORCH_PYTHON, /usr/bin/python3 (Debian's torch), python3 that
 * imports torch, with --torch-threads (default: all cores) — compare with our kernels' thread count.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { countParams, createSegmentor, makePreset, segmentorOptimizer, segmentorStep, type PresetName, type UNetConfig } from '../src/models/index.ts';
import { assertFitsDevice } from '../src/models/deviceLimits.ts';
import { Rng } from '../src/core/random.ts';
import { initBackend, kernelThreadsLabel, type BackendChoice } from '../src/node/backend.ts';
import { machineLine, median } from './machine.ts';
import { lastJson, runProcess, type ProcessRun } from './runProcess.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const has = (name: string) => process.argv.includes(`--${name}`);

function positiveInt(name: string, fallback: string): number {
  const v = Number(flag(name, fallback));
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${flag(name, fallback)}`);
  return v;
}

/** The preset's S as a U-Net (for `paper` its SwinUNETR is swapped for the paper-width U-Net). */
export function stepNetwork(preset: PresetName): UNetConfig {
  if (preset !== 'paper' && preset !== 'tiny') throw new Error(`--preset must be paper or tiny, got ${preset}`);
  return makePreset(preset, { segmentor: { kind: 'unet3d' } }).segmentor as UNetConfig;
}

function batchOf(size: number, batch: number, classes: number) {
  const n = size ** 3;
  const rng = new Rng(7);
  const image = new Float32Array(batch * n).map(() => rng.uniform());
  const label = new Int32Array(batch * n);
  // Same label as tools/torch_step.py: class 1 everywhere, a centred ball of class 2.
  const fg = Math.min(2, classes - 1);
  for (let b = 0; b < batch; b++)
    for (let z = 0; z < size; z++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const d2 = (x - size / 2) ** 2 + (y - size / 2) ** 2 + (z - size / 2) ** 2;
          label[b * n + x + size * (y + size * z)] = d2 < (size / 6) ** 2 ? fg : 1;
        }
  return { image: tf.tensor5d(image, [batch, size, size, size, 1]), label: tf.tensor4d(label, [batch, size, size, size], 'int32') };
}

/** Child: one backend; prints one JSON line. */
async function child(): Promise<void> {
  const preset = flag('preset', 'paper') as PresetName;
  const size = positiveInt('size', '64');
  const batch = positiveInt('batch', '1');
  const steps = positiveInt('steps', '1');
  const warm = positiveInt('warmup-size', '32');
  const info = await initBackend(flag('backend', 'cpu') as BackendChoice);
  const cfg = stepNetwork(preset);
  const p = makePreset(preset);
  assertFitsDevice([{ label: `${preset} U-Net`, config: cfg, patch: [size, size, size], batch, pass: 'training', backend: info.backend }], 'use the cpu backend, a smaller --size, or a GPU with larger limits');
  const S = createSegmentor(cfg, p.labelScheme);
  // Steps, not epochs, so the schedule's warm-up does not make lr 0 (an update of zeros could be cheaper).
  const stage1 = { ...p.stage1, lengthUnit: 'steps' as const, totalSteps: steps + 1, warmupUnit: 'steps' as const, warmupSteps: 0 };
  const opt = segmentorOptimizer(S, stage1);
  const w = batchOf(warm, 1, cfg.outChannels);
  await segmentorStep(S, opt, w, stage1);
  tf.dispose(Object.values(w));
  const x = batchOf(size, batch, cfg.outChannels);
  const times: number[] = [];
  let loss = NaN;
  for (let k = 0; k < steps; k++) {
    const t0 = performance.now();
    loss = (await segmentorStep(S, opt, x, stage1)).loss; // reads the loss: the step has finished
    times.push((performance.now() - t0) / 1000);
  }
  const out = {
    seconds: median(times),
    times,
    loss,
    params: countParams(cfg),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    backend: `${info.backend} (${info.adapter}, ${info.kernels} kernels${info.threads ? `, ${kernelThreadsLabel(info.threads)}` : ''})`,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  S.dispose();
  opt.dispose();
  tf.dispose(Object.values(x));
  // Kernel worker threads or Dawn's device could keep the process alive; the parent waits for its exit.
  process.exit(0);
}




export interface StepResult {
  where: string;
  seconds?: number;
  params?: number;
  peakRssMiB?: number;
  loss?: number;
  note?: string;
}

function failure(where: string, r: ProcessRun, limitS: number): StepResult {
  if (r.timedOut) return { where, note: `stopped after ${limitS} s (step not finished)` };
  const why = /^\w*Error: .*$/m.exec(r.stderr)?.[0] ?? r.stderr.trim().split('\n').pop() ?? `exit code ${r.code}`;
  return { where, note: `did not run: ${why.trim()}` };
}

/** Re-runs this file (tsx's loader flags are in execArgv; a bundled .mjs needs none). */
async function nodeRun(backend: string, common: string[], limitS: number): Promise<StepResult> {
  const where = `Node ${backend}`;
  const self = fileURLToPath(import.meta.url);
  const r = await runProcess(process.execPath, [...process.execArgv, self, '--child', '--backend', backend, ...common], limitS);
  const j = lastJson(r.stdout);
  if (r.timedOut || r.code !== 0 || !j) return failure(where, r, limitS);
  return { where: `Node ${j.backend as string}`, seconds: j.seconds as number, params: j.params as number, peakRssMiB: j.peakRssMiB as number, loss: j.loss as number };
}

/** The first python that imports torch: Debian's torch is seen only by /usr/bin/python3 (not pyenv's), a GPU image's python3 on PATH holds its own. */
function torchPython(): string | null {
  const candidates = [process.env.TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c && (!c.startsWith('/') || existsSync(c)));
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;
}

async function torchRun(cfg: UNetConfig, size: number, batch: number, steps: number, device: string, threads: number, limitS: number): Promise<StepResult> {
  const where = `PyTorch ${device}`;
  const py = torchPython();
  if (!py) return { where, note: 'skipped: no python with torch ($TORCH_PYTHON, /usr/bin/python3, python3; Debian: apt-get install python3-torch)' };
  const script = fileURLToPath(new URL('../tools/torch_step.py', import.meta.url));
  const args = [script, '--encoder', JSON.stringify(cfg.encoder), '--size', String(size), '--batch', String(batch), '--classes', String(cfg.outChannels),
    '--norm', cfg.norm === 'batch' ? 'batch' : 'instance', '--steps', String(steps), '--threads', String(threads), '--device', device];
  const r = await runProcess(py, args, limitS);
  const j = lastJson(r.stdout);
  if (r.timedOut || r.code !== 0 || !j) return failure(where, r, limitS);
  const dev = j.deviceName ? `${j.device as string}, ${j.deviceName as string}` : `${j.threads as number} threads`;
  return { where: `PyTorch ${j.torch as string} (${dev})`, seconds: j.seconds as number, params: j.params as number, peakRssMiB: j.peakRssMiB as number };
}

const fmt = (r: StepResult, torch?: StepResult) =>
  `${r.where.padEnd(58)} ${r.seconds !== undefined ? `${r.seconds.toFixed(2)} s` : '—'}` +
  `${r.peakRssMiB !== undefined ? ` · peak RSS ${r.peakRssMiB.toFixed(0)} MiB` : ''}${r.params !== undefined ? ` · ${(r.params / 1e6).toFixed(2)} M params` : ''}` +
  `${torch?.seconds && r !== torch && r.seconds !== undefined ? ` · ×${(r.seconds / torch.seconds).toFixed(1)} PyTorch's time` : ''}${r.note ? ` · ${r.note}` : ''}`;

async function main(): Promise<void> {
  if (has('child')) return child();
  const preset = flag('preset', 'paper') as PresetName;
  const cfg = stepNetwork(preset);
  const size = positiveInt('size', '64');
  const batch = positiveInt('batch', '1');
  const steps = positiveInt('steps', '1');
  const multiple = 2 ** (cfg.encoder.length - 1);
  if (size % multiple !== 0) throw new Error(`--size must be a multiple of ${multiple} for the ${preset} U-Net, got ${size}`);
  const limitS = positiveInt('limit-s', '1200');
  const backends = flag('backends', 'cpu').split(',').filter(Boolean);
  const torchDevice = flag('torch-device', 'cpu');
  const torchThreads = positiveInt('torch-threads', String(cpus().length));
  // initBackend reads FREETUMOR_THREADS for the cpu kernels; the children inherit it.
  if (has('threads')) process.env.FREETUMOR_THREADS = String(positiveInt('threads', '1'));
  const common = ['--preset', preset, '--size', String(size), '--batch', String(batch), '--steps', String(steps), '--warmup-size', flag('warmup-size', String(Math.min(32, size)))];

  console.log(`${preset} U-Net training step (stage 1: forward + Dice-CE + all weight gradients + AdamW/AMSGrad), ${size}³, batch ${batch}`);
  console.log(machineLine());
  console.log(`load average at the start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: StepResult[] = [];
  for (const b of backends) {
    results.push(await nodeRun(b, common, limitS));
    console.log(fmt(results[results.length - 1]));
  }
  let torch: StepResult | undefined;
  if (!has('no-torch')) {
    torch = await torchRun(cfg, size, batch, steps, torchDevice, torchThreads, limitS);
    results.push(torch);
    console.log(fmt(torch));
  }
  const counts = new Set(results.map((r) => r.params).filter((p) => p !== undefined));
  if (counts.size > 1) console.log(`WARNING: parameter counts differ (${[...counts].join(' vs ')}): the two networks are not the same architecture`);
  console.log(`\nsummary (load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  for (const r of results) console.log(fmt(r, torch));
  const json = flag('json', '');
  if (json) writeFileSync(json, `${JSON.stringify({ machine: machineLine(), preset, size, batch, steps, results }, null, 2)}\n`);
  if (results.every((r) => r.seconds === undefined)) process.exitCode = 1;
}

await main();
