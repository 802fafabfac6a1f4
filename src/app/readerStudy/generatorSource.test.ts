/**
 * Synthetic study items made with G + Eq. 1 and scored by S (the quality lab's compute code), on the
 * tfjs cpu backend with tiny untrained networks. S's head bias is pinned so that P is known whatever
 * the weights: "always tumour" gives P = 1 (every candidate passes), "never tumour" gives P = 0 (every
 * candidate fails). These check the recording and the mix rules, not model quality.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unetConfig } from '../../models/config.ts';
import { saveCheckpoint } from '../../models/checkpoint.ts';
import { createGenerator, createSegmentor, type Network } from '../../models/networks.ts';
import { computeResults } from './analysis.ts';
import { checkQualitySettings, generatorSource } from './generatorSource.ts';
import { buildStudy, type PrepOptions } from './prepare.ts';
import { setStudyRunner, usePrepareStore } from './prepareStore.ts';
import { parseStudy, serializeStudy, withoutKey } from './studyFile.ts';
import { loadStudyModel, studyModels, type StudyModelSlots } from './studyModels.ts';
import type { StudyRunner } from './studyRunner.ts';
import { tinyCase } from './testCase.ts';
import type { Answer } from './types.ts';

const ENC = [
  [2, 2],
  [2, 4],
];
const CARD = { preset: 'tiny', description: 'unit test: untrained', provenance: { patch: [16, 16, 16], spacingMm: 3 } };

const opts = (over: Partial<PrepOptions> = {}): PrepOptions => ({
  id: 'rs-gen',
  title: 'generator test',
  seed: 3,
  realCount: 1,
  syntheticCount: 3,
  sizeClasses: ['tiny', 'small'],
  organs: ['liver'],
  cropVoxels: 16,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

let files: { g: Uint8Array; s: Uint8Array; sBad: Uint8Array };
const slots: StudyModelSlots = {};
let S: Network;

/** S predicts liver tumour (class 2) everywhere (P = 1) or nowhere (P = 0). */
function pinS(tumour: boolean): void {
  const bias = S.params.get('head.bias')!;
  const b = new Array(7).fill(0);
  b[tumour ? 2 : 0] = 100;
  bias.assign(tf.tensor1d(b));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  const G = createGenerator(unetConfig(1, 3, ENC, { seed: 1 }));
  const S0 = createSegmentor(unetConfig(1, 7, ENC, { seed: 3, norm: 'instance' }), 'universal');
  const Sbad = createSegmentor(unetConfig(1, 7, [[2, 2], [2, 2]], { seed: 4, norm: 'instance' }), 'universal');
  files = {
    g: await saveCheckpoint({ networks: { G }, step: 5, card: CARD }),
    s: await saveCheckpoint({ networks: { S: S0 }, step: 9, card: CARD }),
    sBad: await saveCheckpoint({ networks: { S: Sbad }, step: 1, card: { ...CARD, provenance: { patch: [8, 8, 8], spacingMm: 3 } } }),
  };
  [G, S0, Sbad].forEach((n) => n.dispose());
  await loadStudyModel(slots, 'generator', 'g.safetensors', files.g);
  await loadStudyModel(slots, 'segmentor', 's.safetensors', files.s);
  S = slots.segmentor!.net;
});

afterAll(() => {
  slots.generator?.net.dispose();
  slots.segmentor?.net.dispose();
  setStudyRunner(null);
});

describe('study models', () => {
  it('records file name, SHA-256 of the bytes, network and step; refuses a model of the wrong role; S may work on its own crop', async () => {
    const { refs } = studyModels(slots);
    expect(refs.generator).toEqual({ fileName: 'g.safetensors', sha256: createHash('sha256').update(files.g).digest('hex'), networkName: 'G', step: 5 });
    expect(refs.segmentor.sha256).toBe(createHash('sha256').update(files.s).digest('hex'));
    await expect(loadStudyModel({}, 'generator', 's.safetensors', files.s)).rejects.toThrow(/needs a generator/);
    // S at 8³ beside G at 16³: accepted, and the lab bundle scores on S's own grid.
    const own: StudyModelSlots = { generator: slots.generator };
    expect((await loadStudyModel(own, 'segmentor', 'bad.safetensors', files.sBad)).patch).toEqual([8, 8, 8]);
    expect(studyModels(own).lab).toMatchObject({ patch: [16, 16, 16], segPatch: [8, 8, 8], segSpacingMm: 3 });
    own.segmentor!.net.dispose();
    expect(() => studyModels({ generator: slots.generator })).toThrow(/choose handcrafted/);
    expect(() => checkQualitySettings({ threshold: 1.5, mix: 'any', maxAttempts: 3 })).toThrow(/\[0, 1\]/);
  });
});

