/**
 * `freetumor evaluate`: sliding-window inference with a segmentor checkpoint over the whole scan of
 * every case of a fold (RAS, target spacing, no foreground crop), scored twice: on that grid, and
 * on the scan's own voxels (the prediction carried back by nearest neighbour), which is what a
 * user of the model reports — a false positive anywhere in the scan counts. Figures: the paper's
 * per-case tumour Dice (mean over cases with a tumour), NSD at 2 mm, global Dice, FP volume on
 * tumour-free cases, lesion-wise sensitivity and false-positive lesions per scan by size class.
 * Cases without tumour labels are skipped (and counted): they are not known to be tumour-free.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ORGANS, type Organ } from '../../core/labels.ts';
import { evaluateCase, summariseCases, type CaseResult, type OrganSummary } from '../../core/metrics.ts';
import { preprocessCase } from '../../core/preprocess.ts';
import { spacingOf } from '../../core/volume.ts';
import type { ManifestCase } from '../../core/manifest.ts';
import { slidingWindowInference, type Network } from '../../models/index.ts';
import { listFlag, numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import type { BackendInfo } from '../backend.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { preprocessOf, type RunConfig } from '../config.ts';
import { loadCase } from '../data/loadCase.ts';
import { VOLUME_LIMIT_HELP, writeFileAtomic } from '../io.ts';
import { runQueued } from '../queue/coordinator.ts';
import type { JobContext } from '../queue/jobKinds.ts';
import { absolutePaths, fileHash, hashOf } from '../queue/jobs.ts';
import { COORDINATOR_FLAGS, COORDINATOR_HELP, coordinatorOptions, withoutQueueFlags, type CoordinatorOptions } from '../queue/options.ts';
import { toProjectLabels } from '../train/labelScheme.ts';
import { CARD_FLAGS, CARD_HELP, cardDefaults } from '../train/cardConfig.ts';
import { CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, loadManifestFile, openCheckpoint, restoreChecked, startBackend, writeRunConfig, assertFitsDevice, type LoadedManifest } from '../train/runSetup.ts';
import { labelsOnGrid } from '../train/sourceGeometry.ts';

const help = `usage: freetumor evaluate --manifest FILE --checkpoint CKPT --out DIR [options]

Sliding-window inference (window = patch, overlap preset.inference.overlap = 0.75, Gaussian
blending, argmax) over the whole scan of each case of a fold, resampled to the preset's spacing.
Scored on that grid and on the scan's own voxels (source grid: false positives anywhere in the scan
count). Cases whose manifest entry is not labelled (no tumour labels) are skipped and counted, not
taken as tumour-free. Writes DIR/evaluation.json (per case, per organ, both grids), DIR/evaluation.md
(the tables, also printed) and DIR/config.json.

options:
  --manifest FILE   repeatable (e.g. real cases and a synthetic set); cases of all are pooled
  --checkpoint CKPT segmentor checkpoint (stage 1 or 3: file, checkpoint dir, or run dir; or one
                    made by import-checkpoint). Its model card supplies the preset, patch,
                    spacing, label scheme, organ and S's architecture (see model card below)
  --out DIR
  --fold K          evaluate fold K only (default: every case)
  --overlap X       sliding-window overlap (default preset.inference.overlap)
  --nsd-tolerance MM  normalised surface Dice tolerance (default evaluation.nsdToleranceMm = 2)
  --cache DIR       accepted as by the training commands; unused (evaluate reads the source scans)
${COORDINATOR_HELP}
${CARD_HELP}
${CONFIG_HELP}

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  ...CARD_FLAGS,
  manifest: { type: 'list' },
  checkpoint: { type: 'string' },
  out: { type: 'string' },
  fold: { type: 'string' },
  overlap: { type: 'string' },
  'nsd-tolerance': { type: 'string' },
  cache: { type: 'string' },
  ...COORDINATOR_FLAGS,
} as const;

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');

export function markdownTable(summary: OrganSummary[], title: string): string {
  const rows = summary.map((s) => {
    const det = (['tiny', 'small', 'medium', 'large'] as const).map((c) => `${s.detection[c].detected}/${s.detection[c].lesions}`).join(' · ');
    const fpl = (['tiny', 'small', 'medium', 'large'] as const).map((c) => fix2(s.falseLesionsPerScan[c])).join(' · ');
    return `| ${s.organ} | ${s.casesWithTumour} | ${pct(s.meanDice)} | ${pct(s.meanNsd)} | ${pct(s.globalDice)} | ${s.tumourFreeCases} | ${num(s.meanFpVolumeTumourFreeMm3)} | ${det} | ${fpl} |`;
  });
  const skipped = summary[0]?.unlabelledSkipped ?? 0;
  return [
    `### ${title}`,
    '',
    '| organ | cases with tumour | tumour DSC % (mean per case) | tumour NSD % (mean per case) | global DSC % | tumour-free cases | FP volume mm³ (mean, tumour-free) | detected tiny · small · medium · large | FP lesions per scan tiny · small · medium · large |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...rows,
    '',
    ...(skipped ? [`${skipped} case(s) without tumour labels skipped (not counted as tumour-free).`, ''] : []),
  ].join('\n');
}

const fix2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const unlabelled = (id: string): CaseResult => ({ id, labeled: false, organs: [], lesions: [], falseLesions: [] });

/** What an evaluation reads, before any backend or network: enough for a queue coordinator. */
interface EvaluationPlan {
  argv: string[];
  outDir: string;
  ck: Awaited<ReturnType<typeof openCheckpoint>>;
  cfg: RunConfig;
  loaded: LoadedManifest[];
  fold: number | undefined;
  organs: Organ[];
}

