import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { makeAbdomenPhantom } from '../../core/phantom/index.ts';
import { remapLabels, TOTALSEGMENTATOR } from '../../core/labels.ts';
import { unetConfig } from '../../models/config.ts';
import { createClassifier, createGenerator, createSegmentor } from '../../models/networks.ts';
import { readCheckpoint, saveCheckpoint } from '../../models/checkpoint.ts';
import { composeView, cropGrid, cropSourceBox, labelWithTumour, synthesizeAndScore, thumbnailOf, trilinear, type LabCase } from './labCompute.ts';
import { selectNetworks } from './modelLoading.ts';
import type { Vec3 } from '../../core/volume.ts';

/** The app's own demo when ../shared is absent: the generated abdominal phantom (3 mm, like the real one). */
function demoCase(): LabCase {
  const p = makeAbdomenPhantom({ seed: 0 });
  const { dims, affine } = p.image;
  return { image: { dims, affine, data: Float32Array.from(p.image.data) }, label: { dims, affine, data: remapLabels(p.labels.data, TOTALSEGMENTATOR) } };
}

const enc = [[2, 2], [2, 4]];

describe('lab compute helpers', () => {
  it('interpolates trilinearly and returns `outside` off the grid', () => {
    const d: Vec3 = [2, 2, 2];
    const data = [0, 1, 0, 1, 0, 1, 0, 1];
    expect(trilinear(data, d, 0.5, 0, 0, -1)).toBeCloseTo(0.5);
    expect(trilinear(data, d, 1, 1, 1, -1)).toBe(1);
    expect(trilinear(data, d, 1.5, 0, 0, -1)).toBe(-1);
  });
  it('maps a crop to a source box at another spacing', () => {
    const g = cropGrid([50, 50, 50], [16, 16, 16], [1.5, 1.5, 1.5], 3);
    expect(g.ratio).toEqual([2, 2, 2]);
    expect(cropSourceBox(g, [100, 100, 100])).toEqual({ lo: [34, 34, 34], hi: [64, 64, 64] });
    expect(cropSourceBox(g, [60, 60, 60])!.hi).toEqual([59, 59, 59]);
    expect(cropSourceBox(g, [50, 50, 50])!.hi).toEqual([49, 49, 49]);
  });
});

describe('synthesizeAndScore (tiny nets, demo case, cpu)', () => {
  it('gives a finite P, leaves voxels outside M̃ untouched and frees every tensor', async () => {
    await tf.setBackend('cpu');
    const c = demoCase();
    const G = createGenerator(unetConfig(1, 3, enc, { seed: 1 }));
    const S = createSegmentor(unetConfig(1, 7, enc, { seed: 3, norm: 'instance' }), 'universal');
    for (const spacingMm of [3, 6]) {
      const before = tf.memory().numTensors;
      const r = await synthesizeAndScore(c, { generator: G, segmentor: S, patch: [16, 16, 16], spacingMm, scheme: 'universal' }, { index: 0, seed: 11, organ: 'liver', centre: null });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.item.maskVoxels).toBeGreaterThan(0);
      expect(Number.isFinite(r.item.P)).toBe(true);
      expect(r.item.P).toBeGreaterThanOrEqual(0);
      expect(r.item.P).toBeLessThanOrEqual(1);
      const v = composeView(c, r);
      let changed = 0;
      let outsideChanged = 0;
      const sim = r.mask;
      expect(sim.some((m) => m > 0)).toBe(true);
      for (let n = 0; n < v.image.length; n++) {
        if (v.image[n] !== c.image.data[n]) changed++;
      }
      // Outside the crop's box nothing may change.
      const d = c.image.dims;
      for (let k = 0; k < d[2]; k++)
        for (let j = 0; j < d[1]; j++)
          for (let i = 0; i < d[0]; i++) {
            const inside = i >= r.box.lo[0] && i <= r.box.hi[0] && j >= r.box.lo[1] && j <= r.box.hi[1] && k >= r.box.lo[2] && k <= r.box.hi[2];
            const n = i + d[0] * (j + d[1] * k);
            if (!inside && v.image[n] !== c.image.data[n]) outsideChanged++;
          }
      expect(changed).toBeGreaterThan(0);
      expect(outsideChanged).toBe(0);
      expect(v.outline.some((o) => o & 1)).toBe(true);
      const th = thumbnailOf(r);
      expect(th.hu.length).toBe(th.nx * th.ny);
      const lbl = labelWithTumour(c, r);
      expect(lbl.filter((x) => x === 2).length).toBeGreaterThan(0);
    }
    G.dispose();
    S.dispose();
  }, 120_000);

  it('uses a clicked centre', async () => {
    await tf.setBackend('cpu');
    const c = demoCase();
    // A liver voxel of the demo case.
    let centre: Vec3 | null = null;
    const d = c.label.dims;
    const k0 = Math.floor(d[2] / 2);
    for (let k = k0; k < d[2] && !centre; k++) for (let j = 0; j < d[1] && !centre; j++) for (let i = 0; i < d[0] && !centre; i++) if (c.label.data[i + d[0] * (j + d[1] * k)] === 1 && c.label.data[i + 3 + d[0] * (j + d[1] * k)] === 1) centre = [i + 3, j, k];
    const G = createGenerator(unetConfig(1, 3, enc, { seed: 1 }));
    const S = createSegmentor(unetConfig(1, 3, enc, { seed: 3, norm: 'instance' }), 'specialist');
    const r = await synthesizeAndScore(c, { generator: G, segmentor: S, patch: [16, 16, 16], spacingMm: 3, scheme: 'specialist' }, { index: -1, seed: 2, organ: 'liver', centre });
    expect(r.item.centreVoxel).toEqual(centre);
    const small = await synthesizeAndScore(c, { generator: G, segmentor: S, patch: [16, 16, 16], spacingMm: 3, scheme: 'specialist' }, { index: 0, seed: 9, organ: 'liver', centre: null, sizeClass: 'small' });
    expect(small.item.sizeClass).toBe('small');
    // A liver specialist cannot score a pancreas tumour: refused before any work.
    const liverOnly = { generator: G, segmentor: S, patch: [16, 16, 16] as Vec3, spacingMm: 3, scheme: 'specialist' as const, organ: 'liver' as const };
    await expect(synthesizeAndScore(c, liverOnly, { index: 0, seed: 9, organ: 'pancreas', centre: null })).rejects.toThrow(/liver specialist; it cannot score a pancreas tumour/);
    expect((await synthesizeAndScore(c, liverOnly, { index: 0, seed: 9, organ: 'liver', centre: null })).item.organ).toBe('liver');
    G.dispose();
    S.dispose();
  }, 60_000);
});

