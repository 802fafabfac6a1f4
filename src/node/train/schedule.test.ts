/**
 * Stage 1 through the real CLI on a manifest with one labelled and one unlabelled case: S trains on
 * the labelled case only, the run's length and warm-up come from --epochs / --warmup-epochs and the
 * epoch the sampling defines, and --resume with another length is refused.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest.ts';
import { readCheckpoint } from '../../models/index.ts';
import { latestCheckpoint } from './runLoop.ts';
import { demoPairs, jsonLines, runCli, TINY_TEST_CONFIG, writeJson } from './testRun.ts';

let dir: string;
let manifest: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-schedule-'));
  await demoPairs(join(dir, 'pairs'), ['lab', 'org']);
  // One crop per visit, batch 1, labelled ×1: an epoch of the labelled case alone is one step.
  await writeJson(join(dir, 'config.json'), {
    ...TINY_TEST_CONFIG,
    sampling: { cropsPerVisit: 1, labeledOversample: 1 },
    run: { ...TINY_TEST_CONFIG.run, batch: 1, checkpointEvery: 1000 },
  });
  manifest = join(dir, 'manifest.json');
  expect((await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '1')).code).toBe(0);
  // Mark one case as carrying tumour labels (the flag is what stage 1 selects on).
  const m = parseManifest(await readFile(manifest, 'utf8'), manifest);
  for (const c of m.cases) c.labeled = c.id.endsWith('lab');
  expect(m.cases.filter((c) => c.labeled)).toHaveLength(1);
  await writeJson(manifest, m);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stage1 = (out: string, ...more: string[]) => [
  'train-segmentor', '--manifest', manifest, '--out', out, '--preset', 'tiny', '--config', join(dir, 'config.json'),
  '--backend', 'cpu', '--cache', join(dir, 'cache'), ...more,
];

describe('stage 1: labelled cases only, epochs and warm-up, resume refuses another length', () => {
  it('trains on the labelled case; 3 epochs of 1 step with a 1-epoch warm-up; a longer --resume is refused', { timeout: 180_000 }, async () => {
    const out = join(dir, 's1');
    const r = await runCli(...stage1(out, '--epochs', '3', '--warmup-epochs', '1'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 case\(s\) with real tumour labels; 1 unlabelled or synthetic case\(s\) left to stages 2–3/);
    const ck = readCheckpoint(new Uint8Array(await readFile(join((await latestCheckpoint(out))!, 'model.safetensors'))));
    expect((ck.manifest.card.provenance as { cases: string[] }).cases).toEqual(['demo/lab']);
    // Had the organ-only case been used, an epoch would be two steps and the run six.
    const lr = jsonLines<{ lr: number }>(await readFile(join(out, 'metrics.jsonl'), 'utf8')).map((l) => l.lr);
    expect(lr).toHaveLength(3);
    const peak = 3e-4; // the tiny preset's stage-1 lr
    // warm-up step 0 → lr·1/1; then cosine over the remaining 2 steps: lr, lr·½(1 + cos π/2)
    expect(lr[0]).toBeCloseTo(peak, 12);
    expect(lr[1]).toBeCloseTo(peak, 12);
    expect(lr[2]).toBeCloseTo(peak / 2, 12);
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(cfg.command.schedule).toMatchObject({ stepsPerEpoch: 1, totalSteps: 3, warmupSteps: 1, lengthUnit: 'epochs', warmupUnit: 'epochs' });
    expect(cfg.preset.stage1).toMatchObject({ epochs: 3, warmupEpochs: 1, amsgrad: true });
    expect(cfg.sampling.syntheticOversample).toBe(1);

    const longer = await runCli(...stage1(out, '--epochs', '5', '--warmup-epochs', '1', '--resume'));
    expect(longer.code).toBe(2);
    expect(longer.stderr).toMatch(/started for 3 steps with a 1-step warm-up; this command asks for 5 steps/);
    const same = await runCli(...stage1(out, '--epochs', '3', '--warmup-epochs', '1', '--resume'));
    expect(same.code, same.stderr).toBe(0);
  });

  it('refuses --steps with --epochs', async () => {
    const r = await runCli(...stage1(join(dir, 'both'), '--epochs', '1', '--steps', '3'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs or as --steps, not both/);
  });
});
