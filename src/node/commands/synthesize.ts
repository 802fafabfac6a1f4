/**
 * `freetumor synthesize`: an offline synthetic-tumour dataset. Per case: place the tumours of one
 * draw (position simulation, `position.count` per draw, never on an existing tumour) on the
 * preprocessed grid, synthesise them with the frozen G (Eq. 1) in a crop around them, score EACH
 * tumour with the frozen stage-1 S (its own P over its own M), keep the passing ones and revert the
 * others (their voxels back to the original image and label), retry with a new draw while none
 * passes (up to --retries times, else skip the case), then carry the change back to the source
 * scan's own voxels and write image + label NIfTI with the source's header (spacing, orientation,
 * datatype), a manifest of the new cases and a JSONL of P per tumour.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Manifest, ManifestCase } from '../../core/manifest.ts';
import { hashSeed, Rng } from '../../core/random.ts';
import { keepTumours, type PositionSimulation } from '../../core/tumor/index.ts';
import type { Vec3 } from '../../core/volume.ts';
import { qualityCounts, qualityFromCounts, spatialMultiple, synthesizeWithGenerator, TUMOUR_CLASSES, type Network } from '../../models/index.ts';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import type { BackendInfo } from '../backend.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { decodeCase } from '../data/cache.ts';
import { casePath, loadCase } from '../data/loadCase.ts';
import { readImageOrDicom } from '../dicom.ts';
import { VOLUME_LIMIT_HELP, writeFileAtomic, writeNiftiFile } from '../io.ts';
import { preprocessOf, type RunConfig } from '../config.ts';
import { cacheDirOf, ensureCaseCached } from '../queue/caseCache.ts';
import { runQueued } from '../queue/coordinator.ts';
import type { JobContext } from '../queue/jobKinds.ts';
import { absolutePaths, fileHash, hashOf } from '../queue/jobs.ts';
import { COORDINATOR_FLAGS, COORDINATOR_HELP, coordinatorOptions, withoutQueueFlags, type CoordinatorOptions } from '../queue/options.ts';
import { CARD_FLAGS, CARD_HELP, cardDefaults } from '../train/cardConfig.ts';
import { cacheFor, CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, loadManifestFile, openCheckpoint, restoreChecked, startBackend, writeRunConfig, assertFitsDevice, type LoadedManifest } from '../train/runSetup.ts';
import { applyToSource, cropPadded } from '../train/sourceGeometry.ts';
import { tumourInputs } from '../train/tumourInputs.ts';

const help = `usage: freetumor synthesize --manifest FILE --generator CKPT --segmentor CKPT --out DIR [options]

Writes an offline synthetic-tumour dataset: per case one draw of position.count tumours (position
simulation on the preprocessed grid, never on or within position.tumourMarginMm of an existing
tumour; frozen G, Eq. 1). Each tumour is scored on its own by the frozen stage-1 S (P over its own
M); a case keeps its passing tumours (P ≥ T) and the failing ones are reverted. Up to --retries
draws per case while none passes, else the case is skipped. The change is mapped back onto the SOURCE scan
(its voxels, spacing, orientation and datatype), so the outputs overlay the originals:
  DIR/images/<id>.nii.gz   image in HU, source header
  DIR/labels/<id>.nii.gz   labels in the project scheme (1 liver, 2 liver tumour, 3 pancreas,
                           4 pancreas tumour, 5 kidney, 6 kidney tumour), source geometry
  DIR/manifest.json        the new cases (source "synthetic", labelled, original folds): use with
                           train-segmentation --synthesis offline --synthetic-manifest
  DIR/quality.jsonl        one line per tumour drawn: case, attempt, tumour, organ, size class,
                           new tumour voxels, P, pass
A case image may be a DICOM series folder (see freetumor manifest --pairs); its outputs are NIfTI
on the converted grid.
stdout: a JSON summary (cases written / skipped, tumours passed / failed, new tumour voxels).
options:
  --manifest FILE  --generator CKPT (stage 2)  --segmentor CKPT (stage 1)  --out DIR
  --fold K         only the cases that TRAIN fold K (every fold but K), as --fold K means for
                   train-segmentation: held-out fold K gets no synthetic copy (default: all)
  --retries N      draws per case (default run.offlineRetries = 10)
  --threshold T    quality threshold (default preset.quality.threshold = 0.7)
  --cache DIR
${COORDINATOR_HELP}
${CARD_HELP}
${CONFIG_HELP}

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  ...CARD_FLAGS,
  manifest: { type: 'string' },
  generator: { type: 'string' },
  segmentor: { type: 'string' },
  out: { type: 'string' },
  fold: { type: 'string' },
  retries: { type: 'string' },
  threshold: { type: 'string' },
  cache: { type: 'string' },
  ...COORDINATOR_FLAGS,
} as const;

const safeName = (id: string) => id.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * The cases `--fold K` synthesises: fold K's training cases, the ones train-segmentation --fold K
 * reads from a synthetic manifest (it drops the held-out fold's), so none is made for nothing and
 * nothing of the held-out fold reaches training.
 */
