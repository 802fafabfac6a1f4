/**
 * `npm run train:demo`: trains the app's demo models with the `freetumor` CLI only, on the shipped
 * TotalSegmentator example CT, and writes public/models/ (weights + model card, no optimiser state):
 *
 *   manifest → train-segmentor --handcrafted-tumours (S) → train-synthesis against S (G, C)
 *   → quality P of 100 synthetic tumours (seeds 0..99) at T = 0.7 and S's Dice on 20 held-out
 *   handcrafted tumours → public/models/demo-{segmentor,generator}.safetensors, demo-models.json,
 *   MODEL_CARD.md.
 *
 * Options (all optional): --s1-steps N (default 1500) --s2-steps N (default 200) --seed N (default 7)
 * --quality-seeds N (default 100) --dice-seeds N (default 20) --work DIR (default a temp folder, kept)
 * --out DIR (default public/models) --card-only (re-render MODEL_CARD.md from demo-models.json). Tiny preset, 16³ crops, cpu backend: deterministic.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import { readCheckpoint, restoreNetwork, saveCheckpoint, type LoadedCheckpoint, type ModelCard, type Network } from '../src/models/index.ts';
import { initBackend } from '../src/node/backend.ts';
import { resolveCheckpoint, segmentorScheme } from '../src/node/train/runSetup.ts';
import {
  DEMO_CARD_JSON,
  DEMO_MODELS_DIR,
  demoConfig,
  demoPairsDir,
  DICE_STREAM,
  handcraftedDiceForSeed,
  loadDemoCase,
  QUALITY_STREAM,
  qualityForSeed,
  REPO,
  summarise,
  type DiceRecord,
  type QualityRecord,
} from '../src/node/demoModels.ts';
import { TS_SAMPLE, TS_SAMPLE_COMMIT } from '../src/core/totalSegmentatorSample.ts';
import { DEMO_CT, DEMO_SEG, firstMissing, TS_EXAMPLE_DIR } from '../src/node/sharedData.ts';

// Third-party data is read in place from ../shared/data; say so at once rather than fail mid-run.
const missingData = firstMissing([DEMO_CT, DEMO_SEG]);
if (missingData) {
  console.error(`train:demo: ${missingData} not found: the demo models are trained on the TotalSegmentator example in ${TS_EXAMPLE_DIR} (../shared/data beside the checkout; FTW_SHARED overrides)`);
  process.exit(2);
}

const { values: opt } = nodeParseArgs({
  options: {
    's1-steps': { type: 'string', default: '1500' },
    's2-steps': { type: 'string', default: '200' },
    seed: { type: 'string', default: '7' },
    'quality-seeds': { type: 'string', default: '100' },
    'dice-seeds': { type: 'string', default: '20' },
    work: { type: 'string' },
    out: { type: 'string' },
    'card-only': { type: 'boolean', default: false },
  },
});
const S1_STEPS = Number(opt['s1-steps']);
const S2_STEPS = Number(opt['s2-steps']);
const SEED = Number(opt.seed);
const N_QUALITY = Number(opt['quality-seeds']);
const N_DICE = Number(opt['dice-seeds']);
const OUT = resolve(opt.out ?? DEMO_MODELS_DIR);
const T = 0.7;

/**
 * The config flags every command of the demo run gets (also stored in the JSON card so the test
 * rebuilds the same config). Tiny preset at 16³ crops (3 mm), batch 2, one loader thread, cpu.
 * Departures from the paper's defaults, for a model that learns something in minutes on 2 cores:
 * stage-1 lr 6e-3 (3e-4) with plain AdamW (reference: AMSGrad). With the per-sample (instance-norm)
 * S the old 3e-3 stalled at held-out Dice 0.41 (AMSGrad) / 0.39 (plain) after 1500 steps and 0.41
 * after 3000, 1e-3 at 0.17; 6e-3 reached 0.55 (2026-12-02). Stage-2 lr 5e-4 (1e-4), tumours in the liver only, size classes small and
 * medium (a tiny one is ~2 voxels wide at 3 mm; a large one is wider than the 16³ crop).
 */
