/**
 * `freetumor evaluate`: sliding-window inference with a segmentor checkpoint over the cases of a
 * fold, scored on the preprocessed grid (RAS, target spacing, foreground crop — the grid the
 * network sees; labels there are the source labels resampled by nearest neighbour). Reports the
 * paper's number (per-case tumour Dice averaged over cases with a tumour) and what the reference
 * leaves out: global Dice, false-positive volume on tumour-free cases, detection per size class.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ORGANS, type Organ } from '../../core/labels.ts';
import { evaluateCase, summariseCases, type CaseResult, type OrganSummary } from '../../core/metrics.ts';
import { spacingOf } from '../../core/volume.ts';
import { slidingWindowInference } from '../../models/index.ts';
import { listFlag, numberFlag, parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { decodeCase } from '../data/cache.ts';
import { writeFileAtomic } from '../io.ts';
import { toProjectLabels } from '../train/labelScheme.ts';
import { cacheFor, CONFIG_FLAGS, CONFIG_HELP, configFromArgs, foldCases, foldFlag, loadManifestFile, openCheckpoint, restoreChecked, startBackend } from '../train/runSetup.ts';

const help = `usage: freetumor evaluate --manifest FILE --checkpoint CKPT --out DIR [options]

Sliding-window inference (window = patch, overlap preset.inference.overlap = 0.75, Gaussian
blending, argmax) over the cases of a fold, scored on the preprocessed grid. Writes
DIR/evaluation.json (per case and per organ) and DIR/evaluation.md (the table, also printed).

options:
  --manifest FILE   repeatable (e.g. real cases and a synthetic set); cases of all are pooled
  --checkpoint CKPT segmentor checkpoint (stage 1 or 3: file, checkpoint dir, or run dir)
  --out DIR
  --fold K          evaluate fold K only (default: every case)
  --overlap X       sliding-window overlap (default preset.inference.overlap)
  --cache DIR
${CONFIG_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  manifest: { type: 'list' },
  checkpoint: { type: 'string' },
  out: { type: 'string' },
  fold: { type: 'string' },
  overlap: { type: 'string' },
  cache: { type: 'string' },
} as const;

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');

export function markdownTable(summary: OrganSummary[], title: string): string {
  const rows = summary.map((s) => {
    const det = (['tiny', 'small', 'medium', 'large'] as const).map((c) => `${s.detection[c].detected}/${s.detection[c].lesions}`).join(' · ');
    return `| ${s.organ} | ${s.casesWithTumour} | ${pct(s.meanDice)} | ${pct(s.globalDice)} | ${s.tumourFreeCases} | ${num(s.meanFpVolumeTumourFreeMm3)} | ${det} |`;
  });
  return [
    `### ${title}`,
    '',
    '| organ | cases with tumour | tumour DSC % (mean per case) | global DSC % | tumour-free cases | FP volume mm³ (mean, tumour-free) | detected tiny · small · medium · large |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
  ].join('\n');
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, FLAGS, 'evaluate');
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const outDir = resolve(requiredFlag(args, 'out'));
    const manifests = listFlag(args, 'manifest');
    if (!manifests.length) throw new CliError('--manifest is required');
    const extra: Record<string, unknown>[] = [];
    if (stringFlag(args, 'overlap') !== undefined) extra.push({ preset: { inference: { overlap: numberFlag(args, 'overlap', 0.75, { min: 0, max: 0.99 }) } } });
    const cfg = await configFromArgs(args, extra);
    const ck = await openCheckpoint(requiredFlag(args, 'checkpoint'));
    const loaded = [];
    for (const m of manifests) loaded.push(await loadManifestFile(m));
    const label = 'evaluate';
    const info = await startBackend(cfg.run.backend, label);
    const scheme = cfg.preset.labelScheme;
    const S = restoreChecked(ck, 'S', { config: cfg.preset.segmentor, role: 'segmentor', labelScheme: scheme });
    const organs: Organ[] = scheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : [...ORGANS];
    const results: CaseResult[] = [];
    const patch = cfg.preset.patch;
    try {
      for (const lm of loaded) {
        const cases = foldCases(lm.manifest, foldFlag(args), 'val');
        const entries = await cacheFor(lm, cases, cfg, stringFlag(args, 'cache'), label);
        for (const e of entries) {
          const c = decodeCase(new Uint8Array(await readFile(e.file)), e.file);
          const t0 = performance.now();
          const r = await slidingWindowInference(S, { data: c.image, dims: c.header.dims }, { ...cfg.preset.inference, patch });
          const pred = toProjectLabels(r.labels, scheme, cfg.run.organ);
          results.push(evaluateCase(e.id, pred, c.label, c.header.dims, spacingOf(c.header.affine), organs));
          process.stderr.write(`${label}: ${e.id} ${r.windows} windows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        }
      }
    } finally {
      S.dispose();
    }
    const summary = summariseCases(results, organs);
    const title = `Evaluation of ${ck.file} (${results.length} case${results.length === 1 ? '' : 's'})`;
    const md = markdownTable(summary, title);
    const json = {
      checkpoint: ck.file,
      card: ck.ck.manifest.card,
      manifests: loaded.map((l) => l.file),
      fold: foldFlag(args) ?? null,
      grid: { spacingMm: cfg.preset.spacingMm, note: 'scored on the preprocessed grid (RAS, target spacing, foreground crop)' },
      inference: { ...cfg.preset.inference, patch },
      backend: info,
      summary,
      cases: results,
    };
    await mkdir(outDir, { recursive: true });
    // NaN (no case with a tumour, say) is written as null by JSON; say so rather than lose it.
    await writeFileAtomic(join(outDir, 'evaluation.json'), new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n'));
    await writeFileAtomic(join(outDir, 'evaluation.md'), new TextEncoder().encode(md));
    process.stdout.write(md);
    return 0;
  },
};
