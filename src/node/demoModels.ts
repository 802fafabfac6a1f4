/**
 * The demo models' evaluation, shared by `scripts/trainDemo.ts` (which writes the figures into the
 * model card) and `src/node/demoModels.test.ts` (which recomputes some of them from the committed
 * weights). Everything here uses the CLI's own pieces: its config, preprocessing cache, tumour
 * placement (`tumourInputs`, `handcraftedTumour`), Eq. 1 (`synthesizeWithGenerator`) and the quality
 * test (`qualityCounts`), in the same crop-around-the-tumour way `freetumor synthesize` scores P.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORGAN_IDS } from '../core/labels.ts';
import { hashSeed, Rng } from '../core/random.ts';
import type { Mat4, Vec3 } from '../core/volume.ts';
import { qualityCounts, qualityFromCounts, spatialMultiple, synthesizeWithGenerator, TUMOUR_CLASSES, type Network } from '../models/index.ts';
import { parseArgs } from './args.ts';
import type { RunConfig } from './config.ts';
import { decodeCase } from './data/cache.ts';
import { cacheFor, CONFIG_FLAGS, configFromArgs, loadManifestFile } from './train/runSetup.ts';
import { cropPadded } from './train/sourceGeometry.ts';
import { handcraftedTumour, tumourInputs } from './train/tumourInputs.ts';
import { DEMO_CT, DEMO_SEG } from './sharedData.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
// The demo models were trained and are evaluated on the TotalSegmentator example, read in place
// from ../shared/data (third-party data is not part of the repository).
export { DEMO_CT, DEMO_SEG } from './sharedData.ts';
export const DEMO_MODELS_DIR = join(REPO, 'public/models');
export const DEMO_CARD_JSON = join(DEMO_MODELS_DIR, 'demo-models.json');

/** Stream tags: quality seeds and held-out Dice seeds never share a stream with training (run seed). */
export const QUALITY_STREAM = 'demo-quality';
export const DICE_STREAM = 'demo-heldout-dice';

export interface DemoCase {
  cfg: RunConfig;
  dims: Vec3;
  affine: Mat4;
  image: Float32Array;
  label: Uint8Array;
}

/** images/ + labels/ links to the shipped demo CT under `dir`, and its manifest (TotalSegmentator ids). */
export async function demoPairsDir(dir: string): Promise<string> {
  const pairs = join(dir, 'pairs');
  await mkdir(join(pairs, 'images'), { recursive: true });
  await mkdir(join(pairs, 'labels'), { recursive: true });
  await symlink(DEMO_CT, join(pairs, 'images', 'demo.nii.gz'));
  await symlink(DEMO_SEG, join(pairs, 'labels', 'demo.nii.gz'));
  return pairs;
}

/** The effective run config of the given CLI config flags (e.g. ['--preset', 'tiny', '--patch', '16']). */
export function demoConfig(configArgv: string[]): Promise<RunConfig> {
  return configFromArgs(parseArgs(configArgv, CONFIG_FLAGS, 'demo'));
}

/** The demo case preprocessed exactly as the CLI does (its cache), from a manifest the CLI wrote. */
export async function loadDemoCase(manifestFile: string, cfg: RunConfig, cacheDir: string): Promise<DemoCase> {
  const lm = await loadManifestFile(manifestFile);
  const entries = await cacheFor(lm, lm.manifest.cases, cfg, cacheDir, 'demo');
  const prep = decodeCase(new Uint8Array(await readFile(entries[0].file)), entries[0].file);
  return { cfg, dims: prep.header.dims as Vec3, affine: prep.header.affine as Mat4, image: prep.image, label: prep.label };
}