describe('synthesizeAndScore next to a real tumour', () => {
  it('never places on it: M and the change stay off it, P is over the new voxels, their count is reported', async () => {
    await tf.setBackend('cpu');
    const c = demoCase();
    // Make the liver's upper half (by slice) a "real" liver tumour.
    const d = c.label.dims;
    let kLo = d[2];
    let kHi = -1;
    for (let n = 0; n < c.label.data.length; n++) {
      if (c.label.data[n] !== 1) continue;
      const k = Math.floor(n / (d[0] * d[1]));
      kLo = Math.min(kLo, k);
      kHi = Math.max(kHi, k);
    }
    const kMid = Math.floor((kLo + kHi) / 2);
    const data = new Uint8Array(c.label.data);
    for (let n = 0; n < data.length; n++) if (data[n] === 1 && Math.floor(n / (d[0] * d[1])) >= kMid) data[n] = 2;
    const lesion: LabCase = { image: c.image, label: { ...c.label, data } };
    const G = createGenerator(unetConfig(1, 3, enc, { seed: 1 }));
    const S = createSegmentor(unetConfig(1, 3, enc, { seed: 3, norm: 'instance' }), 'specialist');
    const models = { generator: G, segmentor: S, patch: [16, 16, 16] as Vec3, spacingMm: 3, scheme: 'specialist' as const };
    for (let seed = 0; seed < 4; seed++) {
      const r = await synthesizeAndScore(lesion, models, { index: seed, seed, organ: 'liver', centre: null, sizeClass: 'small' });
      let onLesion = 0;
      let changedLesion = 0;
      let m = 0;
      let n = 0;
      for (let k = r.box.lo[2]; k <= r.box.hi[2]; k++)
        for (let j = r.box.lo[1]; j <= r.box.hi[1]; j++)
          for (let i = r.box.lo[0]; i <= r.box.hi[0]; i++, n++) {
            const s = i + d[0] * (j + d[1] * k);
            m += r.mask[n];
            if (data[s] === 2 && r.mask[n]) onLesion++;
            if (data[s] === 2 && r.image[n] !== c.image.data[s]) changedLesion++;
          }
      expect(onLesion).toBe(0);
      expect(changedLesion).toBe(0);
      expect(m).toBeGreaterThan(0);
      expect(r.item.newVoxels).toBe(m);
      expect(r.item.centreVoxel[2]).toBeLessThan(kMid);
    }
    // A click on the lesion is refused.
    let inLesion: Vec3 | null = null;
    for (let n = 0; n < data.length && !inLesion; n++) if (data[n] === 2 && data[n + 2 * d[0]] === 2 && data[n - 2 * d[0]] === 2 && data[n + 2] === 2 && data[n - 2] === 2 && data[n + 2 * d[0] * d[1]] === 2) inLesion = [n % d[0], Math.floor(n / d[0]) % d[1], Math.floor(n / (d[0] * d[1]))];
    await expect(synthesizeAndScore(lesion, models, { index: -1, seed: 1, organ: 'liver', centre: inLesion })).rejects.toThrow(/existing tumour/);
    G.dispose();
    S.dispose();
  }, 60_000);
});

