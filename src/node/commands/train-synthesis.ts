/**
 * `freetumor train-synthesis`: stage 2 — the generator G and the classifier discriminator C,
 * trained adversarially against the frozen stage-1 segmentor S: G minimises L_seg + λ_cls·L_adv,
 * C learns real vs synthetic tumour voxels. Tumours are placed by position simulation in each crop.
 */
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import {
  adversarialOptimizer,
  createClassifier,
  createGenerator,
  generatorClassifierStep,
  type Network,
} from '../../models/index.ts';
import { numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { patchXYZ } from '../config.ts';
import { VOLUME_LIMIT_HELP } from '../io.ts';
import { CropStream, imageTensor } from '../train/cropStream.ts';
import { CARD_FLAGS, CARD_HELP, cardDefaults } from '../train/cardConfig.ts';
import { cacheFor, CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, loadManifestFile, openCheckpoint, restoreChecked, startBackend, writeRunConfig, cropGeometry, runOverrides, TRAIN_FLAGS, assertFitsDevice } from '../train/runSetup.ts';
import { finiteMean, INTERRUPTED_EXIT, trainWithCheckpoints } from '../train/trainer.ts';
import { describeSchedule, resolveLength } from '../train/schedule.ts';
import { diagonalAffine, tumourInputs, WholeOrganBands } from '../train/tumourInputs.ts';
import { DEVICES_FLAGS, DEVICES_HELP, openDataParallel, resolveDevices } from '../parallel/devices.ts';

const help = `usage: freetumor train-synthesis --manifest FILE --segmentor CKPT --out DIR [options]

Stage 2: trains the generator G and the classifier discriminator C against the frozen stage-1
segmentor S (L_seg + λ_cls·L_adv for G, real-vs-synthetic for C; Adam betas (0, 0.999)).
Logs L_seg, L_adv, L_G, L_C and the quality P of each step's synthetic tumours.

options:
  --manifest FILE          dataset manifest
  --segmentor CKPT         stage-1 checkpoint (file, checkpoint dir, or run dir → its latest)
  --out DIR                run directory
  --fold K                 hold fold K out (default: every case)
  --epochs E               length in epochs (default run.stage2Epochs = 100; an epoch visits every case
                           as synthesisSampling says: LiTS ×200, MSD-Pancreas/KiTS ×100, others ×1)
  --steps N                length in steps instead
  --lambda-cls X           λ_cls (default preset.stage2.lambdaCls = 0.1)
  --checkpoint-every N  --resume  --cache DIR   as for train-segmentor
${CARD_HELP}
                           (G and C are new: the preset's, or --config's, architecture)
${DEVICES_HELP}
                           (stage 2: L_seg, L_adv and L_C average over each device's voxels)
${CONFIG_HELP}

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  ...TRAIN_FLAGS,
  ...DEVICES_FLAGS,
  ...CARD_FLAGS,
  segmentor: { type: 'string' },
  'lambda-cls': { type: 'string' },
} as const;

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'train-synthesis');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const outDir = resolve(requiredFlag(args, 'out'));
    const extra = runOverrides(args, 'stage2');
    if (stringFlag(args, 'lambda-cls') !== undefined) extra.push({ preset: { stage2: { lambdaCls: numberFlag(args, 'lambda-cls', 0.1, { min: 0 }) } } });
    const segCk = await openCheckpoint(requiredFlag(args, 'segmentor'));
    const cfg = await configFromArgs(args, extra, [cardDefaults(segCk, 'S')]);
    const lm = await loadManifestFile(requiredFlag(args, 'manifest'));
    const label = 'stage2';
    const info = await startBackend(cfg.run.backend, label);
    const devices = await resolveDevices(args, info, label, cfg.run.batch);
    // The crop plan and the schedule see the global batch, so step t trains on the same crops for any N.
    const globalBatch = devices * cfg.run.batch;
    const S: Network = restoreChecked(segCk, 'S', { config: cfg.preset.segmentor, role: 'segmentor', labelScheme: cfg.preset.labelScheme });
    const step = { patch: cfg.preset.patch, batch: cfg.run.batch };
    assertFitsDevice([{ label: 'generator G', config: cfg.preset.generator, pass: 'training', ...step }, { label: 'classifier C', config: cfg.preset.classifier, pass: 'training', ...step }, { label: 'segmentor S', config: S.config, ...step }]);
    const entries = await cacheFor(lm, foldCases(lm.manifest, foldFlag(args), 'train'), cfg, stringFlag(args, 'cache'), label);
    const schedule = resolveLength({ lengthUnit: cfg.run.stage2Unit, epochs: cfg.run.stage2Epochs, totalSteps: cfg.run.stage2Steps }, entries.map((e) => e.header), cfg.synthesisSampling, globalBatch);
    process.stderr.write(describeSchedule(label, schedule));
    const command = { name: 'train-synthesis', argv, manifest: lm.file, segmentor: segCk.file, schedule, backend: info, devices, globalBatch };
    await writeRunConfig(outDir, cfg, command);

    const patch = patchXYZ(cfg);
    const affine = diagonalAffine(cfg.preset.spacingMm);
    const G = createGenerator(cfg.preset.generator);
    const C = createClassifier(cfg.preset.classifier);
    const stream = new CropStream(entries, cfg.synthesisSampling, patch, cfg.run.seed, 'stage2', cfg.run.workers, cfg.run.prefetch);
    // Tumour centres in the whole organ's band (as `synthesize` places them), not the crop's.
    const bands = new WholeOrganBands(entries);
    const trained = {
      G: { net: G, opt: adversarialOptimizer(G, cfg.preset.stage2), role: 'generator' as const },
      C: { net: C, opt: adversarialOptimizer(C, cfg.preset.stage2), role: 'classifier' as const },
    };
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
          description: 'Stage-2 generator G and classifier discriminator C (FreeTumor).',
          provenance: { stage: 2, ...cropGeometry(cfg.preset), command, frozenSegmentor: segCk.file, segmentorCard: segCk.ck.manifest.card, cases: entries.map((e) => e.id) },
        },
        step: async (stepIndex) => {
          const crops = await stream.take(globalBatch);
          const n = patch[0] * patch[1] * patch[2];
          const B = crops.length;
          const soft = new Float32Array(B * n);
          const synth = new Float32Array(B * n);
          const real = new Float32Array(B * n);
          const tex = new Float32Array(B * n);
          const organ = new Float32Array(B * n);
          const channels: number[] = [];
          let placed = 0;
          const siRanges = await Promise.all(crops.map((c) => bands.forCrop(c.caseId, c.start, patch)));
          crops.forEach((c, b) => {
            const t = tumourInputs(c.label, patch, affine, cfg, stream.rng, undefined, siRanges[b]);
            if (t) {
              placed++;
              soft.set(t.softMask, b * n);
              synth.set(t.mask, b * n);
              tex.set(t.texture, b * n);
              organ.set(t.organMask, b * n);
            }
            channels.push(t ? t.organChannel : 0);
            // Real tumour voxels that a synthetic one overwrote count as synthetic.
            for (let v = 0; v < n; v++) {
              const l = c.label[v];
              if ((l === 2 || l === 4 || l === 6) && synth[b * n + v] === 0) real[b * n + v] = 1;
            }
          });
          const shape: [number, number, number, number, number] = [B, patch[2], patch[1], patch[0], 1];
          const batch = {
            image: imageTensor(crops.map((c) => c.image), patch),
            softMask: tf.tensor5d(soft, shape),
            synthMask: tf.tensor5d(synth, shape),
            realMask: tf.tensor5d(real, shape),
            texture: tf.tensor5d(tex, shape),
            organMask: tf.tensor5d(organ, shape),
            organChannel: channels,
          };
          try {
            const r = parallel
              ? await parallel.generatorClassifierStep(trained.G, trained.C, S, batch, cfg.preset.stage2, cfg.preset.blur, cfg.preset.quality, stepIndex)
              : await generatorClassifierStep(trained.G.net, trained.C.net, S, trained.G.opt, trained.C.opt, batch, cfg.preset.stage2, cfg.preset.blur, cfg.preset.quality);
            const scored = r.P.filter(Number.isFinite);
            return {
              lSeg: r.lSeg,
              lAdv: r.lAdv,
              lG: r.lG,
              lC: r.lC,
              P: finiteMean(r.P),
              passed: r.pass.filter(Boolean).length,
              scored: scored.length,
              placed,
            };
          } finally {
            tf.dispose([batch.image, batch.softMask, batch.synthMask, batch.realMask, batch.texture, batch.organMask]);
          }
        },
      });
      return result.interrupted ? INTERRUPTED_EXIT : 0;
    } finally {
      await parallel?.close();
      S.dispose();
    }
  },
};
