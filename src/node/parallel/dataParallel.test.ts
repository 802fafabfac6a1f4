/**
 * Data-parallel training through the real CLI: `train-segmentor --devices 2 --batch 1` (two cpu
 * replicas, the second in a worker thread) ends 4 steps with the weights of `--devices 1 --batch 2`
 * when S normalises per sample, the replicas are checked identical, and the logged losses agree;
 * the same for stage 3's update; stage 2 at 2 devices; Ctrl-C and --resume at 2 devices.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentor, readCheckpoint } from '../../models/index.ts';
import type { RunConfig } from '../config.ts';
import { latestCheckpoint } from '../train/runLoop.ts';
import { demoPairs, jsonLines, REPO, runCli, TINY_TEST_CONFIG, writeJson } from '../train/testRun.ts';
import { relativeDifference } from './weightDiff.ts';

let dir: string;
let manifest: string;
const STEPS = 4;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-dp-'));
  await demoPairs(join(dir, 'pairs'), ['a']);
  await writeJson(join(dir, 'config.json'), { ...TINY_TEST_CONFIG, run: { ...TINY_TEST_CONFIG.run, checkpointEvery: 2 } });
  // Stage 3 takes G's architecture from the demo generator's model card, so its config names only S.
  const { generator: _g, classifier: _c, ...preset } = TINY_TEST_CONFIG.preset;
  // Stage 2 takes S's architecture from the demo segmentor's model card, so its config leaves S out.
  const { segmentor: _s, ...preset2 } = TINY_TEST_CONFIG.preset;
  await writeJson(join(dir, 'config2.json'), { ...TINY_TEST_CONFIG, preset: preset2, run: { ...TINY_TEST_CONFIG.run, checkpointEvery: 2 } });
  await writeJson(join(dir, 'config3.json'), { ...TINY_TEST_CONFIG, preset, run: { ...TINY_TEST_CONFIG.run, checkpointEvery: 2 } });
  manifest = join(dir, 'manifest.json');
  expect((await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '1')).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const train = (out: string, devices: number, batch: number, norm: string) => runCli(...trainArgs(out, devices, batch, norm));
const trainArgs = (out: string, devices: number, batch: number, norm: string) => [
    'train-segmentor', '--manifest', manifest, '--out', out, '--preset', 'tiny', '--config', join(dir, 'config.json'),
    '--backend', 'cpu', '--cache', join(dir, 'cache'), '--handcrafted-tumours', '--steps', String(STEPS), '--seed', '3',
    '--set', `preset.segmentor.norm=${norm}`, '--devices', String(devices), '--batch', String(batch),
];

async function weights(runDir: string): Promise<Map<string, Float32Array>> {
  const ck = readCheckpoint(new Uint8Array(await readFile(join((await latestCheckpoint(runDir))!, 'model.safetensors'))));
  return new Map([...ck.tensors].filter(([k]) => k.startsWith('S.')).map(([k, t]) => [k, t.data]));
}

describe('train-segmentor --devices', () => {
  // Instance norm is compared the same way at the run-loop level in batchNorm.test.ts.
  it.each(['none'])('2 devices × batch 1 give the weights of 1 device × batch 2 (norm %s); replicas verified identical', { timeout: 180_000 }, async (norm) => {
    const one = join(dir, `one-${norm}`);
    const two = join(dir, `two-${norm}`);
    const r1 = await train(one, 1, 2, norm);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = await train(two, 2, 1, norm);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/data-parallel on 2 devices \(2 requested\); batch 1 per device, global batch 2/);
    // Verified at each checkpoint (every 2 steps) and at the end.
    expect(r2.stderr).toMatch(/2 replicas identical at step 2 /);
    expect(r2.stderr).toMatch(/2 replicas identical at step 4 /);
    expect(r1.stderr).not.toMatch(/data-parallel/);

    const a = await weights(one);
    const b = await weights(two);
    // A conv bias right before instance norm has a gradient that is zero but for rounding (the
    // norm subtracts the channel mean), and Adam scales that rounding noise up to a full lr-sized
    // step, in the one-device run as in the two-device one. Those are compared apart.
    const noiseOnly = (k: string) => norm === 'instance' && /\.conv\d\.bias$/.test(k);
    const pick = (m: Map<string, Float32Array>, keep: boolean) => new Map([...m].filter(([k]) => noiseOnly(k) !== keep));
    const d = relativeDifference(pick(a, true), pick(b, true));
    expect(d.relative).toBeLessThanOrEqual(1e-5);
    if (norm === 'instance') {
      // Bounded by 4 steps of at most lr each (Adam's step is ≤ lr in size), apart in sign only.
      const lr = (JSON.parse(await readFile(join(one, 'config.json'), 'utf8')) as RunConfig).preset.stage1.lr;
      expect(relativeDifference(pick(a, false), pick(b, false)).maxAbs).toBeLessThanOrEqual(2 * STEPS * lr);
    }
    // The networks did train: 4 steps moved the weights far beyond that tolerance.
    expect(relativeDifference(a, await initialWeights(one)).relative).toBeGreaterThan(1e-3);

    const la = jsonLines<{ loss: number }>(await readFile(join(one, 'metrics.jsonl'), 'utf8')).map((l) => l.loss);
    const lb = jsonLines<{ loss: number }>(await readFile(join(two, 'metrics.jsonl'), 'utf8')).map((l) => l.loss);
    expect(lb).toHaveLength(STEPS);
    for (let n = 0; n < STEPS; n++) expect(lb[n]).toBeCloseTo(la[n], 5);
  });

  it('train-segmentation (online synthesis, CutMix): 2 devices × batch 1 give the weights of 1 device × batch 2', { timeout: 180_000 }, async () => {
    // Synthesis with the shipped demo G and filter S, the quality test and CutMix run on the whole
    // global batch in the main thread; only the update of S is split.
    const stage3 = (out: string, devices: number, batch: number) =>
      runCli(
        'train-segmentation', '--manifest', manifest, '--out', out, '--config', join(dir, 'config3.json'), '--backend', 'cpu',
        '--cache', join(dir, 'cache'), '--generator', join(REPO, 'public/models/demo-generator.safetensors'),
        '--segmentor', join(REPO, 'public/models/demo-segmentor.safetensors'),
        '--steps', String(STEPS), '--seed', '4', '--devices', String(devices), '--batch', String(batch),
      );
    const one = join(dir, 's3-one');
    const two = join(dir, 's3-two');
    const r1 = await stage3(one, 1, 2);
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = await stage3(two, 2, 1);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/2 replicas identical at step 4 /);
    const m1 = jsonLines<{ loss: number; synthesised: number; accepted: number }>(await readFile(join(one, 'metrics.jsonl'), 'utf8'));
    const m2 = jsonLines<{ loss: number; synthesised: number; accepted: number }>(await readFile(join(two, 'metrics.jsonl'), 'utf8'));
    // The same tumours were synthesised and accepted at every step (the crop plan and draws do not depend on N).
    expect(m2.map((m) => [m.synthesised, m.accepted])).toEqual(m1.map((m) => [m.synthesised, m.accepted]));
    expect(m1.some((m) => m.synthesised > 0)).toBe(true);
    for (let n = 0; n < STEPS; n++) expect(m2[n].loss).toBeCloseTo(m1[n].loss, 5);
    const signal = (m: Map<string, Float32Array>) => new Map([...m].filter(([k]) => !/\.conv\d\.bias$/.test(k)));
    expect(relativeDifference(signal(await weights(one)), signal(await weights(two))).relative).toBeLessThanOrEqual(1e-5);
  });

  it('train-synthesis (G and C, frozen S) at 2 devices: replicas stay identical, per-sample figures for the whole batch', { timeout: 180_000 }, async () => {
    const out = join(dir, 's2-two');
    const r = await runCli(
      'train-synthesis', '--manifest', manifest, '--out', out, '--config', join(dir, 'config2.json'), '--backend', 'cpu', '--cache', join(dir, 'cache'),
      '--segmentor', join(REPO, 'public/models/demo-segmentor.safetensors'), '--steps', '2', '--seed', '6', '--devices', '2', '--batch', '1',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stage2: 2 replicas identical at step 2 /);
    const m = jsonLines<{ placed: number; scored: number; lG: number; lC: number }>(await readFile(join(out, 'metrics.jsonl'), 'utf8'));
    expect(m).toHaveLength(2);
    // Both devices' samples are scored: the quality counts come back from the worker too.
    for (const line of m) {
      expect(line.scored).toBe(line.placed);
      expect(Number.isFinite(line.lG) && Number.isFinite(line.lC)).toBe(true);
    }
    expect(m.some((l) => l.placed === 2)).toBe(true);
    const ck = readCheckpoint(new Uint8Array(await readFile(join((await latestCheckpoint(out))!, 'model.safetensors'))));
    expect(Object.keys(ck.manifest.networks).sort()).toEqual(['C', 'G']);
  });

  it('Ctrl-C at 2 devices saves and exits 130; --resume ends bit for bit where the uninterrupted 2-device run ends', { timeout: 180_000 }, async () => {
    const whole = join(dir, 'two-none');
    if (!(await latestCheckpoint(whole))) expect((await train(whole, 2, 1, 'none')).code).toBe(0);
    // SIGINT delivered in-process to the run loop's handler once the first step is logged (a child
    // process would add a cold start of the CLI: the handler is the same).
    const cut = join(dir, 'cut');
    let sent = false;
    const poll = setInterval(() => {
      void readFile(join(cut, 'metrics.jsonl'), 'utf8').then(
        (t) => {
          if (t.trim() && !sent) {
            sent = true;
            process.emit('SIGINT');
          }
        },
        () => {},
      );
    }, 20);
    const c = await train(cut, 2, 1, 'none').finally(() => clearInterval(poll));
    expect(sent).toBe(true);
    expect(c.code, c.stderr).toBe(130);
    expect(c.stderr).toMatch(/interrupted at step \d+; checkpoint saved/);
    const stoppedAt = Number(/step-(\d+)$/.exec((await latestCheckpoint(cut))!)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(STEPS);

    const resumed = await runCli(...trainArgs(cut, 2, 1, 'none'), '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed from .*\\(step ${stoppedAt}\\)`));
    // The workers were given the restored state: verified identical to replica 0 at the end.
    expect(resumed.stderr).toMatch(new RegExp(`2 replicas identical at step ${STEPS} `));
    const steps = jsonLines<{ step: number }>(await readFile(join(cut, 'metrics.jsonl'), 'utf8')).map((l) => l.step);
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, n) => n + 1));
    // The same operations in the same order: bit for bit.
    expect(relativeDifference(await weights(whole), await weights(cut)).maxAbs).toBe(0);
  });

  it('refuses a device count that is not a positive integer or all', async () => {
    const r = await train(join(dir, 'bad'), 0, 1, 'instance');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--devices must be an integer ≥ 1 or 'all', got '0'/);
  });
});

/** S as created before any step: the seeded initialisation of the run's own effective config. */
async function initialWeights(runDir: string): Promise<Map<string, Float32Array>> {
  const cfg = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as RunConfig;
  const S = createSegmentor(cfg.preset.segmentor, cfg.preset.labelScheme);
  const out = new Map<string, Float32Array>();
  for (const [k, v] of S.params) out.set(`S.${k}`, (await v.data()) as Float32Array);
  S.dispose();
  return out;
}
