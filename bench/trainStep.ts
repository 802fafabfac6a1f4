/**
 * Training-step speed: seconds per step and voxels/s (crop voxels × batch / step time) for a stage-1
 * segmentor step, a stage-2 step (G and C against frozen S) and a stage-3 step (online synthesis +
 * quality test + CutMix + S update), per backend (tfjs cpu, webgpu through Dawn) and network size.
 * With /usr/bin/python3 and torch, the same segmentor step in PyTorch (tools/torch_unet_step.py)
 * gives a ratio.
 *
 *   npx tsx bench/trainStep.ts [--backends cpu,webgpu] [--sizes micro,tiny,mid] [--steps N] [--no-torch]
 *
 * Inputs are synthetic (uniform image, a ball-shaped tumour mask): speed does not depend on them.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  adversarialOptimizer,
  createClassifier,
  createGenerator,
  createSegmentor,
  generatorClassifierStep,
  makePreset,
  segmentorOptimizer,
  segmentorStep,
  segmentorSynthesisStep,
  type Preset,
} from '../src/models/index.ts';
import { Rng } from '../src/core/random.ts';
import { initBackend, type BackendChoice } from '../src/node/backend.ts';
import { machineLine, median } from './machine.ts';

interface Size {
  name: string;
  patch: number;
  encoder: number[][];
  batch: number;
}

const SIZES: Record<string, Size> = {
  /** The tests' network (src/node/train/testRun.ts). */
  micro: { name: 'micro', patch: 16, encoder: [[2, 4], [4, 8]], batch: 2 },
  tiny: { name: 'tiny', patch: 32, encoder: [[4, 8], [8, 16]], batch: 2 },
  mid: { name: 'mid', patch: 48, encoder: [[8, 16], [16, 32], [32, 64]], batch: 2 },
};

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function presetOf(s: Size): Preset {
  return makePreset('tiny', {
    patch: [s.patch, s.patch, s.patch],
    generator: { encoder: s.encoder },
    classifier: { encoder: s.encoder },
    segmentor: { encoder: s.encoder },
  });
}

function inputs(s: Size) {
  const p = s.patch;
  const n = p * p * p;
  const rng = new Rng(1);
  const image = new Float32Array(s.batch * n).map(() => rng.uniform());
  const mask = new Float32Array(s.batch * n);
  const label = new Int32Array(s.batch * n);
  const r = p / 6;
  for (let b = 0; b < s.batch; b++)
    for (let z = 0; z < p; z++)
      for (let y = 0; y < p; y++)
        for (let x = 0; x < p; x++) {
          const v = b * n + x + p * (y + p * z);
          label[v] = 1;
          if ((x - p / 2) ** 2 + (y - p / 2) ** 2 + (z - p / 2) ** 2 < r * r) mask[v] = 1;
        }
  const shape: [number, number, number, number, number] = [s.batch, p, p, p, 1];
  return {
    image: tf.tensor5d(image, shape),
    mask: tf.tensor5d(mask, shape),
    ones: tf.ones(shape) as tf.Tensor5D,
    zeros: tf.zeros(shape) as tf.Tensor5D,
    half: tf.fill(shape, 0.5) as tf.Tensor5D,
    label: tf.tensor4d(label, [s.batch, p, p, p], 'int32'),
  };
}

async function time(steps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: shader compilation, kernel caches
  const t: number[] = [];
  for (let k = 0; k < steps; k++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

async function benchOne(s: Size, steps: number): Promise<Record<string, number>> {
  const pr = presetOf(s);
  const S = createSegmentor(pr.segmentor, 'universal');
  const filterS = createSegmentor(pr.segmentor, 'universal');
  const G = createGenerator(pr.generator);
  const C = createClassifier(pr.classifier);
  const optS = segmentorOptimizer(S, pr.stage3);
  const optG = adversarialOptimizer(G, pr.stage2);
  const optC = adversarialOptimizer(C, pr.stage2);
  const x = inputs(s);
  const rng = new Rng(2);
  const organChannel = new Array(s.batch).fill(0);
  const out: Record<string, number> = {};
  out.stage1 = await time(steps, () => segmentorStep(S, optS, { image: x.image, label: x.label }, pr.stage1));
  out.stage2 = await time(steps, () =>
    generatorClassifierStep(G, C, filterS, optG, optC, { image: x.image, softMask: x.mask, synthMask: x.mask, realMask: x.zeros, texture: x.half, organMask: x.ones, organChannel }, pr.stage2, pr.blur, pr.quality),
  );
  out.stage3 = await time(steps, () =>
    segmentorSynthesisStep(S, optS, G, filterS, {
      image: x.image,
      label: x.label,
      synthesize: new Array(s.batch).fill(true),
      softMask: x.mask,
      synthMask: x.mask,
      texture: x.half,
      organMask: x.ones,
      organChannel,
      tumourLabel: new Array(s.batch).fill(2),
    }, rng, pr.stage3, pr.quality, pr.mixup, pr.blur),
  );
  for (const n of [S, filterS, G, C]) n.dispose();
  for (const o of [optS, optG, optC]) o.dispose();
  tf.dispose(Object.values(x));
  return out;
}

function torchStep(s: Size, steps: number): number | null {
  const script = fileURLToPath(new URL('../tools/torch_unet_step.py', import.meta.url));
  if (!existsSync('/usr/bin/python3') || !existsSync(script)) return null;
  const r = spawnSync('/usr/bin/python3', [script, '--patch', String(s.patch), '--batch', String(s.batch), '--encoder', JSON.stringify(s.encoder), '--steps', String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`torch step skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!).seconds as number;
}

const backends = flag('backends', 'cpu,webgpu').split(',') as BackendChoice[];
const sizes = flag('sizes', 'tiny,mid').split(',').map((n) => {
  const s = SIZES[n];
  if (!s) throw new Error(`unknown size ${n} (known: ${Object.keys(SIZES).join(', ')})`);
  return s;
});
const steps = Number(flag('steps', '2'));
const useTorch = !process.argv.includes('--no-torch');

console.log(machineLine());
const rows: string[] = [];
for (const b of backends) {
  let info;
  try {
    info = await initBackend(b);
  } catch (e) {
    console.log(`${b}: unavailable (${(e as Error).message})`);
    continue;
  }
  for (const s of sizes) {
    const r = await benchOne(s, steps);
    const vox = s.patch ** 3 * s.batch;
    const torch = b === backends[0] && useTorch ? torchStep(s, steps) : null;
    const row = `| ${info.backend} (${info.adapter}; ${(info as { kernels?: string }).kernels ?? 'stock'} conv3d kernels) | ${s.name}: ${s.patch}³ × ${s.batch}, encoder ${JSON.stringify(s.encoder)} | ${r.stage1.toFixed(2)} s | ${r.stage2.toFixed(2)} s (${(vox / r.stage2 / 1e3).toFixed(1)} kvox/s) | ${r.stage3.toFixed(2)} s (${(vox / r.stage3 / 1e3).toFixed(1)} kvox/s) |`;
    rows.push(row);
    console.log(row);
    if (torch !== null) {
      const t = `| PyTorch ${'(/usr/bin/python3)'} | ${s.name} segmentor step | ${torch.toFixed(3)} s (tfjs ${info.backend} / torch = ${(r.stage1 / torch).toFixed(1)}×) | | |`;
      rows.push(t);
      console.log(t);
    }
  }
}
console.log('\n| backend | network | stage-1 step | stage-2 step | stage-3 step |\n| --- | --- | ---: | ---: | ---: |\n' + rows.join('\n'));
