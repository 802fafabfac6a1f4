/**
 * Parameter naming and layouts against the official fixtures' state_dict key lists (MONAI 1.3.0
 * SwinUNETR as FreeTumor builds it), the computed relative_position_index against the buffers'
 * recorded checksums, and the PyTorch layout conversion both ways.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fixturePath, formulaWeights, officialFixturesPresent, readKeys } from '../../node/testing/officialFixtures.ts';
import { swinUnetrConfig } from './config.ts';
import { createSwinUNETR } from './model.ts';
import { countSwinUnetrParams, swinUnetrParamShapes, swinUnetrStateDict } from './params.ts';
import { inferSwinUnetrConfig, swinUnetrWeightsFromTorch, swinUnetrWeightsToTorch, type TorchEntry } from './torchWeights.ts';
import { relativePositionIndex } from './windows.ts';

await tf.setBackend('cpu');

const present = officialFixturesPresent('SwinUNETR parameter naming');
const MODELS = [
  // [fixture, featureSize, outChannels, parameter count from the fixtures' README]
  ['swinunetr-fs48-oc7', 48, 7, 72_762_313],
  ['swinunetr-fs48-oc3', 48, 3, 72_762_117],
  ['swinunetr-fs12-oc3', 12, 3, 4_739_037],
] as const;

describe.skipIf(!present).each(MODELS)('%s', (model, featureSize, outChannels, count) => {
  const keys = present ? readKeys(model) : [];
  const cfg = swinUnetrConfig({ featureSize, outChannels });

  it('state_dict keys, order and PyTorch shapes are MONAI’s, integer buffers are exactly the relative_position_index ones', () => {
    const ours = swinUnetrStateDict(cfg);
    expect(ours.map((e) => e.key)).toEqual(keys.map((k) => k[0]));
    expect(ours.map((e) => e.torchShape)).toEqual(keys.map((k) => k[1]));
    const computed = ours.filter((e) => e.kind === 'relativePositionIndex').map((e) => e.key);
    expect(computed).toEqual(keys.filter((k) => k[2] === 'int64').map((k) => k[0]));
    expect(computed).toHaveLength(8);
    expect(computed.every((k) => k.endsWith('.attn.relative_position_index'))).toBe(true);
  });

  it('parameters: one per float key, none left over, the README’s count', () => {
    const shapes = swinUnetrParamShapes(cfg);
    expect([...shapes.keys()]).toEqual(keys.filter((k) => k[2] === 'float32').map((k) => k[0]));
    expect(countSwinUnetrParams(cfg)).toBe(count);
  });

  it('the config is inferred from the keys alone', () => {
    const inferred = inferSwinUnetrConfig(keys.map(([key, shape]) => ({ key, shape })));
    expect(inferred).toEqual(cfg);
  });

  it('relative_position_index equals the buffer the fixtures recorded (sum, first values)', () => {
    const checks = JSON.parse(readFileSync(fixturePath(`weights-check-${model}.json`), 'utf8')) as { key: string; sum: number; first: number[] }[];
    const idx = relativePositionIndex(7);
    const rows = checks.filter((c) => c.key.endsWith('relative_position_index'));
    expect(rows).toHaveLength(8);
    for (const c of rows) {
      expect(idx.reduce((a, b) => a + b, 0)).toBe(c.sum);
      expect(Array.from(idx.subarray(0, 4))).toEqual(c.first);
    }
  });
});

describe.skipIf(!present)('PyTorch weights ↔ ours (fs12)', () => {
  const keys = present ? readKeys('swinunetr-fs12-oc3') : [];
  const entries: TorchEntry[] = present ? formulaWeights(keys) : [];

  it('round trip: loading then exporting gives back every value, in MONAI order, with the index buffers', async () => {
    const w = swinUnetrWeightsFromTorch(entries);
    // A conv kernel lands in tfjs layout: torch [o,i,d,h,w] element (1,0,0,1,0) → ours [0,1,0,0,1].
    const pe = entries[0];
    expect(pe.key).toBe('swinViT.patch_embed.proj.weight');
    const peOurs = (await w.get(pe.key)!.data()) as Float32Array;
    expect(w.get(pe.key)!.shape).toEqual([2, 2, 2, 1, 12]);
    expect(peOurs[(0 * 4 + 1 * 2 + 0) * 12 + 1]).toBe(pe.data[1 * 8 + 0 * 4 + 1 * 2 + 0]);
    const back = await swinUnetrWeightsToTorch(w, swinUnetrConfig({ featureSize: 12, outChannels: 3 }));
    tf.dispose([...w.values()]);
    expect(back.map((e) => e.key)).toEqual(keys.map((k) => k[0]));
    const byKey = new Map(entries.map((e) => [e.key, e]));
    for (const e of back) {
      const src = byKey.get(e.key);
      if (!src) {
        expect(Array.from(e.data.subarray(0, 4), Number)).toEqual([1098, 1097, 1096, 1095]);
        continue;
      }
      expect(e.shape).toEqual(src.shape);
      // A loop: vitest's deep equality takes seconds per million elements.
      let same = e.data.length === src.data.length;
      for (let i = 0; same && i < e.data.length; i++) same = e.data[i] === src.data[i];
      expect(same, e.key).toBe(true);
    }
    // The exported buffers are accepted on the way back in.
    const again = swinUnetrWeightsFromTorch(back);
    expect(again.size).toBe(entries.length);
    tf.dispose([...again.values()]);
  });

  it('refuses a missing, an extra or a misshapen key, and a foreign relative_position_index, naming it', () => {
    const cfg = swinUnetrConfig({ featureSize: 12, outChannels: 3 });
    const without = entries.filter((e) => e.key !== 'decoder3.transp_conv.conv.weight');
    expect(() => swinUnetrWeightsFromTorch(without, cfg)).toThrow(/lacks parameter "decoder3.transp_conv.conv.weight"/);
    const extra = [...entries, { key: 'swinViT.norm.weight', shape: [12], data: new Float32Array(12) }];
    expect(() => swinUnetrWeightsFromTorch(extra, cfg)).toThrow(/"swinViT.norm.weight" is not a parameter/);
    const bad = entries.map((e) => (e.key === 'out.conv.conv.bias' ? { ...e, shape: [1, 3] } : e));
    expect(() => swinUnetrWeightsFromTorch(bad, cfg)).toThrow(/"out.conv.conv.bias" has shape \[1,3\]/);
    const idx = relativePositionIndex(7);
    const wrong = Int32Array.from(idx);
    wrong[5] += 1;
    const key = 'swinViT.layers2.0.blocks.1.attn.relative_position_index';
    const withIndex = [...entries, { key, shape: [343, 343], data: wrong }];
    expect(() => swinUnetrWeightsFromTorch(withIndex, cfg)).toThrow(new RegExp(`${key.replace(/\./g, '\\.')}"\\[5\\]`));
  });

  it('createSwinUNETR refuses weights with an extra or missing key', () => {
    const cfg = swinUnetrConfig({ featureSize: 12, outChannels: 3 });
    const w = swinUnetrWeightsFromTorch(entries, cfg);
    const extra = new Map(w);
    extra.set('encoder1.layer.norm1.weight', tf.zeros([12]));
    expect(() => createSwinUNETR(cfg, extra)).toThrow(/encoder1\.layer\.norm1\.weight/);
    const missing = new Map(w);
    missing.delete('swinViT.layers3.0.downsample.norm.bias');
    expect(() => createSwinUNETR(cfg, missing)).toThrow(/lack parameter "swinViT\.layers3\.0\.downsample\.norm\.bias"/);
    tf.dispose([...extra.values()]);
  });
});

describe('relative position index (no fixtures needed)', () => {
  it('has MONAI’s corner and centre values', () => {
    const idx = relativePositionIndex(7);
    const n = 343;
    expect(idx[0]).toBe(6 * 169 + 6 * 13 + 6); // same token: centre of the (2w−1)³ table
    expect(idx[n - 1]).toBe(0); // query (0,0,0), key (6,6,6)
    expect(idx[(n - 1) * n]).toBe(2196); // query (6,6,6), key (0,0,0): the last table row
    expect(idx[1]).toBe(6 * 169 + 6 * 13 + 5); // key one step along w
    expect(idx[7]).toBe(6 * 169 + 5 * 13 + 6); // key one step along h
  });
});
