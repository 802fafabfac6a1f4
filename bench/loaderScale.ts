/**
 * Scale benchmark for the data path (not a test): N generated cases (default 11,000, the paper's
 * full dataset size) as small NIfTI files on disk → manifest → preprocessed cache → the crop loader
 * streaming crops through worker threads. Reports throughput at each stage and the process's peak
 * RSS, which must stay flat in N: the loader holds a few cases per worker, never the dataset.
 *
 *   npx tsx bench/loaderScale.ts [--cases 11000] [--crops 4000] [--keep DIR]
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignFolds, type ManifestCase } from '../src/core/manifest.ts';
import type { PreprocessConfig } from '../src/core/preprocess.ts';
import { Rng } from '../src/core/random.ts';
import { DEFAULT_SAMPLING } from '../src/core/sampling.ts';
import type { Vec3 } from '../src/core/volume.ts';
import { buildCache } from '../src/node/data/cache.ts';
import { CropLoader } from '../src/node/data/loader.ts';
import { writeNiftiFile } from '../src/node/io.ts';
import { machineLine } from './machine.ts';

const arg = (name: string, fallback: number) => {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? Number(process.argv[k + 1]) : fallback;
};
const N = arg('cases', 11000);
const CROPS = arg('crops', 4000);
const DIM: Vec3 = [40, 40, 32];
const PATCH: Vec3 = [24, 24, 24];
const config: PreprocessConfig = { spacing: [3, 3, 3], windowLo: -175, windowHi: 250, patch: PATCH, marginMm: 9 };
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const peakRss = () => process.resourceUsage().maxRSS * 1024;

async function main() {
  console.log(machineLine());
  const dir = await mkdtemp(join(tmpdir(), 'ftw-scale-'));
  const rng = new Rng(0);
  const affine = [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1];
  let t = performance.now();
  const cases: Omit<ManifestCase, 'fold'>[] = [];
  for (let c = 0; c < N; c++) {
    const sub = join(dir, 'data', String(c % 100));
    if (c < 100) await mkdir(sub, { recursive: true });
    const img = new Int16Array(DIM[0] * DIM[1] * DIM[2]);
    const lbl = new Uint8Array(img.length);
    const cx = rng.int(10, 29), cy = rng.int(10, 29), cz = rng.int(8, 23), r = rng.int(4, 8);
    for (let k = 0, n = 0; k < DIM[2]; k++)
      for (let j = 0; j < DIM[1]; j++)
        for (let i = 0; i < DIM[0]; i++, n++) {
          const inside = (i - cx) ** 2 + (j - cy) ** 2 + (k - cz) ** 2 < r * r;
          img[n] = inside ? 60 + rng.int(-20, 20) : -100 + rng.int(-50, 50);
          lbl[n] = inside ? 1 : 0;
        }
    await writeNiftiFile(join(sub, `c${c}_ct.nii.gz`), { dims: DIM, affine, data: img });
    await writeNiftiFile(join(sub, `c${c}_seg.nii.gz`), { dims: DIM, affine, data: lbl });
    cases.push({ id: `gen/${c}`, source: c % 10 === 0 ? 'labelled' : 'unlabelled', image: `data/${c % 100}/c${c}_ct.nii.gz`, label: `data/${c % 100}/c${c}_seg.nii.gz`, labelMap: 'project', labeled: c % 10 === 0 });
  }
  console.log(`generated ${N} cases (${DIM.join('×')}) in ${((performance.now() - t) / 1000).toFixed(1)} s; peak RSS ${mib(peakRss())} MiB`);

  const manifest = assignFolds(cases, 5, () => rng.uniform());
  t = performance.now();
  const entries = await buildCache(manifest, dir, join(dir, 'cache'), config, { concurrency: 4 });
  const buildS = (performance.now() - t) / 1000;
  console.log(`cache built: ${N} cases in ${buildS.toFixed(1)} s (${(N / buildS).toFixed(0)} cases/s); peak RSS ${mib(peakRss())} MiB`);
  t = performance.now();
  await buildCache(manifest, dir, join(dir, 'cache'), config, { concurrency: 4 });
  console.log(`cache re-check (all reused): ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const loader = new CropLoader(entries, new Rng(1), { patch: PATCH, sampling: { ...DEFAULT_SAMPLING, cropsPerVisit: 1 }, workers: 2, prefetch: 16 });
  const rssBefore = peakRss();
  t = performance.now();
  const seen = new Set<string>();
  for (let k = 0; k < CROPS; k++) seen.add((await loader.next()).caseId);
  const s = (performance.now() - t) / 1000;
  await loader.close();
  const voxels = CROPS * PATCH[0] * PATCH[1] * PATCH[2];
  console.log(`streamed ${CROPS} crops of ${PATCH.join('×')} from ${seen.size} distinct cases in ${s.toFixed(1)} s: ${(CROPS / s).toFixed(0)} crops/s, ${(voxels / s / 1e6).toFixed(1)} Mvoxel/s`);
  console.log(`peak RSS before streaming ${mib(rssBefore)} MiB, after ${mib(peakRss())} MiB`);
  if (process.argv.includes('--keep')) console.log(`data kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