export function synthesisCases(m: Manifest, fold: number | undefined): ManifestCase[] {
  return foldCases(m, fold, 'train');
}
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** What a synthesis run reads, before any backend or network: enough for a queue coordinator. */
interface SynthesisPlan {
  argv: string[];
  outDir: string;
  genCk: Awaited<ReturnType<typeof openCheckpoint>>;
  segCk: Awaited<ReturnType<typeof openCheckpoint>>;
  cfg: RunConfig;
  lm: LoadedManifest;
  cases: ManifestCase[];
  cacheArg: string | undefined;
}

async function planSynthesis(argv: string[]): Promise<SynthesisPlan> {
  const args = parseArgs(argv, FLAGS, 'synthesize');
  if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
  const outDir = resolve(requiredFlag(args, 'out'));
  const extra: Record<string, unknown>[] = [];
  if (stringFlag(args, 'retries') !== undefined) extra.push({ run: { offlineRetries: numberFlag(args, 'retries', 10, { integer: true, min: 1 }) } });
  if (stringFlag(args, 'threshold') !== undefined) extra.push({ preset: { quality: { threshold: numberFlag(args, 'threshold', 0.7, { min: 0, max: 1 }) } } });
  const genCk = await openCheckpoint(requiredFlag(args, 'generator'));
  const segCk = await openCheckpoint(requiredFlag(args, 'segmentor'));
  const cfg = await configFromArgs(args, extra, [cardDefaults(genCk, 'G'), cardDefaults(segCk, 'S')]);
  const lm = await loadManifestFile(requiredFlag(args, 'manifest'));
  const cases = synthesisCases(lm.manifest, foldFlag(args));
  return { argv: withoutQueueFlags(argv), outDir, genCk, segCk, cfg, lm, cases, cacheArg: stringFlag(args, 'cache') };
}

/** The frozen networks and what every case's synthesis needs of them. */
interface Synthesizer {
  G: Network;
  S: Network;
  info: BackendInfo;
  T: number;
  mult: number;
  patch: Vec3;
  tumourClasses: number[];
}

async function openSynthesizer(plan: SynthesisPlan, label: string): Promise<Synthesizer> {
  const { cfg, genCk, segCk } = plan;
  const info = await startBackend(cfg.run.backend, label);
  const G: Network = restoreChecked(genCk, 'G', { config: cfg.preset.generator, role: 'generator' });
  const S: Network = restoreChecked(segCk, 'S', { config: cfg.preset.segmentor, role: 'segmentor', labelScheme: cfg.preset.labelScheme });
  assertFitsDevice([{ label: 'generator G', config: G.config, patch: cfg.preset.patch }, { label: 'segmentor S', config: S.config, patch: cfg.preset.patch }]);
  return {
    G,
    S,
    info,
    T: cfg.preset.quality.threshold,
    mult: Math.max(spatialMultiple(cfg.preset.generator), spatialMultiple(cfg.preset.segmentor)),
    patch: [cfg.preset.patch[2], cfg.preset.patch[1], cfg.preset.patch[0]],
    tumourClasses: TUMOUR_CLASSES[cfg.preset.labelScheme],
  };
}

/** One case's share of the outputs: its NIfTIs are written; the rest goes into the final files. */
interface CaseOutcome {
  lines: string[];
  manifestCase: ManifestCase | null;
  passed: number;
  failed: number;
  newTumourVoxels: number;
}

