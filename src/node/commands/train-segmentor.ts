/**
 * `freetumor train-segmentor`: stage 1 — the segmentor S trained on labelled tumours (Dice-CE,
 * AdamW, warm-up + cosine), later frozen to score synthetic tumours. Without redistributable real
 * tumour labels, --handcrafted-tumours puts SynTumor-like handcrafted tumours into organ-only crops
 * instead, and says so in its output and the model card.
 */
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { augmentBatch, createSegmentor, segmentorOptimizer, segmentorStep } from '../../models/index.ts';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { patchXYZ } from '../config.ts';
import { VOLUME_LIMIT_HELP } from '../io.ts';
import { CropStream, imageTensor, labelTensor } from '../train/cropStream.ts';
import { hasTumour, toModelLabels } from '../train/labelScheme.ts';
import { hasRealTumourLabels } from '../../core/sampling.ts';
import { cacheFor, CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, LENGTH_HELP, loadManifestFile, startBackend, writeRunConfig, cropGeometry, runOverrides, segmentorScheme, TRAIN_FLAGS, assertFitsDevice } from '../train/runSetup.ts';
import { describeSchedule, resolveSchedule, withSchedule } from '../train/schedule.ts';
import { INTERRUPTED_EXIT, trainWithCheckpoints } from '../train/trainer.ts';
import { diagonalAffine, handcraftedTumour, WholeOrganBands } from '../train/tumourInputs.ts';
import { DEVICES_FLAGS, DEVICES_HELP, openDataParallel, resolveDevices } from '../parallel/devices.ts';

