/**
 * Synthetic study items made by the workbench's generator and scored by its quality test: the
 * quality lab's own computation (`synthesizeAndScore`: position simulation, G + Eq. 1 in the model's
 * crop, S on x̂, P = |M ∩ S(x̂)| / |M|; `composeView`: x̂ back on the source grid) for every
 * candidate, kept to the requested quality mix by `drawToMix`. Runs wherever tfjs runs (the study
 * worker in the browser; Node in unit tests).
 */
import { hashSeed } from '../../core/random.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import { TumourSimulationError } from '../../core/tumor/errors.ts';
import { composeView, synthesizeAndScore, type LabCase, type LabModels } from '../qualityLab/labCompute.ts';
import { cropOf, fovOf, planSynthetic, withoutTumours, type Cropped, type SyntheticSource } from './prepare.ts';
import { drawToMix, type QualityMix } from './qualityMix.ts';
import type { QualityModels } from './types.ts';

export interface QualitySettings {
  /** Pass at P ≥ threshold. */
  threshold: number;
  mix: QualityMix;
  /** Cap on candidates drawn. */
  maxAttempts: number;
}

export function checkQualitySettings(q: QualitySettings): void {
  if (!(q.threshold >= 0 && q.threshold <= 1)) throw new RangeError(`the quality threshold T must be in [0, 1], got ${q.threshold}`);
  if (!Number.isInteger(q.maxAttempts) || q.maxAttempts < 1) throw new RangeError(`the attempt cap must be a whole number ≥ 1, got ${q.maxAttempts}`);
}

/** Tumour placement problems make a candidate unusable (the next is drawn); anything else (GPU, models) stops the build. */
const isPlacementError = (err: unknown) => err instanceof TumourSimulationError || (err instanceof Error && err.name === 'TumourSimulationError');

export function generatorSource(models: LabModels, refs: QualityModels, q: QualitySettings): SyntheticSource {
  checkQualitySettings(q);
  return {
    ...(models.organ ? { organs: [models.organ] } : {}),
    async make(cases, opts, progress) {
      const count = opts.syntheticCount;
      const maxAttempts = Math.max(count, q.maxAttempts);
      // Candidate a: organ and size class in turn (as handcrafted items), its own seed.
      // A specialist S scores only its own organ's tumours.
      const organs = models.organ ? opts.organs.filter((o) => o === models.organ) : opts.organs;
      if (!organs.length) throw new Error(`the segmentor is a ${models.organ} specialist; choose the ${models.organ} among the organs`);
      const plan = planSynthetic(cases, { ...opts, organs, syntheticCount: maxAttempts });
      const labCases = new Map<number, LabCase>();
      const labCase = (i: number): LabCase => {
        let c = labCases.get(i);
        if (!c) {
          // Never on a real tumour label: tumour ids are cleared, as for handcrafted items.
          c = { image: cases[i].image, label: withoutTumours(cases[i].label) };
          labCases.set(i, c);
        }
        return c;
      };
      const result = await drawToMix<Cropped>(
        {
          count,
          mix: q.mix,
          maxAttempts,
          shouldStop: opts.shouldStop,
          onAttempt: (attempts, kept) =>
            progress(kept.pass + kept.fail + kept.notTested, `candidate ${attempts} of at most ${maxAttempts}: ${kept.pass} passing, ${kept.fail} failing kept (T = ${q.threshold})`),
        },
        async (a) => {
          const e = plan[a];
          const c = labCase(e.caseIndex);
          const seed = hashSeed(opts.seed, 'synthetic-generator', a);
          let r;
          try {
            r = await synthesizeAndScore(c, models, { index: a, seed, organ: e.organ, centre: null, sizeClass: e.sizeClass });
          } catch (err) {
            if (isPlacementError(err)) return null;
            throw err;
          }
          const P = r.item.P;
          // M entirely outside the model crop: P is undefined, the candidate cannot be scored.
          if (!Number.isFinite(P)) return null;
          const pass = P >= q.threshold;
          const view = composeView(c, r);
          const item = cropOf(
            {
              image: { dims: c.image.dims, affine: c.image.affine, data: view.image },
              key: {
                truth: 'synthetic',
                organ: r.item.organ,
                sizeClass: r.item.sizeClass as SizeClass,
                provenance: 'synthetic-generator',
                caseName: cases[e.caseIndex].name,
                centreVoxel: r.item.centreVoxel,
                volumeMm3: r.item.volumeMm3,
                quality: {
                  p: P,
                  pass,
                  threshold: q.threshold,
                  models: refs,
                  note: `P = ${P.toFixed(3)} ${pass ? '≥' : '<'} T = ${q.threshold} (S ${refs.segmentor.fileName}, G ${refs.generator.fileName})`,
                },
                seed,
                method: 'generator',
              },
            },
            fovOf(opts),
          );
          return { pass, value: item };
        },
      );
      return {
        items: result.items.map((d) => d.value),
        record: {
          method: 'generator',
          threshold: q.threshold,
          models: refs,
          mix: q.mix,
          requested: result.requested,
          got: result.got,
          attempts: result.attempts,
          maxAttempts,
          report: result.report,
        },
      };
    },
  };
}