async function synthesizeCase(plan: SynthesisPlan, syn: Synthesizer, c: ManifestCase, cacheFile: string, progress: (p: Record<string, unknown>) => void = () => {}): Promise<CaseOutcome> {
  const { cfg, lm, outDir } = plan;
  const { G, S, T, mult, patch, tumourClasses } = syn;
  const prep = decodeCase(new Uint8Array(await readFile(cacheFile)), cacheFile);
  const dims = prep.header.dims;
  const o: CaseOutcome = { lines: [], manifestCase: null, passed: 0, failed: 0, newTumourVoxels: 0 };
  for (let attempt = 0; attempt < cfg.run.offlineRetries && !o.manifestCase; attempt++) {
    progress({ case: c.id, attempt });
    const rng = new Rng(hashSeed(cfg.run.seed, c.id, attempt));
    const t = tumourInputs(prep.label, dims, prep.header.affine, cfg, rng);
    if (!t || !t.simulation.softBox) {
      o.lines.push(JSON.stringify({ case: c.id, attempt, placed: false }));
      continue;
    }
    // A crop around the tumours, at least the training patch, large enough for all of M̃.
    const box = t.simulation.softBox;
    const size = [0, 1, 2].map((a) => roundUp(Math.max(patch[a], box.hi[a] - box.lo[a] + 1 + 8), mult)) as Vec3;
    const start = [0, 1, 2].map((a) => {
      const centre = Math.round((box.lo[a] + box.hi[a]) / 2);
      return Math.max(0, Math.min(centre - (size[a] >> 1), dims[a] - size[a]));
    }) as Vec3;
    const crop = (d: Float32Array | Uint8Array) => cropPadded(d, dims, start, size);
    const shape: [number, number, number, number, number] = [1, size[2], size[1], size[0], 1];
    const image = crop(prep.image);
    const softAll = crop(t.softMask);
    // Each tumour's own M on the crop: one P per tumour, not one P over all of M.
    const masks = t.simulation.parts.map((part) => cropOfVoxels(part.voxels, dims, start, size));
    const { counts: countsT, delta } = tf.tidy(() => {
      const inputs = {
        image: tf.tensor5d(image, shape),
        softMask: tf.tensor5d(softAll, shape),
        texture: tf.tensor5d(crop(t.texture), shape),
        organMask: tf.tensor5d(crop(t.organMask), shape),
        organChannel: [t.organChannel],
      };
      const xhat = synthesizeWithGenerator(G, inputs, cfg.preset.blur);
      return { counts: perTumourCounts(S.apply(xhat), masks, shape, tumourClasses), delta: tf.sub(inputs.image, xhat) };
    });
    const counts = await countsT.data();
    const d = new Float32Array(await delta.data());
    tf.dispose([countsT, delta]);
    const q = qualityFromCounts(counts, T);
    const keep: number[] = [];
    const records = t.simulation.tumours.map((tumour, i) => {
      const pass = cfg.preset.quality.mode === 'none' ? true : q.pass[i];
      if (pass) keep.push(tumour.index);
      return { case: c.id, attempt, tumour: tumour.index, organ: tumour.organ, sizeClass: tumour.sizeClass, newVoxels: tumour.voxelCount, P: q.P[i], threshold: T, pass };
    });
    o.passed += keep.length;
    o.failed += records.length - keep.length;
    if (!keep.length) {
      for (const r of records) o.lines.push(JSON.stringify(r));
      continue;
    }
    const mask = keepPassing(t.simulation, keep, crop, d, masks);
    const src = await loadCase(c, lm.root);
    const srcImage = await readImageOrDicom(casePath(lm.root, c.image));
    const scan = { dims: src.image.dims, affine: src.image.affine, image: new Float32Array(src.image.data), label: new Uint8Array(src.label.data) };
    const tumourVoxels = applyToSource(scan, { affine: prep.header.affine, start, size, delta: d, mask }, t.organ, cfg.preprocess.windowHi - cfg.preprocess.windowLo);
    o.newTumourVoxels += tumourVoxels;
    const name = safeName(c.id);
    const imageRel = `images/${name}.nii.gz`;
    const labelRel = `labels/${name}.nii.gz`;
    await mkdir(join(outDir, 'images'), { recursive: true });
    await mkdir(join(outDir, 'labels'), { recursive: true });
    await writeNiftiFile(join(outDir, imageRel), { dims: scan.dims, affine: scan.affine, data: scan.image }, { header: srcImage.header, datatype: srcImage.datatype });
    await writeNiftiFile(join(outDir, labelRel), { dims: scan.dims, affine: scan.affine, data: scan.label }, { header: srcImage.header, datatype: 'uint8' });
    o.manifestCase = { id: `synthetic/${c.id}`, source: 'synthetic', image: imageRel, label: labelRel, labelMap: 'project', labeled: true, fold: c.fold };
    // sourceTumourVoxels: the case's new tumour voxels on the source grid (all kept tumours).
    for (const r of records) o.lines.push(JSON.stringify(r.pass ? { ...r, sourceTumourVoxels: tumourVoxels, image: imageRel, label: labelRel } : { ...r, reverted: true }));
  }
  return o;
}

