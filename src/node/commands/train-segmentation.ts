/**
 * `freetumor train-segmentation`: stage 3 — the final segmentor, trained on real data plus
 * synthetic tumours: online (frozen G synthesises into every eligible crop, the frozen stage-1 S
 * filters by the quality test P ≥ T or weights by P), offline (cases written by `freetumor
 * synthesize`), or none (real data only); half-split CutMix across the batch; universal or
 * specialist label scheme.
 */
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { augmentBatch, createSegmentor, segmentorOptimizer, segmentorSynthesisStep, type Network } from '../../models/index.ts';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { patchXYZ } from '../config.ts';
import { VOLUME_LIMIT_HELP } from '../io.ts';
import type { CacheEntry } from '../data/cache.ts';
import { CropStream, imageTensor, labelTensor } from '../train/cropStream.ts';
import { hasTumour, toModelLabels } from '../train/labelScheme.ts';
import { CARD_FLAGS, CARD_HELP, cardDefaults } from '../train/cardConfig.ts';
import { cacheFor, CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, LENGTH_HELP, loadManifestFile, openCheckpoint, restoreChecked, startBackend, writeRunConfig, cropGeometry, runOverrides, segmentorScheme, TRAIN_FLAGS, assertFitsDevice } from '../train/runSetup.ts';
import { finiteMean, INTERRUPTED_EXIT, trainWithCheckpoints } from '../train/trainer.ts';
import { describeSchedule, resolveSchedule, withSchedule } from '../train/schedule.ts';
import { diagonalAffine, tumourInputs, WholeOrganBands } from '../train/tumourInputs.ts';
import type { SegmentorUpdate } from '../../models/trainSteps.ts';
import { DEVICES_FLAGS, DEVICES_HELP, openDataParallel, resolveDevices } from '../parallel/devices.ts';