async function planEvaluation(argv: string[]): Promise<EvaluationPlan> {
  const args = parseArgs(argv, FLAGS, 'evaluate');
  if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
  const outDir = resolve(requiredFlag(args, 'out'));
  const manifests = listFlag(args, 'manifest');
  if (!manifests.length) throw new CliError('--manifest is required');
  const extra: Record<string, unknown>[] = [];
  if (stringFlag(args, 'overlap') !== undefined) extra.push({ preset: { inference: { overlap: numberFlag(args, 'overlap', 0.75, { min: 0, max: 0.99 }) } } });
  if (stringFlag(args, 'nsd-tolerance') !== undefined) extra.push({ evaluation: { nsdToleranceMm: numberFlag(args, 'nsd-tolerance', 2, { min: 0 }) } });
  const ck = await openCheckpoint(requiredFlag(args, 'checkpoint'));
  const cfg = await configFromArgs(args, extra, [cardDefaults(ck, 'S')]);
  const loaded = [];
  for (const m of manifests) loaded.push(await loadManifestFile(m));
  const scheme = cfg.preset.labelScheme;
  const organs: Organ[] = scheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : [...ORGANS];
  return { argv: withoutQueueFlags(argv), outDir, ck, cfg, loaded, fold: foldFlag(args), organs };
}

async function openEvaluator(plan: EvaluationPlan, label: string): Promise<{ S: Network; info: BackendInfo }> {
  const { cfg, ck } = plan;
  const info = await startBackend(cfg.run.backend, label);
  const S = restoreChecked(ck, 'S', { config: cfg.preset.segmentor, role: 'segmentor', labelScheme: cfg.preset.labelScheme });
  assertFitsDevice([{ label: 'segmentor S', config: S.config, patch: cfg.preset.patch, batch: cfg.preset.inference.batch }]);
  return { S, info };
}

