/**
 * The whole FreeTumor pipeline end to end on the shipped demo CT, tiny networks, cpu backend:
 * manifest → stage 1 (handcrafted tumours) → stage 2 → offline synthesis (quality-filtered,
 * written in the source geometry) → stage 3 (online and offline) → evaluation.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../core/labels.ts';
import { parseManifest } from '../core/manifest.ts';
import { readCheckpoint } from '../models/index.ts';
import { readNiftiFile } from './io.ts';
import { demoPairs, demoSource, jsonLines, runCli, TINY_TEST_CONFIG, writeJson } from './train/testRun.ts';

let dir: string;
const exists = (p: string) => stat(p).then(() => true, () => false);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-pipeline-'));
  await demoPairs(join(dir, 'pairs'), ['a', 'b']);
  await writeJson(join(dir, 'config.json'), TINY_TEST_CONFIG);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('freetumor pipeline (tiny preset, cpu)', () => {
  it('manifest → stage 1 → stage 2 → synthesize → stage 3 → evaluate', { timeout: 420_000 }, async () => {
    const manifest = join(dir, 'manifest.json');
    const m = await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '2');
    expect(m.code).toBe(0);
    const cases = parseManifest(await readFile(manifest, 'utf8'), manifest).cases;
    expect(cases.map((c) => c.fold).sort()).toEqual([0, 1]);
    // Train on fold 0, synthesise into and evaluate on fold 1.
    const common = ['--manifest', manifest, '--preset', 'tiny', '--config', join(dir, 'config.json'), '--backend', 'cpu', '--cache', join(dir, 'cache')];
    const train = [...common, '--fold', '1'];
    const held = [...common, '--fold', '1'];

    // Stage 1 on handcrafted tumours, said so on stderr and in the model card.
    const s1 = join(dir, 's1');
    const r1 = await runCli('train-segmentor', ...train, '--out', s1, '--steps', '2', '--handcrafted-tumours');
    expect(r1.stderr).toMatch(/backend cpu \(tfjs cpu/);
    expect(r1.code).toBe(0);
    expect(r1.stderr).toMatch(/HANDCRAFTED/);
    const m1 = jsonLines<{ step: number; loss: number }>(await readFile(join(s1, 'metrics.jsonl'), 'utf8'));
    expect(m1.map((l) => l.step)).toEqual([1, 2]);
    expect(m1.every((l) => Number.isFinite(l.loss))).toBe(true);
    const ck1 = readCheckpoint(new Uint8Array(await readFile(join(s1, 'checkpoints/step-00000002/model.safetensors'))));
    expect(ck1.manifest.card.description).toMatch(/HANDCRAFTED/);
    // The card records the crop it was trained on (the test config's 16³, not the preset's 32³).
    expect(ck1.manifest.card.provenance).toMatchObject({ patch: [16, 16, 16], spacingMm: 3 });
    expect(ck1.manifest.step).toBe(2);
    const cfg1 = JSON.parse(await readFile(join(s1, 'config.json'), 'utf8'));
    expect(cfg1.preset.patch).toEqual([16, 16, 16]);
    expect(cfg1.preset.stage2.lambdaCls).toBe(0.1);
    expect(cfg1.preset.quality.threshold).toBe(0.7);

    // Stage 2 against the frozen S.
    const s2 = join(dir, 's2');
    const r2 = await runCli('train-synthesis', ...train, '--out', s2, '--segmentor', s1, '--steps', '2');
    expect(r2.code).toBe(0);
    const m2 = jsonLines<Record<string, number>>(await readFile(join(s2, 'metrics.jsonl'), 'utf8'));
    expect(m2).toHaveLength(2);
    for (const l of m2) {
      for (const k of ['lSeg', 'lAdv', 'lG', 'lC']) expect(Number.isFinite(l[k])).toBe(true);
      expect(l.placed).toBeGreaterThan(0);
      expect(l.P).toBeGreaterThanOrEqual(0);
      expect(l.P).toBeLessThanOrEqual(1);
    }

    // Offline synthesis at the paper's T: every recorded decision is P ≥ T; a failure is retried.
    type Q = { case: string; attempt: number; P: number; threshold: number; pass: boolean; placed?: boolean };
    const synA = join(dir, 'syn-a');
    const ra = await runCli('synthesize', ...held, '--out', synA, '--generator', s2, '--segmentor', s1, '--retries', '2');
    expect(ra.code).toBe(0);
    const qa = jsonLines<Q>(await readFile(join(synA, 'quality.jsonl'), 'utf8')).filter((q) => q.placed !== false);
    expect(qa.length).toBeGreaterThan(0);
    for (const q of qa) {
      expect(q.P).toBeGreaterThanOrEqual(0);
      expect(q.P).toBeLessThanOrEqual(1);
      expect(q.pass).toBe(q.P >= 0.7);
      if (!q.pass && q.attempt === 0) expect(qa.some((r) => r.case === q.case && r.attempt === 1)).toBe(true);
    }
    // Then at a threshold every first draw meets (the lowest P seen), so cases get written.
    const tLow = Math.min(...qa.map((q) => q.P));
    const synB = join(dir, 'syn-b');
    const rb = await runCli('synthesize', ...held, '--out', synB, '--generator', s2, '--segmentor', s1, '--retries', '2', '--threshold', String(tLow));
    expect(rb.code).toBe(0);
    const qb = jsonLines<Q>(await readFile(join(synB, 'quality.jsonl'), 'utf8')).filter((q) => q.placed !== false);
    for (const q of qb) expect(q.pass).toBe(q.P >= tLow);
    const all = [...qa, ...qb];
    expect(all.filter((q) => q.pass).length).toBeGreaterThan(0);
    expect(all.filter((q) => !q.pass).length).toBeGreaterThan(0);

    // Written in the source geometry; changed voxels and tumour labels only inside the organ.
    const synManifest = join(synB, 'manifest.json');
    const sm = parseManifest(await readFile(synManifest, 'utf8'), synManifest);
    expect(sm.cases.length).toBeGreaterThan(0);
    const demo = await demoSource();
    const src = (await readNiftiFile(demo.ct)).volume;
    const srcSeg = (await readNiftiFile(demo.seg)).volume;
    const out = await readNiftiFile(join(synB, sm.cases[0].image));
    const outLabel = (await readNiftiFile(join(synB, sm.cases[0].label as string))).volume;
    expect(out.volume.dims).toEqual(src.dims);
    expect(out.volume.affine).toEqual(src.affine);
    expect(outLabel.affine).toEqual(src.affine);
    const organOf: Record<number, number> = { 5: ORGAN_IDS.liver.organ, 7: ORGAN_IDS.pancreas.organ, 2: ORGAN_IDS.kidney.organ, 3: ORGAN_IDS.kidney.organ };
    let changed = 0;
    let changedOutside = 0;
    let tumour = 0;
    let tumourOutside = 0;
    for (let n = 0; n < src.data.length; n++) {
      const inOrgan = organOf[srcSeg.data[n]] !== undefined;
      if (out.volume.data[n] !== src.data[n]) {
        changed++;
        if (!inOrgan) changedOutside++;
      }
      const l = outLabel.data[n];
      if (l === 2 || l === 4 || l === 6) {
        tumour++;
        if (!inOrgan) tumourOutside++;
      }
    }
    expect(tumour).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(0);
    expect(changedOutside).toBe(0);
    expect(tumourOutside).toBe(0);

    // Stage 3, online synthesis filtered at T = 0.7 …
    const s3 = join(dir, 's3');
    const r3 = await runCli('train-segmentation', ...train, '--out', s3, '--generator', s2, '--segmentor', s1, '--steps', '2');
    expect(r3.code).toBe(0);
    const m3 = jsonLines<Record<string, number>>(await readFile(join(s3, 'metrics.jsonl'), 'utf8'));
    expect(m3).toHaveLength(2);
    expect(m3.every((l) => Number.isFinite(l.loss))).toBe(true);
    expect(m3.reduce((s, l) => s + l.synthesised, 0)).toBeGreaterThan(0);
    // … and offline, on the written synthetic cases, without Mixup.
    const s3off = join(dir, 's3-offline');
    const r3o = await runCli('train-segmentation', ...common, '--out', s3off, '--synthesis', 'offline', '--synthetic-manifest', synManifest, '--mixup', 'off', '--steps', '1');
    expect(r3o.code).toBe(0);
    expect(await exists(join(s3off, 'checkpoints/step-00000001/model.safetensors'))).toBe(true);

    // Evaluation of every case: the two real ones and the synthetic-tumour version (synthesize
    // --fold 1 made it from fold 1's training case, so no fold holds both).
    const ev = join(dir, 'eval');
    const re = await runCli('evaluate', ...common, '--manifest', synManifest, '--checkpoint', s3, '--out', ev);
    expect(re.code, re.stderr).toBe(0);
    expect(re.stdout).toMatch(/tumour DSC % \(mean per case\)/);
    const ej = JSON.parse(await readFile(join(ev, 'evaluation.json'), 'utf8'));
    expect(ej.cases).toHaveLength(3);
    // The real cases are organ-only (unlabelled): skipped, not scored as tumour-free.
    expect(ej.unlabelledSkipped).toHaveLength(2);
    for (const grid of ['source', 'preprocessed']) {
      const summary = ej.summary[grid];
      const withTumour = summary.filter((s: { casesWithTumour: number }) => s.casesWithTumour > 0);
      expect(withTumour.length).toBeGreaterThan(0);
      for (const s of withTumour) {
        expect(Number.isFinite(s.meanDice)).toBe(true);
        expect(Number.isFinite(s.meanNsd)).toBe(true);
        expect(Number.isFinite(s.globalDice)).toBe(true);
      }
      // The synthetic case is tumour-free in the organs its tumour is not in.
      for (const s of summary.filter((x: { casesWithTumour: number }) => x.casesWithTumour === 0)) {
        expect(s.tumourFreeCases).toBe(1);
        expect(s.unlabelledSkipped).toBe(2);
        expect(Number.isFinite(s.meanFpVolumeTumourFreeMm3)).toBe(true);
      }
    }
    expect(await exists(join(ev, 'evaluation.md'))).toBe(true);
  });
});