const help = `usage: freetumor train-segmentation --manifest FILE --out DIR [options]

Stage 3: trains the final segmentor on real data plus synthetic tumours, filtered by the quality
test (P = share of the synthetic tumour the frozen stage-1 S calls tumour; pass at P ≥ T).

options:
  --manifest FILE            dataset manifest (real cases)
  --out DIR                  run directory
  --synthesis online|offline|none
                             online (default): G synthesises into every crop with organ and no real
                             tumour; offline: add the cases of --synthetic-manifest; none: real only
  --generator CKPT           stage-2 checkpoint (online)
  --segmentor CKPT           stage-1 checkpoint: the frozen S of the quality test (online)
  --synthetic-manifest FILE  manifest written by freetumor synthesize (offline)
  --filter threshold|adaptive|none
                             threshold (default): failed samples fall back to the original crop;
                             adaptive (Eq. 8): weight each synthetic sample's loss by P; none: keep all
  --threshold T              quality threshold (default preset.quality.threshold = 0.7)
  --mixup on|off             half-split CutMix across the batch (default on)
  --organ NAME               specialist model for one organ (default: universal, 7 classes)
${LENGTH_HELP}
                           (defaults: preset.stage3.epochs = 20, the reference's FreeTumor run;
                           warmupEpochs = 2). Offline synthetic cases are their own source in the
                           sampling (sampling.syntheticOversample = 1), not labelled ×10.
  --fold K  --checkpoint-every N  --resume  --cache DIR
${CARD_HELP}
                           (online: the cards of --generator and --segmentor; the S trained here
                           takes the filter S's classes, not its architecture)
${DEVICES_HELP}
${CONFIG_HELP}

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  ...TRAIN_FLAGS,
  ...DEVICES_FLAGS,
  ...CARD_FLAGS,
  synthesis: { type: 'string' },
  generator: { type: 'string' },
  segmentor: { type: 'string' },
  'synthetic-manifest': { type: 'string' },
  filter: { type: 'string' },
  threshold: { type: 'string' },
  mixup: { type: 'string' },
} as const;

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new CliError(`--${flag} must be ${allowed.join(', ')}; got '${v}'`);
  return v as T;
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'train-segmentation');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const outDir = resolve(requiredFlag(args, 'out'));
    const synthesis = oneOf(stringFlag(args, 'synthesis'), ['online', 'offline', 'none'] as const, 'synthesis', 'online');
    const extra = runOverrides(args, 'stage3');
    if (stringFlag(args, 'filter') !== undefined) extra.push({ preset: { quality: { mode: oneOf(stringFlag(args, 'filter'), ['threshold', 'adaptive', 'none'] as const, 'filter', 'threshold') } } });
    if (stringFlag(args, 'threshold') !== undefined) extra.push({ preset: { quality: { threshold: numberFlag(args, 'threshold', 0.7, { min: 0, max: 1 }) } } });
    const mixup = oneOf(stringFlag(args, 'mixup'), ['on', 'off'] as const, 'mixup', 'on');
    if (mixup === 'off') extra.push({ preset: { mixup: { probability: 0 } } });
    const synthManifest = stringFlag(args, 'synthetic-manifest');
    if (synthesis === 'offline' && !synthManifest) throw new CliError('--synthesis offline needs --synthetic-manifest (written by freetumor synthesize)');
    if (synthesis !== 'offline' && synthManifest) throw new CliError('--synthetic-manifest is only used with --synthesis offline');
    const online = synthesis === 'online';
    if (online && (!stringFlag(args, 'generator') || !stringFlag(args, 'segmentor')))
      throw new CliError('--synthesis online needs --generator (stage 2) and --segmentor (stage 1, the quality filter)');
    const genCk = online ? await openCheckpoint(requiredFlag(args, 'generator')) : null;
    const segCk = online ? await openCheckpoint(requiredFlag(args, 'segmentor')) : null;
    const cards = genCk && segCk ? [cardDefaults(genCk, 'G'), cardDefaults(segCk, 'S', { architecture: false })] : [];
    const cfg = await configFromArgs(args, extra, cards);
    const lm = await loadManifestFile(requiredFlag(args, 'manifest'));
    const synthLm = synthManifest ? await loadManifestFile(synthManifest) : null;

    const label = 'stage3';
    const info = await startBackend(cfg.run.backend, label);
    const devices = await resolveDevices(args, info, label, cfg.run.batch);
    // The crop plan and the schedule see the global batch, so step t trains on the same crops for any N.
    const globalBatch = devices * cfg.run.batch;
    const scheme = cfg.preset.labelScheme;
    const G: Network | null = genCk ? restoreChecked(genCk, 'G', { config: cfg.preset.generator, role: 'generator' }) : null;
    // The filter S is the stage-1 universal/specialist segmentor of the same scheme as this run; a
    // frozen model of its own, so of any architecture (an imported SwinUNETR filtering for a U-Net S).
    const filterS: Network | null = segCk ? restoreChecked(segCk, 'S', { role: 'segmentor', labelScheme: scheme }) : null;
    const step = { patch: cfg.preset.patch, batch: cfg.run.batch };
    assertFitsDevice([
      { label: 'segmentor S', config: cfg.preset.segmentor, pass: 'training', ...step },
      ...(G ? [{ label: 'generator G', config: G.config, ...step }] : []),
      ...(filterS ? [{ label: 'filter segmentor S', config: filterS.config, ...step }] : []),
    ]);
    const cacheDir = stringFlag(args, 'cache');
    const entries: CacheEntry[] = await cacheFor(lm, foldCases(lm.manifest, foldFlag(args), 'train'), cfg, cacheDir, label);
    if (synthLm) entries.push(...(await cacheFor(synthLm, foldCases(synthLm.manifest, foldFlag(args), 'train'), cfg, cacheDir, label)));
    const schedule = resolveSchedule(cfg.preset.stage3, entries.map((e) => e.header), cfg.sampling, globalBatch);
    process.stderr.write(describeSchedule(label, schedule));
    const stage3 = withSchedule(cfg.preset.stage3, schedule);
    const command = {
      name: 'train-segmentation',
      schedule,
      argv,
      manifest: lm.file,
      synthesis,
      syntheticManifest: synthLm?.file ?? null,
      generator: genCk?.file ?? null,
      filterSegmentor: segCk?.file ?? null,
      mixup,
      backend: info,
      devices,
      globalBatch,
    };
    await writeRunConfig(outDir, cfg, command);
    process.stderr.write(`${label}: synthesis ${synthesis}, filter ${cfg.preset.quality.mode} (T = ${cfg.preset.quality.threshold}), mixup ${mixup}, ${scheme}${cfg.run.organ && scheme === 'specialist' ? ` (${cfg.run.organ})` : ''}\n`);

    const patch = patchXYZ(cfg);
    const affine = diagonalAffine(cfg.preset.spacingMm);
    const S = createSegmentor(cfg.preset.segmentor, scheme);
    const stream = new CropStream(entries, cfg.sampling, patch, cfg.run.seed, 'stage3', cfg.run.workers, cfg.run.prefetch);
    // Tumour centres in the whole organ's band (as `synthesize` places them), not the crop's.
    const bands = new WholeOrganBands(entries);
    const trained = { S: { net: S, opt: segmentorOptimizer(S, stage3), role: 'segmentor' as const } };
    const n = patch[0] * patch[1] * patch[2];
    const parallel = await openDataParallel(devices, info, label, schedule.totalSteps, cfg.run.checkpointEvery);
    try {
      const result = await trainWithCheckpoints({
        label,
        outDir,
        schedule,
        cfg,
        resume: args.flags.resume === true,
        stream,
        trained,
        card: {
          preset: cfg.preset.name,
          ...segmentorScheme(cfg),
          description: `Stage-3 FreeTumor segmentor (${scheme}${scheme === 'specialist' ? ` ${cfg.run.organ}` : ''}), synthesis ${synthesis}, filter ${cfg.preset.quality.mode}.`,
          provenance: { stage: 3, ...cropGeometry(cfg.preset), command, generatorCard: genCk?.ck.manifest.card ?? null, filterCard: segCk?.ck.manifest.card ?? null, cases: entries.map((e) => e.id) },
        },
        step: async (stepIndex) => {
          const crops = await stream.take(globalBatch);
          const B = crops.length;
          // Augment first (on project labels), so the synthetic tumour is placed in what S will see.
          const x0 = imageTensor(crops.map((c) => c.image), patch);
          const y0 = labelTensor(crops.map((c) => c.label), patch);
          const aug = augmentBatch(x0, y0, stream.rng, cfg.preset.augment);
          tf.dispose([x0, y0]);
          const projectLabels = new Uint8Array(await aug.label.data());
          tf.dispose(aug.label);
          const shape: [number, number, number, number, number] = [B, patch[2], patch[1], patch[0], 1];
          const soft = new Float32Array(B * n);
          const synth = new Float32Array(B * n);
          const tex = new Float32Array(B * n);
          const organ = new Float32Array(B * n);
          const doSynth: boolean[] = [];
          const channels: number[] = [];
          const paint: number[] = [];
          const modelLabels: Uint8Array[] = [];
          for (let b = 0; b < B; b++) {
            const lab = projectLabels.subarray(b * n, (b + 1) * n);
            modelLabels.push(toModelLabels(lab, scheme, cfg.run.organ));
            let t = null;
            if (online && !hasTumour(lab) && stream.rng.uniform() < cfg.run.synthesisProbability) t = tumourInputs(lab, patch, affine, cfg, stream.rng, undefined, await bands.forCrop(crops[b].caseId, crops[b].start, patch, aug.draws[b].flip[0]));
            doSynth.push(t !== null);
            channels.push(t?.organChannel ?? 0);
            paint.push(t?.tumourLabel ?? 0);
            if (t) {
              soft.set(t.softMask, b * n);
              synth.set(t.mask, b * n);
              tex.set(t.texture, b * n);
              organ.set(t.organMask, b * n);
            }
          }
          const batch = {
            image: aug.image,
            label: labelTensor(modelLabels, patch),
            synthesize: doSynth,
            softMask: tf.tensor5d(soft, shape),
            synthMask: tf.tensor5d(synth, shape),
            texture: tf.tensor5d(tex, shape),
            organMask: tf.tensor5d(organ, shape),
            organChannel: channels,
            tumourLabel: paint,
          };
          try {
            // Without online synthesis G and the filter are never called; S stands in for both.
            // Synthesis, the quality test and CutMix run here on the whole global batch; only the
            // update of S is spread over the devices.
            const update: SegmentorUpdate | undefined = parallel ? (net, opt, b, c) => parallel.segmentorStep('S', net, opt, b, c, stepIndex) : undefined;
            const r = await segmentorSynthesisStep(trained.S.net, trained.S.opt, G ?? trained.S.net, filterS ?? trained.S.net, batch, stream.rng, stage3, cfg.preset.quality, cfg.preset.mixup, cfg.preset.blur, update);
            return {
              loss: r.loss,
              lr: r.lr,
              synthesised: doSynth.filter(Boolean).length,
              accepted: r.accepted.filter(Boolean).length,
              P: finiteMean(r.P),
            };
          } finally {
            tf.dispose([batch.image, batch.label, batch.softMask, batch.synthMask, batch.texture, batch.organMask]);
          }
        },
      });
      return result.interrupted ? INTERRUPTED_EXIT : 0;
    } finally {
      await parallel?.close();
      G?.dispose();
      filterS?.dispose();
    }
  },
};
