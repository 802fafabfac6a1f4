/**
 * The committed demo models (public/models/, written by `npm run train:demo`): they load with the
 * right roles and architecture, carry weights and card only, and reproduce the model card's
 * per-seed quality P and held-out Dice (every seed) on the cpu backend; and that what this run
 * measured shows the models learnt (held-out Dice > 0.5, some but not all tumours passing).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUM_CLASSES, readCheckpoint, restoreNetwork, type LoadedCheckpoint, type Network } from '../models/index.ts';
import { initBackend } from './backend.ts';
import type { RunConfig } from './config.ts';
import { DEMO_CARD_JSON, DEMO_MODELS_DIR, demoConfig, handcraftedDiceForSeed, loadDemoCase, qualityForSeed, writeDemoManifest, type DemoCase } from './demoModels.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from './testing/sharedDemo.ts';

const present = sharedDemoPresent('the demo models on the TotalSegmentator example they were trained on', [DEMO_CT, DEMO_SEG]);

interface Card {
  config: { argv: string[]; patch: number[]; spacingMm: number };
  quality: { threshold: number; seeds: number; perSeed: { seed: number; placed: boolean; P?: number; pass?: boolean; organ?: string; sizeClass?: string }[] };
  heldOutDice: { perSeed: { seed: number; placed: boolean; dice?: number }[] };
}

let dir: string;
let card: Card;
let cfg: RunConfig;
let seg: LoadedCheckpoint;
let gen: LoadedCheckpoint;
let demo: DemoCase;
let S: Network;
let G: Network;
/** What this run measured from the committed weights (filled by the reproduce tests, judged by the last). */
const measuredP: number[] = [];
const measuredDice: number[] = [];

const load = async (name: string) => readCheckpoint(new Uint8Array(await readFile(join(DEMO_MODELS_DIR, name))));

beforeAll(async () => {
  if (!present) return;
  await initBackend('cpu');
  card = JSON.parse(await readFile(DEMO_CARD_JSON, 'utf8')) as Card;
  cfg = await demoConfig(card.config.argv);
  seg = await load('demo-segmentor.safetensors');
  gen = await load('demo-generator.safetensors');
  dir = await mkdtemp(join(tmpdir(), 'ftw-demo-models-'));
  demo = await loadDemoCase(await writeDemoManifest(dir), cfg, join(dir, 'cache'));
  S = restoreNetwork(seg, 'S', { role: 'segmentor', config: cfg.preset.segmentor });
  G = restoreNetwork(gen, 'G', { role: 'generator', config: cfg.preset.generator });
}, 120_000);

afterAll(async () => {
  S?.dispose();
  G?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!present)('demo models (public/models)', () => {
  it('are small, hold weights + card only, with the right roles and architecture', async () => {
    let bytes = 0;
    for (const f of ['demo-segmentor.safetensors', 'demo-generator.safetensors']) bytes += (await stat(join(DEMO_MODELS_DIR, f))).size;
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
    expect(await stat(join(DEMO_MODELS_DIR, 'MODEL_CARD.md')).then(() => true)).toBe(true);

    expect(Object.fromEntries(Object.entries(seg.manifest.networks).map(([k, v]) => [k, v.role]))).toEqual({ S: 'segmentor' });
    expect(seg.manifest.networks.S.labelScheme).toBe(cfg.preset.labelScheme);
    // A specialist S names its organ, so the lab and the reader study place tumours there only.
    if (cfg.preset.labelScheme === 'specialist') expect(seg.manifest.card.organ).toBe(cfg.run.organ);
    expect(Object.fromEntries(Object.entries(gen.manifest.networks).map(([k, v]) => [k, v.role]))).toEqual({ G: 'generator', C: 'classifier' });
    for (const ck of [seg, gen]) {
      expect(ck.manifest.optimizers).toEqual({});
      expect([...ck.tensors.keys()].some((k) => k.startsWith('optim.'))).toBe(false);
      // The lab reads the crop geometry from the card's provenance.
      expect(ck.manifest.card.provenance.patch).toEqual(card.config.patch);
      expect(ck.manifest.card.provenance.spacingMm).toBe(card.config.spacingMm);
      expect(ck.manifest.card.description).toMatch(/DEMO/);
      expect(ck.manifest.card.description).toMatch(/not clinically meaningful/);
    }
    expect(seg.manifest.card.description).toMatch(/HANDCRAFTED/);
    const C = restoreNetwork(gen, 'C', { role: 'classifier', config: cfg.preset.classifier });
    C.dispose();
    expect(() => restoreNetwork(seg, 'S', { role: 'generator' })).toThrow(/is a segmentor, expected a generator/);
    expect(S.config.outChannels).toBe(NUM_CLASSES[cfg.preset.labelScheme]);
    expect(G.config.outChannels).toBe(3);
  });

  it('reproduce the card\'s quality P on all its seeds (cpu)', { timeout: 300_000 }, async () => {
    expect(card.quality.perSeed).toHaveLength(card.quality.seeds);
    const T = card.quality.threshold;
    expect(T).toBe(0.7);
    for (const want of card.quality.perSeed) {
      const seed = want.seed;
      const got = await qualityForSeed(G, S, demo, seed, T);
      if (got.placed) measuredP.push(got.P as number);
      expect(got.placed).toBe(want.placed);
      if (!want.placed) continue;
      expect(got.organ).toBe(want.organ);
      expect(got.sizeClass).toBe(want.sizeClass);
      // Same backend and kernels → the same numbers; the tolerance allows a few argmax ties to flip.
      expect(Math.abs((got.P as number) - (want.P as number))).toBeLessThan(0.01);
      if (Math.abs((want.P as number) - T) > 0.01) expect(got.pass).toBe(want.pass);
    }
  });

  it('reproduce the card\'s held-out handcrafted Dice on all its seeds', { timeout: 120_000 }, async () => {
    for (const want of card.heldOutDice.perSeed) {
      const got = await handcraftedDiceForSeed(S, demo, want.seed);
      if (got.placed) measuredDice.push(got.dice as number);
      expect(got.placed).toBe(want.placed);
      if (want.placed) expect(Math.abs((got.dice as number) - (want.dice as number))).toBeLessThan(0.01);
    }
  });

  it('learnt their task, as measured above: S finds held-out handcrafted tumours and some, not all, of G\'s tumours pass', () => {
    // What the README and the card promise a newcomer: the lab shows passing and failing tumours.
    expect(measuredDice.length).toBe(card.heldOutDice.perSeed.filter((d) => d.placed).length);
    expect(measuredDice.reduce((a, b) => a + b, 0) / measuredDice.length).toBeGreaterThan(0.5);
    expect(measuredP.length).toBe(card.quality.perSeed.filter((q) => q.placed).length);
    const passRate = measuredP.filter((p) => p >= card.quality.threshold).length / measuredP.length;
    expect(passRate).toBeGreaterThan(0.2);
    expect(passRate).toBeLessThan(1);
  });
});