/** One labelled case scored on the preprocessed grid and on the scan's own voxels. */
async function evaluateOne(plan: EvaluationPlan, S: Network, lm: LoadedManifest, c: ManifestCase): Promise<{ onGrid: CaseResult; onSource: CaseResult; windows: number }> {
  const { cfg, organs } = plan;
  const opts = { nsdToleranceMm: cfg.evaluation.nsdToleranceMm };
  // The whole scan: cropping to the labelled foreground would hide false positives outside it.
  const wholeScan = { ...preprocessOf(cfg), marginMm: Infinity };
  let src;
  try {
    src = await loadCase(c, lm.root);
  } catch (e) {
    throw new CliError(`${lm.file}: case ${c.id}: ${(e as Error).message}`);
  }
  const pre = preprocessCase(src.image, src.label, wholeScan);
  const r = await slidingWindowInference(S, { data: pre.image.data, dims: pre.image.dims }, { ...cfg.preset.inference, patch: cfg.preset.patch });
  const pred = toProjectLabels(r.labels, cfg.preset.labelScheme, cfg.run.organ);
  const onGrid = evaluateCase(c.id, pred, pre.label.data, pre.label.dims, spacingOf(pre.label.affine), organs, opts);
  const predSource = labelsOnGrid(pred, pre.label.dims, pre.label.affine, src.label.dims, src.label.affine);
  const onSource = evaluateCase(c.id, predSource, src.label.data, src.label.dims, spacingOf(src.label.affine), organs, opts);
  return { onGrid, onSource, windows: r.windows };
}

/** The cases to evaluate, in report order: per manifest, its cases of the fold. */
function evaluationCases(plan: EvaluationPlan, label: string): { manifest: number; c: ManifestCase }[] {
  const out: { manifest: number; c: ManifestCase }[] = [];
  plan.loaded.forEach((lm, manifest) => {
    const cases = foldCases(lm.manifest, plan.fold, 'val');
    // A pooled synthetic manifest may hold no case of the fold; only all empty is an error.
    if (!cases.length) process.stderr.write(`${label}: ${lm.file}: no case in fold ${plan.fold}\n`);
    for (const c of cases) out.push({ manifest, c });
  });
  return out;
}

type Scored = { onGrid: CaseResult; onSource: CaseResult } | null;

