/**
 * `freetumor cache`: build a manifest's preprocessed cache ahead of training, the same files the
 * training commands and synthesize would otherwise build on their first run. With --queue one
 * job per case, so thousands of scans are resampled by many workers at once.
 */
import { resolve } from 'node:path';
import { parseArgs, requiredFlag, stringFlag } from '../args.ts';
import { CliError, type CliCommand } from '../cliTypes.ts';
import { preprocessOf, type RunConfig } from '../config.ts';
import { buildCache } from '../data/cache.ts';
import { VOLUME_LIMIT_HELP } from '../io.ts';
import { Progress } from '../progress.ts';
import { cacheDirOf, ensureCaseCached } from '../queue/caseCache.ts';
import { runQueued } from '../queue/coordinator.ts';
import type { JobContext } from '../queue/jobKinds.ts';
import { absolutePaths, hashOf } from '../queue/jobs.ts';
import { COORDINATOR_FLAGS, COORDINATOR_HELP, coordinatorOptions, withoutQueueFlags } from '../queue/options.ts';
import { CONFIG_FLAGS, CONFIG_HELP, configFromArgs, loadManifestFile, type LoadedManifest } from '../train/runSetup.ts';

const help = `usage: freetumor cache --manifest FILE [--cache DIR] [config options]

Preprocesses every case of the manifest (RAS, the preset's spacing, HU window, foreground crop)
into the on-disk cache that train-segmentor, train-synthesis, train-segmentation and synthesize
read: DIR/<manifest name>-<hash>/<case>-<key>.ftc, one file per case, named by a hash of its
source files and the preprocessing config, so a later run with the same config finds it current.
Pass the config the reading command will use (--preset, --config, --set): a checkpoint's model
card can change the spacing, and a cache built for another spacing is simply rebuilt.
Files of earlier builds that no case refers to any more are removed.
stdout: a JSON summary (cache directory, cases, built now).
options:
  --manifest FILE
  --cache DIR      cache root (default: .freetumor-cache next to the manifest, as the training
                   commands)
${COORDINATOR_HELP}
${CONFIG_HELP}

${VOLUME_LIMIT_HELP}`;

const FLAGS = {
  ...CONFIG_FLAGS,
  manifest: { type: 'string' },
  cache: { type: 'string' },
  ...COORDINATOR_FLAGS,
} as const;

interface CachePlan {
  argv: string[];
  cfg: RunConfig;
  lm: LoadedManifest;
  dir: string;
}

async function planCache(argv: string[]): Promise<CachePlan> {
  const args = parseArgs(argv, FLAGS, 'cache');
  if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
  const cfg = await configFromArgs(args);
  const lm = await loadManifestFile(requiredFlag(args, 'manifest'));
  if (!lm.manifest.cases.length) throw new CliError(`${lm.file}: no case to preprocess`);
  return { argv: withoutQueueFlags(argv), cfg, lm, dir: cacheDirOf(lm, stringFlag(args, 'cache')) };
}

/** The whole manifest through buildCache: builds what is missing, removes what no case uses. */
async function buildAll(plan: CachePlan, builtBefore: number): Promise<number> {
  const { lm, dir } = plan;
  const progress = new Progress({ label: 'cache', total: lm.manifest.cases.length, unit: 'cases' });
  let built = builtBefore;
  await buildCache(lm.manifest.cases, lm.root, dir, preprocessOf(plan.cfg), {
    onProgress: (done, _t, _id, b) => {
      if (b) built++;
      progress.update(done);
    },
  });
  process.stdout.write(JSON.stringify({ cache: dir, manifest: lm.file, cases: lm.manifest.cases.length, builtNow: built }, null, 2) + '\n');
  return 0;
}

/** A queue worker's setup for cache jobs. */
export async function openJobContext(argv: string[]): Promise<JobContext> {
  const plan = await planCache(argv);
  const pre = preprocessOf(plan.cfg);
  return {
    async run(job) {
      const c = plan.lm.manifest.cases.find((x) => x.id === job.caseId);
      if (!c) throw new Error(`${plan.lm.file}: no case '${job.caseId}'`);
      const e = await ensureCaseCached(c, plan.lm.root, plan.dir, pre);
      return { built: e.built };
    },
    dispose() {},
  };
}

export const command: CliCommand = {
  help,
  async run(argv) {
    const plan = await planCache(argv);
    const q = coordinatorOptions(parseArgs(argv, FLAGS, 'cache'));
    if (!q) return buildAll(plan, 0);
    const { lm, dir } = plan;
    return runQueued<{ built: boolean }>(
      {
        kind: 'cache',
        label: 'cache',
        // The result files live beside the cache files; buildCache only ever removes *.ftc.
        outDir: dir,
        configHash: hashOf({ kind: 'cache', preprocess: preprocessOf(plan.cfg), dir }),
        argv: absolutePaths(plan.argv, ['manifest', 'cache', 'config'], (p) => resolve(p)),
        cases: lm.manifest.cases.map((c) => ({ manifest: 0, c, root: lm.root })),
        writeDirs: [dir],
        finish: (results) => buildAll(plan, results.filter((r) => r.built).length),
      },
      q,
    );
  },
};
