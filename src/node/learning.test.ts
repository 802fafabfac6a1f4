/**
 * Evidence that the models learn (issue 4), on the real demo CT with the tiny preset, cpu backend,
 * everything seeded:
 *   1. a tiny liver-specialist S trained on handcrafted (SynTumor-like) tumours reaches tumour Dice
 *      > 0.5 on held-out handcrafted tumours (seeds from a stream training never draws);
 *   2. a tiny G trained against that frozen S raises mean P (the quality test's share of M that S
 *      segments) over training, and Eq. 1 leaves every voxel outside M̃ bit for bit unchanged.
 * The P curve is written to .cache/test-report/learning-curve.json and printed.
 *
 * Crops are 16³ at 3 mm centred on liver voxels, the setting of the demo models (scripts/trainDemo.ts),
 * drawn in-process rather than through the CLI's loader so that only the models are under test.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSeed, Rng } from '../core/random.ts';
import type { Vec3 } from '../core/volume.ts';
import {
  adversarialOptimizer,
  augmentBatch,
  createClassifier,
  createGenerator,
  createSegmentor,
  generatorClassifierStep,
  segmentorOptimizer,
  segmentorStep,
  synthesizeWithGenerator,
  type Network,
} from '../models/index.ts';
import { initBackend } from './backend.ts';
import type { RunConfig } from './config.ts';
import { demoConfig, handcraftedDiceForSeed, loadDemoCase, qualityForSeed, writeDemoManifest, type DemoCase } from './demoModels.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from './testing/sharedDemo.ts';

const present = sharedDemoPresent('learning on the TotalSegmentator example', [DEMO_CT, DEMO_SEG]);
import { toModelLabels } from './train/labelScheme.ts';
import { cropPadded } from './train/sourceGeometry.ts';
import { diagonalAffine, handcraftedTumour, tumourInputs } from './train/tumourInputs.ts';

const P = 16;
const BATCH = 2;
const S_STEPS = 250;
const G_STEPS = 60;
const HELD_OUT = 16;
const ARGV = [
  '--preset', 'tiny', '--patch', String(P), '--batch', String(BATCH), '--backend', 'cpu', '--seed', '11',
  '--set', 'preset.stage1.lr=0.003', '--set', `preset.stage1.totalSteps=${S_STEPS}`,
  '--set', 'preset.stage2.lr=0.0005',
  '--set', 'preset.labelScheme="specialist"', '--set', 'preset.segmentor.outChannels=3', '--set', 'run.organ="liver"',
  '--set', 'run.organs=["liver"]',
  '--set', 'position.sizeClasses.probabilities={"tiny":0,"small":1,"medium":1,"large":0}',
];

let dir: string;
let cfg: RunConfig;
let demo: DemoCase;
let liverVoxels: number[];
let S: Network | undefined;
const patch: Vec3 = [P, P, P];
const shape: [number, number, number, number, number] = [BATCH, P, P, P, 1];

beforeAll(async () => {
  if (!present) return;
  await initBackend('cpu');
  cfg = await demoConfig(ARGV);
  dir = await mkdtemp(join(tmpdir(), 'ftw-learning-'));
  demo = await loadDemoCase(await writeDemoManifest(dir), cfg, join(dir, 'cache'));
  liverVoxels = [];
  for (let v = 0; v < demo.label.length; v++) if (demo.label[v] === 1) liverVoxels.push(v);
}, 120_000);

afterAll(async () => {
  S?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A P³ crop of the preprocessed demo case centred on a random liver voxel. */