describe('selectNetworks', () => {
  it('takes G and S, refuses a classifier, another architecture and another label scheme', async () => {
    const card = { preset: 'tiny', provenance: { patch: [16, 16, 16], spacingMm: 3 } };
    const G = createGenerator(unetConfig(1, 3, enc));
    const S = createSegmentor(unetConfig(1, 7, enc, { norm: 'instance' }), 'universal');
    const C = createClassifier(unetConfig(1, 3, enc));
    const both = readCheckpoint(await saveCheckpoint({ networks: { G, S }, step: 3, card }));
    const sel = selectNetworks(both, 'both.safetensors', 'auto', {});
    expect(sel.map((x) => x.slot)).toEqual(['generator', 'segmentor']);
    expect(sel[0].info.patch).toEqual([16, 16, 16]);
    expect(sel[1].info.labelScheme).toBe('universal');

    const onlyC = readCheckpoint(await saveCheckpoint({ networks: { C }, step: 0, card }));
    expect(() => selectNetworks(onlyC, 'c.safetensors', 'auto', {})).toThrow(/needs a generator or a segmentor; this checkpoint holds C \(classifier\)/);
    const onlyS = readCheckpoint(await saveCheckpoint({ networks: { S }, step: 0, card }));
    expect(() => selectNetworks(onlyS, 's.safetensors', 'generator', {})).toThrow(/needs a generator/);

    const loadedG = { config: G.config, labelScheme: null, patch: [16, 16, 16] as Vec3, spacingMm: 3 };
    const G2 = createGenerator(unetConfig(1, 3, [[4, 4], [4, 8]]));
    const other = readCheckpoint(await saveCheckpoint({ networks: { G: G2 }, step: 0, card }));
    expect(() => selectNetworks(other, 'g2.safetensors', 'generator', { generator: loadedG })).toThrow(/architecture differs in encoder/);

    const S3 = createSegmentor(unetConfig(1, 3, enc, { norm: 'instance' }), 'specialist');
    const spec = readCheckpoint(await saveCheckpoint({ networks: { S: S3 }, step: 0, card }));
    expect(() => selectNetworks(spec, 's3.safetensors', 'segmentor', { segmentor: { config: S.config, labelScheme: 'universal', patch: [16, 16, 16], spacingMm: 3 } })).toThrow(
      /specialist label scheme but the loaded one uses universal/,
    );
    // The specialist's organ comes from its card (null where the card does not say).
    expect(selectNetworks(spec, 's3.safetensors', 'segmentor', {})[0].info.organ).toBeNull();
    const liverSpec = readCheckpoint(await saveCheckpoint({ networks: { S: S3 }, step: 0, card: { ...card, organ: 'liver' } }));
    expect(selectNetworks(liverSpec, 'liver.safetensors', 'segmentor', {})[0].info.organ).toBe('liver');
    expect(sel[1].info.organ).toBeNull();
    const far = readCheckpoint(await saveCheckpoint({ networks: { S }, step: 0, card: { preset: 'tiny', provenance: { patch: 32, spacingMm: 1.5 } } }));
    // S may work on its own grid (it scores there: labCompute's segmentorGridOf).
    expect(selectNetworks(far, 'far.safetensors', 'segmentor', { generator: loadedG })[0].info).toMatchObject({ patch: [32, 32, 32], spacingMm: 1.5 });
    const nameless = readCheckpoint(await saveCheckpoint({ networks: { S }, step: 0, card: { preset: 'mine', provenance: {} } }));
    expect(() => selectNetworks(nameless, 'n.safetensors', 'auto', {})).toThrow(/cannot tell which crop/);
    tf.dispose([G, S, C, G2, S3].flatMap((n) => n.variables()));
  });
});