const runConfigCommand = (plan: SynthesisPlan, info: BackendInfo) => ({ name: 'synthesize', argv: plan.argv, manifest: plan.lm.file, generator: plan.genCk.file, segmentor: plan.segCk.file, backend: info });

/** quality.jsonl, manifest.json and the summary, from the cases' outcomes in case order. */
async function finishSynthesis(plan: SynthesisPlan, outcomes: CaseOutcome[]): Promise<number> {
  const { outDir, cases, lm, cfg } = plan;
  const out: Manifest = { version: 1, root: '.', folds: lm.manifest.folds, seed: cfg.run.seed, cases: [] };
  const skipped: string[] = [];
  let passed = 0;
  let failed = 0;
  let newTumourVoxels = 0;
  outcomes.forEach((o, ci) => {
    if (o.manifestCase) out.cases.push(o.manifestCase);
    else skipped.push(cases[ci].id);
    passed += o.passed;
    failed += o.failed;
    newTumourVoxels += o.newTumourVoxels;
  });
  await writeFileAtomic(join(outDir, 'quality.jsonl'), new TextEncoder().encode(outcomes.flatMap((o) => o.lines).map((l) => l + '\n').join('')));
  if (out.cases.length) await writeFileAtomic(join(outDir, 'manifest.json'), new TextEncoder().encode(JSON.stringify(out, null, 2) + '\n'));
  const summary = { out: outDir, cases: cases.length, written: out.cases.length, skipped, tumoursPassed: passed, tumoursFailed: failed, newTumourVoxels, threshold: cfg.preset.quality.threshold };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  return 0;
}

/** The coordinator of `synthesize --queue`: one job per case; the workers write the NIfTIs. */
async function synthesizeOnQueue(plan: SynthesisPlan, q: CoordinatorOptions): Promise<number> {
  const { cfg, lm } = plan;
  const configHash = hashOf({ kind: 'synthesize', cfg, generator: await fileHash(plan.genCk.file), segmentor: await fileHash(plan.segCk.file) });
  return runQueued<{ outcome: CaseOutcome; backend: BackendInfo }>(
    {
      kind: 'synthesize',
      label: 'synthesize',
      outDir: plan.outDir,
      configHash,
      argv: absolutePaths(plan.argv, SYNTHESIZE_PATH_FLAGS, (p) => resolve(p)),
      cases: plan.cases.map((c) => ({ manifest: 0, c, root: lm.root })),
      writeDirs: [plan.outDir, join(plan.outDir, 'images'), join(plan.outDir, 'labels')],
      async finish(results) {
        // config.json as a single-process run writes it; the backend is the workers' (the first case's).
        await writeRunConfig(plan.outDir, cfg, runConfigCommand(plan, results[0].backend));
        return finishSynthesis(plan, results.map((r) => r.outcome));
      },
    },
    q,
  );
}

const SYNTHESIZE_PATH_FLAGS = ['manifest', 'generator', 'segmentor', 'out', 'cache', 'config'];