describe('generator-made synthetic items', () => {
  it('carry P, pass at T, T and the models in the key and the study; the file round-trips and the reader package drops them', async () => {
    pinS(true);
    const { lab, refs } = studyModels(slots);
    const study = await buildStudy([tinyCase({ tumours: [[18, 24, 24]] })], opts({ synthesis: generatorSource(lab, refs, { threshold: 0.7, mix: 'any', maxAttempts: 10 }) }));
    const synth = study.key!.filter((k) => k.truth === 'synthetic');
    expect(synth).toHaveLength(3);
    for (const k of synth) {
      expect(k.provenance).toBe('synthetic-generator');
      expect(k.method).toBe('generator');
      expect(k.quality.p).toBe(1);
      expect(k.quality.pass).toBe(true);
      expect(k.quality.threshold).toBe(0.7);
      expect(k.quality.models).toEqual(refs);
      expect(k.organ).toBe('liver');
      expect(['tiny', 'small']).toContain(k.sizeClass);
      expect(k.volumeMm3).toBeGreaterThan(0);
    }
    // Size classes in turn, as for handcrafted items.
    expect(synth.map((k) => k.sizeClass).sort()).toEqual(['small', 'tiny', 'tiny']);
    expect(study.synthesis).toMatchObject({ method: 'generator', threshold: 0.7, models: refs, mix: 'any', got: { pass: 3, fail: 0, notTested: 0 }, attempts: 3 });
    expect(study.key!.find((k) => k.truth === 'real')!.quality.pass).toBeNull();
    // Same seed, same items.
    const again = await buildStudy([tinyCase({ tumours: [[18, 24, 24]] })], opts({ synthesis: generatorSource(lab, refs, { threshold: 0.7, mix: 'any', maxAttempts: 10 }) }));
    expect(again.key).toEqual(study.key);
    expect(again.items.map((i) => i.crop)).toEqual(study.items.map((i) => i.crop));
    expect(parseStudy(serializeStudy(study))).toEqual(study);
    const pkg = serializeStudy(withoutKey(study));
    expect(pkg).not.toMatch(/synthetic|safetensors|threshold|liver/);
    expect(parseStudy(pkg).synthesis).toBeNull();
  });
  it('a balanced mix with an S that never finds the tumour: all fail, drawn to the cap, reported', async () => {
    pinS(false);
    const { lab, refs } = studyModels(slots);
    const study = await buildStudy([tinyCase()], opts({ realCount: 0, syntheticCount: 2, synthesis: generatorSource(lab, refs, { threshold: 0.5, mix: 'balanced', maxAttempts: 4 }) }));
    expect(study.key!.map((k) => [k.quality.p, k.quality.pass])).toEqual([
      [0, false],
      [0, false],
    ]);
    expect(study.synthesis).toMatchObject({ mix: 'balanced', requested: { total: 2, pass: 1, fail: 1 }, got: { pass: 0, fail: 2 }, attempts: 4, maxAttempts: 4 });
    expect(study.synthesis!.report).toMatch(/got 0 \+ 2 after 4 of at most 4 candidates; .*1 failing item stands in/);
  });
  it('a specialist S: synthetic items only in its organ; a study without that organ is refused', async () => {
    pinS(false);
    const { lab, refs } = studyModels(slots);
    const liver = { ...lab, organ: 'liver' as const };
    const study = await buildStudy([tinyCase()], opts({ realCount: 0, syntheticCount: 2, organs: ['liver', 'pancreas'], synthesis: generatorSource(liver, refs, { threshold: 0.5, mix: 'any', maxAttempts: 4 }) }));
    expect(study.key!.map((k) => k.organ)).toEqual(['liver', 'liver']);
    const kidney = { ...lab, organ: 'kidney' as const };
    await expect(buildStudy([tinyCase()], opts({ realCount: 0, syntheticCount: 1, synthesis: generatorSource(kidney, refs, { threshold: 0.5, mix: 'any', maxAttempts: 2 }) }))).rejects.toThrow(/kidney specialist/);
  });
  it('results split by quality outcome with real P values: passed and failed groups, each with every real item', async () => {
    const { lab, refs } = studyModels(slots);
    const c = tinyCase({ tumours: [[18, 24, 24], [30, 24, 24]] });
    pinS(true);
    const a = await buildStudy([c], opts({ realCount: 2, syntheticCount: 2, synthesis: generatorSource(lab, refs, { threshold: 0.7, mix: 'any', maxAttempts: 4 }) }));
    pinS(false);
    const b = await buildStudy([c], opts({ seed: 4, realCount: 0, syntheticCount: 1, synthesis: generatorSource(lab, refs, { threshold: 0.7, mix: 'any', maxAttempts: 4 }) }));
    // One study's key: a's items plus b's failing one.
    const key = [...a.key!, { ...b.key![0], itemId: 'item-99' }];
    const study = { ...a, items: [...a.items, { id: 'item-99', crop: b.items[0].crop }], key };
    const answers: Answer[] = key.map((k, n) => ({
      studyId: study.id,
      readerId: 'R1',
      itemId: k.itemId,
      position: n + 1,
      call: k.quality.pass === false ? 'real' : k.truth,
      confidence: 4,
      comment: '',
      timeMs: 1000,
      answeredAt: '2026-01-01T00:00:00.000Z',
    }));
    const r = computeResults(study, answers);
    expect(Object.keys(r.pooled.byQuality).sort()).toEqual(['failed', 'passed']);
    expect(r.pooled.byQuality.passed.n).toBe(4);
    expect(r.pooled.byQuality.passed.sensitivity).toBe(1);
    expect(r.pooled.byQuality.failed.n).toBe(3);
    expect(r.pooled.byQuality.failed.sensitivity).toBe(0);
    expect(r.pooled.byQuality.failed.specificity).toBe(1);
  });
});