const help = `usage: freetumor train-segmentor --manifest FILE --out DIR [options]

Stage 1: trains the segmentor S (Dice-CE, AdamW, warm-up + cosine) on the cases with real tumour
labels only ("a baseline segmentor with only labeled data"): unlabelled (organ-only) and synthetic
cases are left to stages 2 and 3. S is later frozen: stage 2 trains the generator against it and
the quality test uses it.

options:
  --manifest FILE          dataset manifest (freetumor manifest)
  --out DIR                run directory: config.json, metrics.jsonl, checkpoints/
  --fold K                 hold fold K out (default: train on every case)
${LENGTH_HELP}
                           (defaults: preset.stage1.epochs = 100, warmupEpochs = 2)
  --checkpoint-every N     (default run.checkpointEvery)
  --resume                 continue from DIR/checkpoints/latest (same random stream)
  --handcrafted-tumours    train on every case, putting handcrafted (SynTumor-like) tumours into
                           crops without a real tumour: for data without real tumour labels.
                           Recorded in the model card.
  --cache DIR              preprocessed cache (default <manifest dir>/.freetumor-cache)
${DEVICES_HELP}
${CONFIG_HELP}
Ctrl-C saves a checkpoint and exits. Exit 0 on success, 2 on bad input.

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  ...TRAIN_FLAGS,
  ...DEVICES_FLAGS,
  'handcrafted-tumours': { type: 'boolean' },
} as const;

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'train-segmentor');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const outDir = resolve(requiredFlag(args, 'out'));
    const manifestPath = requiredFlag(args, 'manifest');
    const extra = runOverrides(args, 'stage1');
    const cfg = await configFromArgs(args, extra);
    const handcrafted = args.flags['handcrafted-tumours'] === true;
    const lm = await loadManifestFile(manifestPath);
    const fold = foldCases(lm.manifest, foldFlag(args), 'train');
    // An organ-only case would teach S its unannotated tumours as organ; handcrafted mode instead
    // gives every crop without a real tumour a tumour of its own, so it keeps them all.
    const cases = handcrafted ? fold : fold.filter(hasRealTumourLabels);
    if (!cases.length)
      throw new CliError(`${lm.file}: no case${foldFlag(args) === undefined ? '' : ` outside fold ${foldFlag(args)}`} has real tumour labels; stage 1 needs labelled tumours (or pass --handcrafted-tumours to train on handcrafted ones)`);
    const label = 'stage1';
    const info = await startBackend(cfg.run.backend, label);
    const devices = await resolveDevices(args, info, label, cfg.run.batch);
    // The crop plan and the schedule see the global batch, so step t trains on the same crops for any N.
    const globalBatch = devices * cfg.run.batch;
    assertFitsDevice([{ label: 'segmentor S', config: cfg.preset.segmentor, patch: cfg.preset.patch, batch: cfg.run.batch, pass: 'training' }]);
    if (handcrafted)
      process.stderr.write(`${label}: NOTE — training on HANDCRAFTED (SynTumor-like) tumours placed in organ-only crops, not on real tumour labels\n`);
    if (!handcrafted && cases.length < fold.length)
      process.stderr.write(`${label}: ${cases.length} case(s) with real tumour labels; ${fold.length - cases.length} unlabelled or synthetic case(s) left to stages 2–3\n`);
    const entries = await cacheFor(lm, cases, cfg, stringFlag(args, 'cache'), label);
    const schedule = resolveSchedule(cfg.preset.stage1, entries.map((e) => e.header), cfg.sampling, globalBatch);
    process.stderr.write(describeSchedule(label, schedule));
    const stage1 = withSchedule(cfg.preset.stage1, schedule);
    const command = { name: 'train-segmentor', argv, manifest: lm.file, handcraftedTumours: handcrafted, casesUsed: entries.length, casesLeftOut: fold.length - cases.length, schedule, backend: info, devices, globalBatch };
    await writeRunConfig(outDir, cfg, command);

    const patch = patchXYZ(cfg);
    const affine = diagonalAffine(cfg.preset.spacingMm);
    const scheme = cfg.preset.labelScheme;
    const S = createSegmentor(cfg.preset.segmentor, scheme);
    const stream = new CropStream(entries, cfg.sampling, patch, cfg.run.seed, 'stage1', cfg.run.workers, cfg.run.prefetch);
    // Handcrafted tumour centres in the whole organ's band, not the crop's.
    const bands = new WholeOrganBands(entries);
    const trained = { S: { net: S, opt: segmentorOptimizer(S, stage1), role: 'segmentor' as const } };
    let handcraftedCount = 0;
    const parallel = await openDataParallel(devices, info, label, schedule.totalSteps, cfg.run.checkpointEvery);
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
        description: handcrafted
          ? 'Stage-1 segmentor trained on HANDCRAFTED (SynTumor-like) tumours in organ-only crops (no real tumour labels).'
          : 'Stage-1 segmentor trained on the cases with real tumour labels.',
        provenance: { stage: 1, ...cropGeometry(cfg.preset), command, cases: entries.map((e) => e.id), handcraftedTumours: handcrafted },
      },
      step: async (step) => {
        const crops = await stream.take(globalBatch);
        const images: Float32Array[] = [];
        const labels: Uint8Array[] = [];
        for (const c of crops) {
          let image = c.image;
          let lab = c.label;
          if (handcrafted && !hasTumour(lab)) {
            const h = handcraftedTumour(image, lab, patch, affine, cfg, stream.rng, await bands.forCrop(c.caseId, c.start, patch));
            if (h) {
              image = h.image;
              lab = h.label;
              handcraftedCount++;
            }
          }
          images.push(image);
          labels.push(toModelLabels(lab, scheme, cfg.run.organ));
        }
        const x = imageTensor(images, patch);
        const y = labelTensor(labels, patch);
        const aug = augmentBatch(x, y, stream.rng, cfg.preset.augment);
        tf.dispose([x, y]);
        try {
          const batch = { image: aug.image, label: aug.label };
          const r = parallel
            ? await parallel.segmentorStep('S', trained.S.net, trained.S.opt, batch, stage1, step)
            : await segmentorStep(trained.S.net, trained.S.opt, batch, stage1);
          return { loss: r.loss, lr: r.lr, ...(handcrafted ? { handcraftedTotal: handcraftedCount } : {}) };
        } finally {
          tf.dispose([aug.image, aug.label]);
        }
      },
    }).finally(() => parallel?.close());
    return result.interrupted ? INTERRUPTED_EXIT : 0;
  },
};
