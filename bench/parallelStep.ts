/**
 * Data-parallel step time: a stage-1 segmentor step (Dice-CE forward + backward + AdamW) on a fixed
 * global batch, on 1 device (segmentorStep) and on N devices (src/node/parallel: replica 0 in this
 * thread, N−1 worker threads, gradients averaged over shared memory). Same work per step, split:
 * speed-up = t(1) / t(N). After the same steps from the same seeded start, the N-device weights are
 * compared with the 1-device ones (relative L2, without the conv biases before instance norm,
 * whose updates are rounding noise: docs/training.md). Each figure is the median of `--steps` timed steps after one warm-up step
 * (which also starts the workers and mirrors the weights).
 *
 *   npm run bench:parallel -- [--backends cpu,webgpu] [--sizes micro,tiny] [--devices 1,2] [--batch 4] [--steps 3]
 *
 * Inputs are synthetic (seeded uniform image, a ball-shaped label): speed does not depend on them.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/random.ts';
import { createSegmentor, makePreset, segmentorOptimizer, segmentorStep, type Stage1Config } from '../src/models/index.ts';
import { initBackend, type BackendChoice } from '../src/node/backend.ts';
import { DataParallel } from '../src/node/parallel/dataParallel.ts';
import { relativeDifference } from '../src/node/parallel/weightDiff.ts';
import { machineLine, median } from './machine.ts';

interface Size {
  name: string;
  patch: number;
  encoder: number[][];
}

const SIZES: Record<string, Size> = {
  /** The tests' network (src/node/train/testRun.ts). */
  micro: { name: 'micro', patch: 16, encoder: [[2, 4], [4, 8]] },
  /** The tiny preset's network. */
  tiny: { name: 'tiny', patch: 32, encoder: [[4, 8], [8, 16]] },
};

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function batchOf(size: Size, batch: number) {
  const p = size.patch;
  const n = p * p * p;
  const rng = new Rng(7);
  const image = new Float32Array(batch * n).map(() => rng.uniform());
  const label = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++)
    for (let z = 0; z < p; z++)
      for (let y = 0; y < p; y++)
        for (let x = 0; x < p; x++) if ((x - p / 2) ** 2 + (y - p / 2) ** 2 + (z - p / 2) ** 2 < (p / 4) ** 2) label[b * n + x + p * (y + p * z)] = 1;
  return { image: tf.tensor5d(image, [batch, p, p, p, 1]), label: tf.tensor4d(label, [batch, p, p, p], 'int32') };
}

let verified = 0;

async function timeSteps(size: Size, devices: number, backend: 'cpu' | 'webgpu', batch: number, steps: number): Promise<{ seconds: number; weights: Map<string, Float32Array> }> {
  const preset = makePreset('tiny', { patch: [size.patch, size.patch, size.patch], segmentor: { encoder: size.encoder } });
  const cfg: Stage1Config = { ...preset.stage1, lengthUnit: 'steps', totalSteps: steps + 1, warmupUnit: 'steps', warmupSteps: 0 };
  const S = createSegmentor(preset.segmentor, preset.labelScheme);
  const opt = segmentorOptimizer(S, cfg);
  const data = batchOf(size, batch);
  // Verified once, after the last step (a divergence throws).
  const pool = devices > 1 ? await DataParallel.start({ devices, backend, label: 'bench', verifyEvery: steps + 1, totalSteps: steps + 1, log: () => verified++ }) : null;
  const times: number[] = [];
  const weights = new Map<string, Float32Array>();
  try {
    for (let s = 0; s <= steps; s++) {
      const t0 = performance.now();
      if (pool) await pool.segmentorStep('S', S, opt, data, cfg, s);
      else await segmentorStep(S, opt, data, cfg);
      if (s > 0) times.push((performance.now() - t0) / 1000);
    }
    for (const [k, v] of S.params) weights.set(k, (await v.data()) as Float32Array);
  } finally {
    await pool?.close();
    tf.dispose([data.image, data.label]);
    S.dispose();
    opt.dispose();
  }
  return { seconds: median(times), weights };
}

/** S is instance-normed: a conv bias right before the norm moves by rounding noise only (docs/training.md). */
const signal = (m: Map<string, Float32Array>) => new Map([...m].filter(([k]) => !/\.conv\d\.bias$/.test(k)));

const backends = flag('backends', 'cpu').split(',') as BackendChoice[];
const sizes = flag('sizes', 'micro,tiny').split(',').map((s) => {
  if (!SIZES[s]) throw new Error(`unknown size ${s} (${Object.keys(SIZES).join(', ')})`);
  return SIZES[s];
});
const deviceCounts = flag('devices', '1,2').split(',').map(Number);
const batch = Number(flag('batch', '4'));
const steps = Number(flag('steps', '3'));
for (const d of deviceCounts) if (!Number.isInteger(d) || d < 1 || batch % d) throw new Error(`--devices ${d}: must be a positive integer dividing --batch ${batch}`);

console.log(machineLine());
console.log(`global batch ${batch}; median of ${steps} timed steps after 1 warm-up step`);
console.log('| backend | network | devices | per-device batch | step | speed-up | weights vs 1 device |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
for (const b of backends) {
  const info = await initBackend(b);
  const label = `${info.backend} (${info.adapter}, ${info.kernels} conv3d kernels)`;
  for (const size of sizes) {
    let base: { seconds: number; weights: Map<string, Float32Array> } | null = null;
    for (const d of deviceCounts) {
      const r = await timeSteps(size, d, info.backend, batch, steps);
      if (d === 1) base = r;
      const diff = base && d > 1 ? relativeDifference(signal(r.weights), signal(base.weights)) : null;
      const speed = base ? `${(base.seconds / r.seconds).toFixed(2)}×` : '—';
      const same = diff ? `${diff.relative.toExponential(1)} relative, max ${diff.maxAbs.toExponential(1)}` : '—';
      console.log(`| ${label} | ${size.name}: ${size.patch}³ | ${d} | ${batch / d} | ${r.seconds.toFixed(3)} s | ${speed} | ${same} |`);
    }
  }
}
console.log(`${verified} multi-device run(s): replicas verified identical (sha256 of weights and AdamW state) after the last step`);