describe('prepare store with G and S', () => {
  /** The worker's job, in-process: the same modules the study worker runs. */
  const runner: StudyRunner = {
    canLoadModels: true,
    loadModel: (slot, name, bytes) => loadStudyModel(slots, slot, name, bytes),
    unloadModel: () => {},
    build(cases, options, synthesis, onProgress) {
      let stop = false;
      const src = synthesis.method === 'generator' ? generatorSource(studyModels(slots).lab, studyModels(slots).refs, synthesis) : undefined;
      return { promise: buildStudy(cases, { ...options, synthesis: src, shouldStop: () => stop, onProgress: (d, t, p) => onProgress(d, t, p ?? '') }), cancel: () => void (stop = true) };
    },
  };
  it('needs both models for generator synthesis, builds with the threshold chosen, reports the mix; cancel stops', async () => {
    setStudyRunner(runner);
    const p = usePrepareStore.getState;
    p().reset();
    p().addCase({ ...tinyCase(), scheme: 'project' });
    p().setOptions({ realCount: 0, syntheticCount: 2, sizeClasses: ['tiny'], organs: ['liver'], cropVoxels: 16, synthesis: 'generator', threshold: 0.5, mix: 'balanced', maxAttempts: 3 });
    await expect(p().build('rs-none')).rejects.toThrow(/needs a generator/);
    await p().loadModelFile('generator', 'g.safetensors', files.g);
    await p().loadModelFile('segmentor', 's.safetensors', files.s);
    S = slots.segmentor!.net;
    pinS(true);
    expect(p().modelStatus).toBe('ready');
    expect(p().models.segmentor?.fileName).toBe('s.safetensors');
    const study = await p().build('rs-store');
    expect(study.key!.every((k) => k.quality.threshold === 0.5 && k.quality.pass === true)).toBe(true);
    expect(p().lastReport).toMatch(/asked 1 passing \+ 1 failing, got 2 \+ 0 after 3 of at most 3/);
    expect(p().progress?.phase).toMatch(/candidate 3 of at most 3/);
    const building = p().build('rs-cancelled');
    p().cancel();
    await expect(building).rejects.toThrow(/cancelled/);
    expect(p().error).toBe('Cancelled: no study was made.');
    await p().loadModelFile('segmentor', 'notes.txt', new Uint8Array(4));
    expect(p().modelError).toMatch(/not a model file \(a FreeTumor \.safetensors checkpoint or a PyTorch \.pt \/ \.pth\)/);
    p().reset();
  });
});