const CONFIG_ARGV = [
  '--preset', 'tiny',
  '--patch', '16',
  '--batch', '2',
  '--workers', '1',
  '--backend', 'cpu',
  '--seed', String(SEED),
  '--set', 'preset.stage1.lr=0.006',
  '--set', 'preset.stage2.lr=0.0005',
  '--set', 'preset.stage1.amsgrad=false',
  '--set', 'run.organs=["liver"]',
  '--set', 'preset.labelScheme="specialist"',
  '--set', 'preset.segmentor.outChannels=3',
  '--set', 'run.organ="liver"',
  '--set', 'position.sizeClasses.probabilities={"tiny":0,"small":1,"medium":1,"large":0}',
];

const log = (s: string) => process.stderr.write(`train:demo: ${s}\n`);

function freetumor(...argv: string[]): Promise<number> {
  log(`freetumor ${argv.map((a) => (/[\s"{]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const t0 = performance.now();
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [join(REPO, 'bin/freetumor.mjs'), ...argv], { stdio: ['ignore', 'inherit', 'inherit'], cwd: REPO });
    p.on('error', rej);
    p.on('exit', (code) => {
      const s = (performance.now() - t0) / 1000;
      log(`  exit ${code} after ${s.toFixed(1)} s`);
      if (code === 0) res(s);
      else rej(new Error(`freetumor ${argv[0]} exited with ${code}`));
    });
  });
}

const jsonLines = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, number>);

async function latest(runDir: string): Promise<{ file: string; ck: LoadedCheckpoint }> {
  const file = await resolveCheckpoint(runDir);
  return { file, ck: readCheckpoint(new Uint8Array(await readFile(file))) };
}

function tail<T extends Record<string, number>>(rows: T[], keys: string[], n = 10): Record<string, number> {
  const last = rows.slice(-n);
  return Object.fromEntries(keys.map((k) => [k, last.reduce((s, r) => s + r[k], 0) / last.length]));
}

const round = (x: number, d = 4) => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

async function main() {
  if (opt['card-only']) {
    // Re-render MODEL_CARD.md from demo-models.json (no training); config fields the card lacks
    // are filled from its own argv.
    const file = join(OUT, 'demo-models.json');
    const card = JSON.parse(await readFile(file, 'utf8'));
    const cfg = await demoConfig(card.config.argv);
    card.config = {
      ...card.config,
      stage1Lr: cfg.preset.stage1.lr,
      stage2Lr: cfg.preset.stage2.lr,
      lambdaCls: cfg.preset.stage2.lambdaCls,
      organs: cfg.run.organs,
      sizeClassProbabilities: cfg.position.sizeClasses.probabilities,
      argv: card.config.argv,
    };
    await writeFile(file, JSON.stringify(card, null, 2) + '\n');
    await writeFile(join(OUT, 'MODEL_CARD.md'), modelCardMd(card));
    log(`rewrote ${relative(REPO, OUT)}/MODEL_CARD.md from demo-models.json`);
    return;
  }
  const t0 = performance.now();
  const work = resolve(opt.work ?? (await mkdtemp(join(tmpdir(), 'ftw-train-demo-'))));
  await mkdir(work, { recursive: true });
  log(`work folder ${work}; stage 1 ${S1_STEPS} steps, stage 2 ${S2_STEPS} steps, seed ${SEED}`);

  // 1. Manifest of the one demo case (links to the shipped files; TotalSegmentator label ids).
  const pairs = await demoPairsDir(work);
  const manifest = join(work, 'manifest.json');
  const cache = join(work, 'cache');
  const timings: Record<string, number> = {};
  timings.manifestS = await freetumor('manifest', '--out', manifest, '--pairs', `${pairs}:totalsegmentator:demo`, '--folds', '1');

  // 2. Stage 1: S on handcrafted tumours (no redistributable real tumour label exists).
  const s1 = join(work, 's1');
  const common = ['--manifest', manifest, '--cache', cache, ...CONFIG_ARGV];
  timings.stage1S = await freetumor('train-segmentor', ...common, '--out', s1, '--steps', String(S1_STEPS), '--checkpoint-every', String(S1_STEPS), '--handcrafted-tumours');

  // 3. Stage 2: G and C against the frozen S.
  const s2 = join(work, 's2');
  timings.stage2S = await freetumor('train-synthesis', ...common, '--out', s2, '--segmentor', s1, '--steps', String(S2_STEPS), '--checkpoint-every', String(S2_STEPS));

  const m1 = jsonLines(await readFile(join(s1, 'metrics.jsonl'), 'utf8'));
  const m2 = jsonLines(await readFile(join(s2, 'metrics.jsonl'), 'utf8'));
  const ck1 = await latest(s1);
  const ck2 = await latest(s2);

  // 4. Evaluation in this process, with the CLI's config, cache and synthesis/quality code.
  const backend = await initBackend('cpu');
  log(`evaluation backend ${backend.backend} (${backend.adapter})`);
  const cfg = await demoConfig(CONFIG_ARGV);
  const demo = await loadDemoCase(manifest, cfg, cache);
  const S = restoreNetwork(ck1.ck, 'S', { role: 'segmentor', config: cfg.preset.segmentor });
  const G = restoreNetwork(ck2.ck, 'G', { role: 'generator', config: cfg.preset.generator });
  const C = restoreNetwork(ck2.ck, 'C', { role: 'classifier', config: cfg.preset.classifier });
  const tq = performance.now();
  const quality: QualityRecord[] = [];
  for (let seed = 0; seed < N_QUALITY; seed++) quality.push(await qualityForSeed(G, S, demo, seed, T));
  timings.qualityS = (performance.now() - tq) / 1000;
  const td = performance.now();
  const dice: DiceRecord[] = [];
  for (let seed = 0; seed < N_DICE; seed++) dice.push(await handcraftedDiceForSeed(S, demo, seed));
  timings.diceS = (performance.now() - td) / 1000;
  const Ps = quality.filter((q) => q.placed).map((q) => q.P as number);
  const pSummary = summarise(Ps);
  const passRate = Ps.filter((p) => p >= T).length / Ps.length;
  const bySize: Record<string, { n: number; meanP: number; passRate: number }> = {};
  for (const q of quality.filter((r) => r.placed)) {
    const b = (bySize[`${q.organ}/${q.sizeClass}`] ??= { n: 0, meanP: 0, passRate: 0 });
    b.n++;
    b.meanP += q.P as number;
    b.passRate += q.pass ? 1 : 0;
  }
  for (const b of Object.values(bySize)) {
    b.meanP = round(b.meanP / b.n);
    b.passRate = round(b.passRate / b.n);
  }
  const hist = Array.from({ length: 10 }, (_, i) => Ps.filter((p) => Math.min(9, Math.floor(p * 10)) === i).length);
  const diceSummary = summarise(dice.filter((d) => d.placed).map((d) => d.dice as number));

  // 5. The app's files: weights + model card, optimiser state dropped (saveCheckpoint without optimizers).
  const commit = await gitHead();
  const provenanceCommon = {
    patch: [...cfg.preset.patch] as number[],
    spacingMm: cfg.preset.spacingMm,
    data: `one TotalSegmentator example CT (../shared/data/totalsegmentator-example/example_ct.nii.gz, sha256 ${TS_SAMPLE.image.sha256}); organ labels are TotalSegmentator model output`,
    seed: SEED,
    configArgv: CONFIG_ARGV,
    commit,
    recreate: 'npm run train:demo',
    demo: true,
  };
  const segCard: ModelCard = {
    preset: 'tiny',
    ...segmentorScheme(cfg),
    description:
      'DEMO stage-1 segmentor S (tiny 3-D U-Net, 16³ crops at 3 mm) trained for ' +
      `${S1_STEPS} steps on ONE CT with HANDCRAFTED (SynTumor-like) tumours — no real tumour labels. ` +
      'It demonstrates the pipeline; it is not clinically meaningful and must not be used to find tumours.',
    provenance: { ...provenanceCommon, stage: 1, steps: S1_STEPS, handcraftedTumours: true, trainingCard: ck1.ck.manifest.card.provenance },
  };
  const genCard: ModelCard = {
    preset: 'tiny',
    description:
      `DEMO stage-2 generator G and classifier C (tiny 3-D U-Nets) trained for ${S2_STEPS} steps on ONE CT against the demo ` +
      'segmentor (L_seg + 0.1·L_adv). It demonstrates the pipeline; its tumours are not realistic and not clinically meaningful.',
    provenance: { ...provenanceCommon, stage: 2, steps: S2_STEPS, lambdaCls: cfg.preset.stage2.lambdaCls, trainingCard: ck2.ck.manifest.card.provenance },
  };
  await mkdir(OUT, { recursive: true });
  const segBytes = await saveCheckpoint({ networks: { S }, step: ck1.ck.manifest.step, card: segCard });
  const genBytes = await saveCheckpoint({ networks: { G, C }, step: ck2.ck.manifest.step, card: genCard });
  await writeFile(join(OUT, 'demo-segmentor.safetensors'), segBytes);
  await writeFile(join(OUT, 'demo-generator.safetensors'), genBytes);
  for (const n of [S, G, C] as Network[]) n.dispose();

  timings.totalS = (performance.now() - t0) / 1000;
  const r = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v)]));
  const card = {
    what: 'FreeTumor Workbench demo models (tiny, trained on one CT; NOT clinically meaningful)',
    files: {
      segmentor: { file: 'demo-segmentor.safetensors', networks: { S: schemeText(cfg.preset.labelScheme, cfg.run.organ) }, bytes: segBytes.length, step: ck1.ck.manifest.step },
      generator: { file: 'demo-generator.safetensors', networks: { G: 'generator (3 organ channels)', C: 'classifier (bg/real/synthetic)' }, bytes: genBytes.length, step: ck2.ck.manifest.step },
    },
    recreate: 'npm run train:demo',
    commit,
    createdAt: new Date().toISOString(),
    data: {
      images: [`../shared/data/totalsegmentator-example/example_ct.nii.gz (TotalSegmentator example CT, commit ${TS_SAMPLE_COMMIT.slice(0, 8)}, sha256 ${TS_SAMPLE.image.sha256})`],
      labels: `../shared/data/totalsegmentator-example/${TS_SAMPLE.labels.sourceName} (sha256 ${TS_SAMPLE.labels.sha256}): TotalSegmentator organ segmentation (model output, not manual); liver 5, pancreas 7, kidneys 2/3`,
      stage1Tumours: 'handcrafted SynTumor-like tumours (position simulation + texture darkening) drawn from the run seed; no real tumour label',
    },
    config: {
      preset: 'tiny',
      patch: cfg.preset.patch,
      spacingMm: cfg.preset.spacingMm,
      batch: cfg.run.batch,
      backend: 'cpu',
      seed: SEED,
      stage1Lr: cfg.preset.stage1.lr,
      stage2Lr: cfg.preset.stage2.lr,
      lambdaCls: cfg.preset.stage2.lambdaCls,
      organs: cfg.run.organs,
      sizeClassProbabilities: cfg.position.sizeClasses?.probabilities,
      argv: CONFIG_ARGV,
    },
    steps: { stage1: S1_STEPS, stage2: S2_STEPS },
    losses: {
      stage1: { first: round(m1[0].loss), last: round(m1[m1.length - 1].loss), meanLast10: r(tail(m1, ['loss'])) },
      stage2: { first: r(pick(m2[0], ['lSeg', 'lAdv', 'lG', 'lC', 'P'])), last: r(pick(m2[m2.length - 1], ['lSeg', 'lAdv', 'lG', 'lC', 'P'])), meanLast10: r(tail(m2, ['lSeg', 'lAdv', 'lG', 'lC', 'P'])) },
    },
    quality: {
      threshold: T,
      stream: QUALITY_STREAM,
      how: 'per seed s: Rng(hashSeed(s, stream)) → one tumour (tumourInputs) on the preprocessed demo case → G + Eq. 1 in a crop around it (as `freetumor synthesize`) → S argmax → P = |M ∩ tumour| / |M|',
      seeds: N_QUALITY,
      placed: Ps.length,
      passRate: round(passRate),
      summary: r(pSummary as unknown as Record<string, number>),
      histogram: { bins: '[0,0.1) … [0.9,1]', counts: hist },
      byOrganAndSize: bySize,
      perSeed: quality.map((q) => ({ ...q, P: q.P === undefined ? undefined : round(q.P, 6) })),
    },
    heldOutDice: {
      stream: DICE_STREAM,
      how: 'per seed s: Rng(hashSeed(s, stream)) → one handcrafted tumour (handcraftedTumour, the stage-1 recipe) on the preprocessed demo case; S argmax in a crop around it (tumour + ≥ 4 voxels, at least one patch); Dice of any-tumour-class vs the handcrafted tumour. The stream differs from the training stream (run seed), so these tumours were not seen in training.',
      seeds: N_DICE,
      summary: r(diceSummary as unknown as Record<string, number>),
      perSeed: dice.map((d) => ({ ...d, dice: d.dice === undefined ? undefined : round(d.dice, 6) })),
    },
    timingsSeconds: r(timings),
    machine: `${cpus().length} CPU cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, tfjs cpu backend with the project's fast kernels`,
  };
  await writeFile(join(OUT, 'demo-models.json'), JSON.stringify(card, null, 2) + '\n');
  await writeFile(join(OUT, 'MODEL_CARD.md'), modelCardMd(card));
  log(`P: mean ${round(pSummary.mean)} median ${round(pSummary.median)}, pass rate at T=${T}: ${round(passRate)} (${Ps.length} placed of ${N_QUALITY})`);
  log(`held-out handcrafted Dice: mean ${round(diceSummary.mean)} (n ${diceSummary.n})`);
  log(`wrote ${relative(REPO, OUT)}/ (segmentor ${segBytes.length} B, generator ${genBytes.length} B) in ${timings.totalS.toFixed(0)} s`);
  if (OUT === DEMO_MODELS_DIR && resolve(DEMO_CARD_JSON) !== join(OUT, 'demo-models.json')) throw new Error('card path mismatch');
}

