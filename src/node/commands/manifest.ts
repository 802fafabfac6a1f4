import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { assignFolds, DEFAULT_FOLDS, type Manifest, MANIFEST_VERSION, parseManifest } from '../../core/manifest.ts';
import { Rng } from '../../core/random.ts';
import { listFlag, numberFlag, parseArgs, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { Progress } from '../progress.ts';
import { scanDataset, type CaseCandidate, type DatasetSpec, type LayoutName } from '../datasets/layouts.ts';
import { checkCases } from '../datasets/validate.ts';
import { VOLUME_LIMIT_HELP, writeFileAtomic } from '../io.ts';

const help = `usage: freetumor manifest --out manifest.json [datasets…] [options]
       freetumor manifest --check-manifest manifest.json

Builds a dataset manifest from folders in the layouts the public datasets ship in, assigns
seeded, source-stratified folds, and reads every case once to list every problem in one report.

datasets (each may repeat):
  --lits DIR               volume-N.nii / segmentation-N.nii anywhere below DIR
  --msd DIR                TaskNN_Liver or TaskNN_Pancreas (imagesTr/, labelsTr/), or a folder of tasks
  --kits DIR               case_NNNNN/imaging.nii.gz + segmentation.nii.gz
  --totalsegmentator DIR   sNNNN/ct.nii.gz + segmentations/<structure>.nii.gz
  --abdomenatlas DIR       BDMAP_*/ct.nii.gz + segmentations/<structure>.nii.gz
  --pairs DIR[:MAP[:NAME]] images/ + labels/ (or imagesTr/ + labelsTr/): an image pairs with
                           the label of its own name, else nnU-Net style images/CASE_0000.nii.gz
                           with labels/CASE.nii.gz; the case id is the label's name. MAP a label
                           map (project, totalsegmentator, lits, msd-liver, msd-pancreas, kits);
                           an image may be a DICOM series folder images/NAME/ (one series)
                           beside labels/NAME.nii.gz on its converted grid
options:
  --folds N                number of folds (default ${DEFAULT_FOLDS})
  --seed N                 seed of the fold assignment (default 0)
  --check full|none        read every file (default full) or only pair files by name
  --concurrency N          files read at once while checking (default 2)
  --max-voxels N           refuse volumes larger than this
  --allow-problems         write the manifest without the failing cases (exit 0)
Problems go to stderr and to <out>.report.json; with any problem and no --allow-problems: exit 2.

${VOLUME_LIMIT_HELP}`;

const SPEC = {
  out: { type: 'string' },
  lits: { type: 'list' },
  msd: { type: 'list' },
  kits: { type: 'list' },
  totalsegmentator: { type: 'list' },
  abdomenatlas: { type: 'list' },
  pairs: { type: 'list' },
  folds: { type: 'string' },
  seed: { type: 'string' },
  check: { type: 'string' },
  concurrency: { type: 'string' },
  'max-voxels': { type: 'string' },
  'allow-problems': { type: 'boolean' },
  'check-manifest': { type: 'string' },
} as const;

function datasetSpecs(args: ReturnType<typeof parseArgs>): DatasetSpec[] {
  const specs: DatasetSpec[] = [];
  for (const layout of ['lits', 'msd', 'kits', 'totalsegmentator', 'abdomenatlas'] as LayoutName[])
    for (const dir of listFlag(args, layout)) specs.push({ layout, dir: resolve(dir) });
  for (const p of listFlag(args, 'pairs')) {
    const [dir, labelMap, source] = p.split(':');
    specs.push({ layout: 'pairs', dir: resolve(dir), labelMap: labelMap || undefined, source: source || undefined });
  }
  return specs;
}

function progress(total: number): (done: number) => void {
  const bar = new Progress({ label: 'checking', total, unit: 'cases', logEvery: 100 });
  return (done) => bar.update(done);
}

async function checkExisting(path: string, args: ReturnType<typeof parseArgs>): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const m = parseManifest(text, path);
  const root = isAbsolute(m.root) ? m.root : resolve(dirname(path), m.root);
  const checks = await checkCases(m.cases, root, {
    concurrency: numberFlag(args, 'concurrency', 2, { integer: true, min: 1 }),
    onProgress: progress(m.cases.length),
  });
  const problems = checks.flatMap((c) => c.problems.map((p) => `${c.id}: ${p}`));
  process.stdout.write(JSON.stringify({ manifest: path, cases: m.cases.length, problems }, null, 2) + '\n');
  if (problems.length) process.stderr.write(`${path}: ${problems.length} problem(s)\n  - ${problems.join('\n  - ')}\n`);
  return problems.length ? 2 : 0;
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const args = parseArgs(argv, SPEC, 'manifest');
    const existing = stringFlag(args, 'check-manifest');
    if (existing) return checkExisting(resolve(existing), args);
    const outFlag = stringFlag(args, 'out');
    if (!outFlag) throw new CliError('--out is required (the manifest JSON to write)');
    const out = resolve(outFlag);
    const folds = numberFlag(args, 'folds', DEFAULT_FOLDS, { integer: true, min: 1 });
    const seed = numberFlag(args, 'seed', 0, { integer: true });
    const check = stringFlag(args, 'check') ?? 'full';
    if (check !== 'full' && check !== 'none') throw new CliError(`--check must be full or none, got '${check}'`);
    const specs = datasetSpecs(args);
    if (specs.length === 0) throw new CliError('no dataset given (use --lits, --msd, --kits, --totalsegmentator, --abdomenatlas or --pairs)');

    const root = dirname(out);
    const candidates: CaseCandidate[] = [];
    const problems: string[] = [];
    for (const spec of specs) {
      try {
        const scan = await scanDataset(spec, root);
        candidates.push(...scan.cases);
        problems.push(...scan.problems);
      } catch (e) {
        problems.push(`${spec.dir}: ${(e as Error).message}`);
      }
    }
    const ids = new Set<string>();
    for (const c of candidates) {
      if (ids.has(c.id)) problems.push(`${c.id}: the same case id comes from two dataset folders`);
      ids.add(c.id);
    }

    const rejected = new Set<string>();
    if (check === 'full' && candidates.length) {
      const checks = await checkCases(
        candidates.map((c) => ({ ...c, fold: 0 })),
        root,
        {
          concurrency: numberFlag(args, 'concurrency', 2, { integer: true, min: 1 }),
          maxVoxels: stringFlag(args, 'max-voxels') ? numberFlag(args, 'max-voxels', 0, { integer: true, min: 1 }) : undefined,
          onProgress: progress(candidates.length),
        },
      );
      for (const c of checks)
        if (c.problems.length) {
          rejected.add(c.id);
          problems.push(...c.problems.map((p) => `${c.id}: ${p}`));
        }
    }
    const kept = candidates.filter((c) => !rejected.has(c.id));
    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      root: relative(dirname(out), root) || '.',
      folds,
      seed,
      cases: assignFolds(kept, folds, (() => {
        const rng = new Rng(seed);
        return () => rng.uniform();
      })()),
    };
    const bySource: Record<string, { cases: number; labeled: number }> = {};
    for (const c of manifest.cases) {
      const s = (bySource[c.source] ??= { cases: 0, labeled: 0 });
      s.cases++;
      if (c.labeled) s.labeled++;
    }
    const report = { out, cases: manifest.cases.length, rejected: rejected.size, bySource, problems };
    await mkdir(dirname(out), { recursive: true });
    await writeFileAtomic(`${out}.report.json`, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'));
    const allow = args.flags['allow-problems'] === true;
    if (problems.length) {
      process.stderr.write(`${problems.length} problem(s) in the data (also in ${out}.report.json):\n  - ${problems.join('\n  - ')}\n`);
    }
    if (problems.length && !allow) {
      process.stderr.write('manifest not written; fix the data or pass --allow-problems to leave those cases out\n');
      return 2;
    }
    if (manifest.cases.length === 0) throw new CliError('no usable case found; manifest not written');
    await writeFileAtomic(out, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
    process.stdout.write(JSON.stringify({ manifest: out, ...report }, null, 2) + '\n');
    return 0;
  },
};