/** A queue worker's setup for synthesize jobs: the networks once, then one case per job. */
export async function openJobContext(argv: string[]): Promise<JobContext> {
  const plan = await planSynthesis(argv);
  const syn = await openSynthesizer(plan, 'synthesize');
  const cacheDir = cacheDirOf(plan.lm, plan.cacheArg);
  const pre = preprocessOf(plan.cfg);
  return {
    async run(job, progress) {
      const c = plan.cases.find((x) => x.id === job.caseId);
      if (!c) throw new Error(`${plan.lm.file}: no case '${job.caseId}' among the cases to synthesise`);
      const entry = await ensureCaseCached(c, plan.lm.root, cacheDir, pre);
      return { outcome: await synthesizeCase(plan, syn, c, entry.file, progress), backend: syn.info };
    },
    dispose() {
      syn.G.dispose();
      syn.S.dispose();
    },
  };
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const plan = await planSynthesis(argv);
    const q = coordinatorOptions(parseArgs(argv, FLAGS, 'synthesize'));
    if (q) return synthesizeOnQueue(plan, q);
    const label = 'synthesize';
    const syn = await openSynthesizer(plan, label);
    const { cases, outDir } = plan;
    const entries = await cacheFor(plan.lm, cases, plan.cfg, plan.cacheArg, label);
    await writeRunConfig(outDir, plan.cfg, runConfigCommand(plan, syn.info));
    await mkdir(join(outDir, 'images'), { recursive: true });
    await mkdir(join(outDir, 'labels'), { recursive: true });
    const outcomes: CaseOutcome[] = [];
    try {
      for (let ci = 0; ci < cases.length; ci++) {
        const o = await synthesizeCase(plan, syn, cases[ci], entries[ci].file);
        outcomes.push(o);
        process.stderr.write(`${label}: ${ci + 1}/${cases.length} ${cases[ci].id} ${o.manifestCase ? 'written' : `skipped (no pass in ${plan.cfg.run.offlineRetries} tries)`}\n`);
      }
    } finally {
      syn.G.dispose();
      syn.S.dispose();
    }
    return finishSynthesis(plan, outcomes);
  },
};

/** A tumour's M (voxel indices of the whole grid) as a 0/1 crop at `start` of `size`. */
export function cropOfVoxels(voxels: Int32Array, dims: Vec3, start: Vec3, size: Vec3): Float32Array {
  const out = new Float32Array(size[0] * size[1] * size[2]);
  const sxy = dims[0] * dims[1];
  for (const idx of voxels) {
    const z = Math.floor(idx / sxy) - start[2];
    const y = Math.floor((idx % sxy) / dims[0]) - start[1];
    const x = (idx % dims[0]) - start[0];
    if (x < 0 || y < 0 || z < 0 || x >= size[0] || y >= size[1] || z >= size[2]) continue;
    out[x + size[0] * (y + size[1] * z)] = 1;
  }
  return out;
}

/** [hit, total] per tumour (qualityCounts against each tumour's own M), one after another. */
export function perTumourCounts(logits: tf.Tensor5D, masks: Float32Array[], shape: [number, number, number, number, number], classes: number[]): tf.Tensor {
  return tf.tidy(() => tf.concat(masks.map((m) => qualityCounts(logits, tf.tensor5d(m, shape), classes)), 0));
}

/**
 * Revert the tumours not in `keep`, in place on the crop's change `delta` (x − x̂); returns the
 * kept tumours' M on the crop. G(x) does not depend on M̃, so x̂ with the kept tumours only is
 * x − M̃_kept·B(tanh G(x))·T: the change scaled by M̃_kept / M̃ (0 where only reverted ones were).
 */
export function keepPassing(sim: PositionSimulation, keep: number[], crop: (d: Float32Array | Uint8Array) => Float32Array, delta: Float32Array, masks: Float32Array[]): Float32Array {
  const mask = new Float32Array(delta.length);
  sim.tumours.forEach((t, q) => {
    if (!keep.includes(t.index)) return;
    const m = masks[q];
    for (let v = 0; v < m.length; v++) if (m[v]) mask[v] = 1;
  });
  if (keep.length === sim.tumours.length) return mask;
  const softAll = crop(sim.softMask);
  const softKept = crop(keepTumours(sim, keep).softMask);
  for (let v = 0; v < delta.length; v++) delta[v] = softAll[v] > 0 ? delta[v] * (softKept[v] / softAll[v]) : 0;
  return mask;
}