function schemeText(scheme: string, organ: string | null): string {
  return scheme === 'specialist'
    ? `segmentor, specialist scheme for the ${organ} (0 background, 1 ${organ}, 2 ${organ} tumour)`
    : 'segmentor, universal scheme (0 bg, 1 liver, 2 liver tumour, 3 pancreas, 4 pancreas tumour, 5 kidney, 6 kidney tumour)';
}

function pick(o: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

async function gitHead(): Promise<string | null> {
  try {
    const head = (await readFile(join(REPO, '.git/HEAD'), 'utf8')).trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = join(REPO, '.git', head.slice(5));
    if (await stat(ref).then(() => true, () => false)) return (await readFile(ref, 'utf8')).trim();
    return null;
  } catch {
    return null;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function modelCardMd(c: any): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const q = c.quality;
  const d = c.heldOutDice;
  const weak = q.passRate === 0 || !(d.summary.mean >= 0.1);
  const warning = weak
    ? `
> **Result of this run: the models did not learn their task.** S's held-out handcrafted-tumour Dice
> is ${d.summary.mean} and ${pct(q.passRate)} of G's tumours pass the quality test (mean P ${q.summary.mean}):
> within the CPU budget of this run (${c.steps.stage1} + ${c.steps.stage2} steps of a tiny network on one CT) S
> has not learnt to mark tumour voxels, so every synthetic tumour fails at T = ${q.threshold}. The files still
> exercise the whole path in the app (loading, G's synthesis of Eq. 1, S's segmentation, P and the
> pass/fail decision); they do not show what a trained FreeTumor does. More steps (\`--s1-steps\`) or
> real models are needed for that.
`
    : '';
  return `# FreeTumor Workbench — demo models
${warning}
**What these are:** two tiny models that let \`npm start\` show the whole FreeTumor loop (synthesis
with G, quality test with S) without downloading anything. They were trained by this project's own
CLI (\`npm run train:demo\`, ${c.config.argv.join(' ')}) on **one** CT.

**What they are NOT:** they are not clinically meaningful, not validated, and **not trained on a
single real tumour**. S has only seen handcrafted (SynTumor-like) darkened blobs on one patient; G's
tumours are whatever fools that S after ${c.steps.stage2} steps.${c.files.segmentor.networks.S.includes('specialist') ? ' S is a specialist: the quality lab and the reader study place tumours in its organ only.' : ''} Do not use them to detect, measure or
simulate real lesions, nor to draw conclusions about FreeTumor's performance. Train real models
(LiTS, MSD-Pancreas, KiTS; see README) for that.

| file | networks | size |
| --- | --- | --- |
| \`demo-segmentor.safetensors\` | S: 3-D U-Net ${c.files.segmentor.networks.S} | ${(c.files.segmentor.bytes / 1024).toFixed(0)} KiB |
| \`demo-generator.safetensors\` | G: generator (liver / pancreas / kidney channels); C: classifier discriminator (bg / real / synthetic) | ${(c.files.generator.bytes / 1024).toFixed(0)} KiB |

Weights + model card only (no optimiser state): they cannot be resumed, only used or fine-tuned from.
Machine-readable card with every per-seed value: \`demo-models.json\`.

## Data
- Image: the TotalSegmentator example CT, \`example_ct.nii.gz\` (github.com/wasserth/TotalSegmentator, commit
  ${TS_SAMPLE_COMMIT.slice(0, 8)}, \`tests/reference_files/\`, Apache-2.0; SHA-256 \`${TS_SAMPLE.image.sha256}\`), read from
  \`../shared/data/totalsegmentator-example/\` (not in this repository; provenance in that folder's README).
- Organ labels: its \`${TS_SAMPLE.labels.sourceName}\` (SHA-256 \`${TS_SAMPLE.labels.sha256}\`), TotalSegmentator
  **model output** (liver, pancreas, kidneys), not manual.
- Stage-1 tumours: **handcrafted** (\`--handcrafted-tumours\`: position simulation + SynTumor texture, darkened
  by U(0.2, 0.7)), drawn from the run seed. There is no redistributable real tumour label in the repo.

## Training
- Preset \`tiny\` (encoder [[4, 8], [8, 16]]), crops ${c.config.patch.join('×')} at ${c.config.spacingMm} mm, batch ${c.config.batch}, tfjs cpu backend
  (deterministic: same seed → same weights), seed ${c.config.seed}, commit \`${c.commit ?? 'unknown'}\`.
- Departures from the paper defaults, so something is learnt in minutes on 2 cores (the \`--set\` flags above):
  stage-1 lr ${c.config.stage1Lr} (paper 3e-4) with plain AdamW (reference: AMSGrad), stage-2 lr ${c.config.stage2Lr} (paper 1e-4), tumours in ${c.config.organs.join(', ')} only,
  size-class weights ${JSON.stringify(c.config.sizeClassProbabilities)}. λ_cls = ${c.config.lambdaCls} and T = 0.7 as in the paper.
- Stage 1 (S, Dice-CE): ${c.steps.stage1} steps; loss ${c.losses.stage1.first} → ${c.losses.stage1.last} (mean of the last 10: ${c.losses.stage1.meanLast10.loss}).
- Stage 2 (G, C against frozen S): ${c.steps.stage2} steps; last 10 steps mean L_seg ${c.losses.stage2.meanLast10.lSeg}, L_adv ${c.losses.stage2.meanLast10.lAdv},
  L_G ${c.losses.stage2.meanLast10.lG}, L_C ${c.losses.stage2.meanLast10.lC}, training-batch P ${c.losses.stage2.meanLast10.P}
  (first step: L_seg ${c.losses.stage2.first.lSeg}, P ${c.losses.stage2.first.P}).
- Wall time on 2 shared CPU cores: stage 1 ${c.timingsSeconds.stage1S} s, stage 2 ${c.timingsSeconds.stage2S} s, evaluation ${(c.timingsSeconds.qualityS + c.timingsSeconds.diceS).toFixed(0)} s, total ${c.timingsSeconds.totalS} s.

## Quality test (P at T = ${q.threshold}) over ${q.seeds} seeds
One synthetic tumour per seed (0…${q.seeds - 1}) on the demo case, G + Eq. 1, scored by S (${q.how}).
- Tumours placed: ${q.placed} of ${q.seeds}. **Pass rate (P ≥ ${q.threshold}): ${pct(q.passRate)}.**
- P: mean ${q.summary.mean}, median ${q.summary.median}, quartiles ${q.summary.q25} / ${q.summary.q75}, min ${q.summary.min}, max ${q.summary.max}.
- Histogram of P in tenths ([0, 0.1) … [0.9, 1]): ${q.histogram.counts.join(' · ')}.
- By organ / size class: ${Object.entries(q.byOrganAndSize as Record<string, { n: number; meanP: number; passRate: number }>)
    .sort()
    .map(([k, v]) => `${k} n ${v.n}, mean P ${v.meanP}, pass ${pct(v.passRate)}`)
    .join('; ')}.

## S on held-out handcrafted tumours
${d.seeds} handcrafted tumours from seeds the training never drew (stream "${d.stream}"), scored in a crop around each tumour:
tumour Dice mean ${d.summary.mean}, median ${d.summary.median}, min ${d.summary.min}, max ${d.summary.max} (n ${d.summary.n}).
This measures only how well S finds the kind of blob it was trained on, on the same patient; it says
nothing about real tumours.

## Re-create
\`npm run train:demo\` (optionally \`-- --s1-steps N --s2-steps N --seed N\`) rewrites this folder;
\`npx vitest run src/node/demoModels.test.ts\` checks that the committed weights load and reproduce the
per-seed P values above.
`;
}

main().catch((e) => {
  process.stderr.write(`train:demo: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