/** evaluation.json, evaluation.md and config.json from every case's scores (null: unlabelled, skipped). */
async function finishEvaluation(plan: EvaluationPlan, cases: { manifest: number; c: ManifestCase }[], scored: Scored[], info: BackendInfo): Promise<number> {
  const { cfg, ck, loaded, organs, outDir } = plan;
  const onGrid: CaseResult[] = [];
  const onSource: CaseResult[] = [];
  const skipped: string[] = [];
  cases.forEach(({ c }, k) => {
    const r = scored[k];
    if (!r) {
      skipped.push(c.id);
      onGrid.push(unlabelled(c.id));
      onSource.push(unlabelled(c.id));
    } else {
      onGrid.push(r.onGrid);
      onSource.push(r.onSource);
    }
  });
  if (!onSource.length) throw new CliError(`no case to evaluate in ${loaded.map((l) => l.file).join(', ')} (check --fold)`);
  const patch = cfg.preset.patch;
  const n = onSource.length - skipped.length;
  const summary = { source: summariseCases(onSource, organs), preprocessed: summariseCases(onGrid, organs) };
  const title = (grid: string) => `${grid}: ${ck.file} (${n} labelled case${n === 1 ? '' : 's'}${skipped.length ? `, ${skipped.length} unlabelled skipped` : ''})`;
  const md =
    markdownTable(summary.source, title('Source grid (the scan\'s own voxels)')) +
    '\n' +
    markdownTable(summary.preprocessed, title(`Preprocessed grid (RAS, ${cfg.preset.spacingMm} mm, whole scan)`));
  const json = {
    checkpoint: ck.file,
    card: ck.ck.manifest.card,
    manifests: loaded.map((l) => l.file),
    fold: plan.fold ?? null,
    grids: {
      source: 'the scan\'s own voxels; the prediction carried back by nearest neighbour',
      preprocessed: `RAS, ${cfg.preset.spacingMm} mm, the whole scan (no foreground crop)`,
    },
    nsdToleranceMm: cfg.evaluation.nsdToleranceMm,
    unlabelledSkipped: skipped,
    inference: { ...cfg.preset.inference, patch },
    backend: info,
    summary,
    cases: onSource.map((r, k) => ({ id: r.id, labeled: r.labeled, source: r, preprocessed: onGrid[k] })),
  };
  await mkdir(outDir, { recursive: true });
  await writeRunConfig(outDir, cfg, { name: 'evaluate', argv: plan.argv, manifests: loaded.map((l) => l.file), checkpoint: ck.file, backend: info });
  // NaN (no case with a tumour, say) is written as null by JSON.
  await writeFileAtomic(join(outDir, 'evaluation.json'), new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'));
  await writeFileAtomic(join(outDir, 'evaluation.md'), new TextEncoder().encode(md));
  process.stdout.write(md);
  return 0;
}

const EVALUATE_PATH_FLAGS = ['manifest', 'checkpoint', 'out', 'cache', 'config'];

/** The coordinator of `evaluate --queue`: one job per labelled case; unlabelled ones are skipped here. */
async function evaluateOnQueue(plan: EvaluationPlan, q: CoordinatorOptions, label: string): Promise<number> {
  const all = evaluationCases(plan, label);
  const labelled = all.filter(({ c }) => c.labeled);
  for (const { c } of all) if (!c.labeled) process.stderr.write(`${label}: ${c.id} skipped: no tumour labels (its manifest entry is not labelled)\n`);
  if (!labelled.length) return finishEvaluation(plan, all, all.map(() => null), { backend: 'cpu', adapter: 'none (no case was evaluated)', kernels: 'stock' });
  const configHash = hashOf({ kind: 'evaluate', cfg: plan.cfg, checkpoint: await fileHash(plan.ck.file), organs: plan.organs });
  return runQueued<{ scored: NonNullable<Scored>; backend: BackendInfo }>(
    {
      kind: 'evaluate',
      label,
      outDir: plan.outDir,
      configHash,
      argv: absolutePaths(plan.argv, EVALUATE_PATH_FLAGS, (p) => resolve(p)),
      cases: labelled.map(({ manifest, c }) => ({ manifest, c, root: plan.loaded[manifest].root })),
      writeDirs: [plan.outDir],
      async finish(results) {
        const byKey = new Map(labelled.map((x, k) => [x, results[k]]));
        return finishEvaluation(plan, all, all.map((x) => byKey.get(x)?.scored ?? null), results[0].backend);
      },
    },
    q,
  );
}

/** A queue worker's setup for evaluate jobs: S once, then one case per job. */
export async function openJobContext(argv: string[]): Promise<JobContext> {
  const plan = await planEvaluation(argv);
  const { S, info } = await openEvaluator(plan, 'evaluate');
  return {
    async run(job) {
      const lm = plan.loaded[job.manifest];
      const c = lm?.manifest.cases.find((x) => x.id === job.caseId);
      if (!lm || !c) throw new Error(`no case '${job.caseId}' in manifest ${job.manifest}`);
      const { onGrid, onSource } = await evaluateOne(plan, S, lm, c);
      return { scored: { onGrid, onSource }, backend: info };
    },
    dispose() {
      S.dispose();
    },
  };
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const label = 'evaluate';
    const plan = await planEvaluation(argv);
    const q = coordinatorOptions(parseArgs(argv, FLAGS, 'evaluate'));
    if (q) return evaluateOnQueue(plan, q, label);
    const { S, info } = await openEvaluator(plan, label);
    const cases = evaluationCases(plan, label);
    const scored: Scored[] = [];
    try {
      for (const { manifest, c } of cases) {
        if (!c.labeled) {
          scored.push(null);
          process.stderr.write(`${label}: ${c.id} skipped: no tumour labels (its manifest entry is not labelled)\n`);
          continue;
        }
        const t0 = performance.now();
        const r = await evaluateOne(plan, S, plan.loaded[manifest], c);
        scored.push(r);
        process.stderr.write(`${label}: ${c.id} ${r.windows} windows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    } finally {
      S.dispose();
    }
    return finishEvaluation(plan, cases, scored, info);
  },
};