function liverCrop(rng: Rng): { image: Float32Array; label: Uint8Array } {
  const [nx, ny] = demo.dims;
  const v = liverVoxels[rng.int(0, liverVoxels.length - 1)];
  const start: Vec3 = [(v % nx) - P / 2, (Math.floor(v / nx) % ny) - P / 2, Math.floor(v / (nx * ny)) - P / 2];
  return { image: cropPadded(demo.image, demo.dims, start, patch), label: Uint8Array.from(cropPadded(demo.label, demo.dims, start, patch)) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(!present)('learning on the real demo CT (tiny preset, seeded)', () => {
  it('S trained on handcrafted tumours reaches tumour Dice > 0.5 on held-out seeds', async () => {
    const rng = new Rng(hashSeed(11, 'learning-test', 'stage1'));
    const net = createSegmentor(cfg.preset.segmentor, cfg.preset.labelScheme);
    S = net;
    const opt = segmentorOptimizer(net, cfg.preset.stage1);
    const heldOut = async () => {
      const d: number[] = [];
      for (let s = 0; s < HELD_OUT; s++) {
        const r = await handcraftedDiceForSeed(net, demo, s);
        if (r.placed) d.push(r.dice as number);
      }
      return d;
    };
    const before = mean(await heldOut());
    const affine = diagonalAffine(cfg.preset.spacingMm);
    for (let step = 0; step < S_STEPS; step++) {
      const images = new Float32Array(BATCH * P ** 3);
      const labels = new Int32Array(BATCH * P ** 3);
      for (let b = 0; b < BATCH; b++) {
        const c = liverCrop(rng);
        const h = handcraftedTumour(c.image, c.label, patch, affine, cfg, rng) ?? c;
        images.set(h.image, b * P ** 3);
        labels.set(toModelLabels(h.label, cfg.preset.labelScheme, cfg.run.organ), b * P ** 3);
      }
      const x = tf.tensor5d(images, shape);
      const y = tf.tensor4d(labels, [BATCH, P, P, P], 'int32');
      const aug = augmentBatch(x, y, rng, cfg.preset.augment);
      await segmentorStep(net, opt, { image: aug.image, label: aug.label }, cfg.preset.stage1);
      tf.dispose([x, y, aug.image, aug.label]);
    }
    opt.dispose();
    const dice = await heldOut();
    console.log(`stage 1: held-out handcrafted tumour Dice ${before.toFixed(3)} → ${mean(dice).toFixed(3)} (n ${dice.length}, ${S_STEPS} steps)`);
    expect(dice.length).toBeGreaterThanOrEqual(HELD_OUT / 2);
    expect(mean(dice)).toBeGreaterThan(0.5);
  }, 900_000);

  it('G trained against that frozen S raises mean P; voxels outside M̃ stay bit for bit', async () => {
    expect(S, 'stage 1 must have run').toBeDefined();
    const seg = S as Network;
    const rng = new Rng(hashSeed(11, 'learning-test', 'stage2'));
    const G = createGenerator(cfg.preset.generator);
    const C = createClassifier(cfg.preset.classifier);
    const optG = adversarialOptimizer(G, cfg.preset.stage2);
    const optC = adversarialOptimizer(C, cfg.preset.stage2);
    const affine = diagonalAffine(cfg.preset.spacingMm);
    // P on a fixed panel of tumours (the demo-model evaluation), before and after; and per step.
    const panel = async () => {
      const ps: number[] = [];
      for (let s = 0; s < 12; s++) {
        const q = await qualityForSeed(G, seg, demo, s);
        if (q.placed) ps.push(q.P as number);
      }
      return ps;
    };
    const panelBefore = await panel();
    const curve: { step: number; P: number; lSeg: number }[] = [];
    for (let step = 1; step <= G_STEPS; step++) {
      const n = P ** 3;
      const img = new Float32Array(BATCH * n);
      const soft = new Float32Array(BATCH * n);
      const synth = new Float32Array(BATCH * n);
      const tex = new Float32Array(BATCH * n);
      const organ = new Float32Array(BATCH * n);
      const channels: number[] = [];
      for (let b = 0; b < BATCH; b++) {
        // Crops without room for a tumour are redrawn: every sample then scores P.
        for (let tries = 0; ; tries++) {
          const c = liverCrop(rng);
          const t = tumourInputs(c.label, patch, affine, cfg, rng);
          if (!t && tries < 20) continue;
          if (!t) throw new Error('no tumour placed in 20 liver crops');
          img.set(c.image, b * n);
          soft.set(t.softMask, b * n);
          synth.set(t.mask, b * n);
          tex.set(t.texture, b * n);
          organ.set(t.organMask, b * n);
          channels.push(t.organChannel);
          break;
        }
      }
      const batch = {
        image: tf.tensor5d(img, shape),
        softMask: tf.tensor5d(soft, shape),
        synthMask: tf.tensor5d(synth, shape),
        realMask: tf.zeros(shape) as tf.Tensor5D,
        texture: tf.tensor5d(tex, shape),
        organMask: tf.tensor5d(organ, shape),
        organChannel: channels,
      };
      const r = await generatorClassifierStep(G, C, seg, optG, optC, batch, cfg.preset.stage2, cfg.preset.blur, cfg.preset.quality);
      curve.push({ step, P: mean(r.P), lSeg: r.lSeg });

      if (step === G_STEPS) {
        // Eq. 1 with the trained G: outside M̃ (and outside the organ) x̂ equals x exactly.
        const xhat = synthesizeWithGenerator(G, batch, cfg.preset.blur);
        const [xh, x, m, o] = await Promise.all([xhat.data(), batch.image.data(), batch.softMask.data(), batch.organMask.data()]);
        xhat.dispose();
        let outside = 0;
        let changedOutside = 0;
        let changedInside = 0;
        for (let v = 0; v < x.length; v++) {
          if (m[v] > 0 && o[v] > 0) {
            if (xh[v] !== x[v]) changedInside++;
          } else {
            outside++;
            if (!Object.is(xh[v], x[v])) changedOutside++;
          }
        }
        expect(outside).toBeGreaterThan(0);
        expect(changedOutside).toBe(0);
        expect(changedInside).toBeGreaterThan(0);
      }
      tf.dispose([batch.image, batch.softMask, batch.synthMask, batch.realMask, batch.texture, batch.organMask]);
    }
    const panelAfter = await panel();
    const k = 15;
    const first = mean(curve.slice(0, k).map((c) => c.P));
    const last = mean(curve.slice(-k).map((c) => c.P));
    const report = {
      what: 'stage-2 training-batch mean P per step (tiny G vs frozen tiny liver-specialist S, demo CT, seed 11)',
      sSteps: S_STEPS,
      curve,
      window: k,
      firstStepsMeanP: first,
      lastStepsMeanP: last,
      panel: { seeds: '0..11 (qualityForSeed)', before: mean(panelBefore), after: mean(panelAfter) },
    };
    await mkdir('.cache/test-report', { recursive: true });
    await writeFile('.cache/test-report/learning-curve.json', JSON.stringify(report, null, 1) + '\n');
    console.log(`stage 2: mean P, first ${k} steps ${first.toFixed(3)} → last ${k} ${last.toFixed(3)}; 12-seed panel ${mean(panelBefore).toFixed(3)} → ${mean(panelAfter).toFixed(3)}`);
    console.log(`stage 2: P curve ${curve.map((c) => c.P.toFixed(2)).join(' ')}`);
    expect(last).toBeGreaterThan(first + 0.1);
    expect(mean(panelAfter)).toBeGreaterThan(mean(panelBefore));
    for (const n of [G, C]) n.dispose();
    optG.dispose();
    optC.dispose();
  }, 900_000);
});