/** Writes a one-case manifest for the demo pairs directly (same content `freetumor manifest` writes). */
export async function writeDemoManifest(dir: string): Promise<string> {
  await demoPairsDir(dir);
  const file = join(dir, 'manifest.json');
  const m = {
    version: 1,
    root: '.',
    folds: 1,
    seed: 0,
    cases: [{ id: 'demo/demo', source: 'demo', image: 'pairs/images/demo.nii.gz', label: 'pairs/labels/demo.nii.gz', labelMap: 'totalsegmentator', labeled: false, fold: 0 }],
  };
  await writeFile(file, JSON.stringify(m, null, 2) + '\n');
  return file;
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** A crop (x,y,z voxel order) at least the patch, holding lo..hi plus a margin, sizes a multiple of `mult`. */
function cropAround(lo: number[], hi: number[], dims: Vec3, patch: Vec3, mult: number): { start: Vec3; size: Vec3 } {
  const size = [0, 1, 2].map((a) => roundUp(Math.max(patch[a], hi[a] - lo[a] + 1 + 8), mult)) as Vec3;
  const start = [0, 1, 2].map((a) => {
    const centre = Math.round((lo[a] + hi[a]) / 2);
    return Math.max(0, Math.min(centre - (size[a] >> 1), dims[a] - size[a]));
  }) as Vec3;
  return { start, size };
}

const patchOf = (cfg: RunConfig): Vec3 => [cfg.preset.patch[2], cfg.preset.patch[1], cfg.preset.patch[0]];

export interface QualityRecord {
  seed: number;
  placed: boolean;
  organ?: string;
  sizeClass?: string;
  voxels?: number;
  P?: number;
  pass?: boolean;
}

/**
 * One synthetic tumour on the demo case for `seed`: position simulation, G + Eq. 1 in a crop
 * around it (as `freetumor synthesize`), S's argmax, P = |M ∩ tumour| / |M|.
 */
export async function qualityForSeed(G: Network, S: Network, c: DemoCase, seed: number, threshold = c.cfg.preset.quality.threshold): Promise<QualityRecord> {
  const { cfg, dims } = c;
  const rng = new Rng(hashSeed(seed, QUALITY_STREAM));
  const t = tumourInputs(c.label, dims, c.affine, cfg, rng);
  if (!t || !t.simulation.softBox) return { seed, placed: false };
  const mult = Math.max(spatialMultiple(cfg.preset.generator), spatialMultiple(cfg.preset.segmentor));
  const box = t.simulation.softBox;
  const { start, size } = cropAround(box.lo, box.hi, dims, patchOf(cfg), mult);
  const crop = (d: Float32Array | Uint8Array) => cropPadded(d, dims, start, size);
  const shape: [number, number, number, number, number] = [1, size[2], size[1], size[0], 1];
  const counts = tf.tidy(() => {
    const inputs = {
      image: tf.tensor5d(crop(c.image), shape),
      softMask: tf.tensor5d(crop(t.softMask), shape),
      texture: tf.tensor5d(crop(t.texture), shape),
      organMask: tf.tensor5d(crop(t.organMask), shape),
      organChannel: [t.organChannel],
    };
    const xhat = synthesizeWithGenerator(G, inputs, cfg.preset.blur);
    return qualityCounts(S.apply(xhat), tf.tensor5d(crop(t.mask), shape), TUMOUR_CLASSES[cfg.preset.labelScheme]);
  });
  const data = await counts.data();
  counts.dispose();
  const q = qualityFromCounts(data, threshold);
  const tumour = t.simulation.tumours[0];
  return { seed, placed: true, organ: t.organ, sizeClass: tumour.sizeClass, voxels: tumour.voxelCount, P: q.P[0], pass: q.pass[0] };
}

export interface DiceRecord {
  seed: number;
  placed: boolean;
  tumourVoxels?: number;
  predictedVoxels?: number;
  dice?: number;
}

const TUMOUR_IDS = new Set([ORGAN_IDS.liver.tumor, ORGAN_IDS.pancreas.tumor, ORGAN_IDS.kidney.tumor]);

/**
 * S's tumour Dice on one held-out handcrafted (SynTumor-like) tumour placed with `seed` (a stream
 * the training never draws from), scored in a crop around the tumour (the tumour plus ≥ 4 voxels
 * each side, at least one patch), any tumour class counting as tumour.
 */
export async function handcraftedDiceForSeed(S: Network, c: DemoCase, seed: number): Promise<DiceRecord> {
  const { cfg, dims } = c;
  const rng = new Rng(hashSeed(seed, DICE_STREAM));
  const h = handcraftedTumour(c.image, c.label, dims, c.affine, cfg, rng);
  if (!h) return { seed, placed: false };
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  let n = 0;
  for (let z = 0, v = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, v++) {
        if (!TUMOUR_IDS.has(h.label[v])) continue;
        n++;
        const p = [x, y, z];
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a], p[a]);
          hi[a] = Math.max(hi[a], p[a]);
        }
      }
  if (!n) return { seed, placed: false };
  const mult = spatialMultiple(cfg.preset.segmentor);
  const { start, size } = cropAround(lo, hi, dims, patchOf(cfg), mult);
  const image = cropPadded(h.image, dims, start, size);
  const label = cropPadded(h.label, dims, start, size);
  const shape: [number, number, number, number, number] = [1, size[2], size[1], size[0], 1];
  const arg = tf.tidy(() => tf.argMax(S.apply(tf.tensor5d(image, shape)), 4));
  const pred = await arg.data();
  arg.dispose();
  const tumourClasses = new Set(TUMOUR_CLASSES[cfg.preset.labelScheme]);
  let inter = 0;
  let predN = 0;
  let trueN = 0;
  for (let v = 0; v < label.length; v++) {
    const p = tumourClasses.has(pred[v]);
    const g = TUMOUR_IDS.has(label[v]);
    if (p) predN++;
    if (g) trueN++;
    if (p && g) inter++;
  }
  return { seed, placed: true, tumourVoxels: trueN, predictedVoxels: predN, dice: trueN + predN > 0 ? (2 * inter) / (trueN + predN) : NaN };
}

export interface Summary {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  q25: number;
  q75: number;
}

export function summarise(values: number[]): Summary {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const q = (f: number) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.round(f * (v.length - 1))))] : NaN);
  return { n: v.length, mean: v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN, median: q(0.5), min: v[0] ?? NaN, max: v[v.length - 1] ?? NaN, q25: q(0.25), q75: q(0.75) };
}
