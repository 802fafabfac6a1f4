/**
 * S on its own grid (labCompute's segmentorGridOf / scoreOnSegmentorGrid): the paper's S reads
 * 96³ crops at 1.5 mm while a demo G works at 16³ / 3 mm. Tiny U-Nets on the demo case (3 mm).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readNifti, toLabelVolume } from '../../core/nifti/index.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';
import { remapLabels, TOTALSEGMENTATOR } from '../../core/labels.ts';
import { spacingOf } from '../../core/volume.ts';
import { unetConfig } from '../../models/config.ts';
import { createGenerator, createSegmentor } from '../../models/networks.ts';
import { composeView, segmentorGridOf, synthesizeAndScore, type LabCase, type LabModels } from './labCompute.ts';

const present = sharedDemoPresent('S on its own grid (the TotalSegmentator example)', [DEMO_CT, DEMO_SEG]);

/**
 * The real demo, not the phantom: on the phantom, untrained tiny nets put some probabilities so near
 * 0.5 that a 1e-9 change of spacing flips one voxel of the "grids coincide" comparison below.
 */
async function demoCase(): Promise<LabCase> {
  const img = await readNifti(new Uint8Array(readFileSync(DEMO_CT)), 'ct');
  const seg = await readNifti(new Uint8Array(readFileSync(DEMO_SEG)), 'seg');
  const l = toLabelVolume(seg, 'seg');
  return { image: img.volume, label: { dims: l.dims, affine: l.affine, data: remapLabels(l.data, TOTALSEGMENTATOR) } };
}

const enc = [[2, 2], [2, 4]];

describe('S on its own grid', () => {
  it('is used only when patch or spacing differ from G', () => {
    const base = { patch: [16, 16, 16], spacingMm: 3 } as Pick<LabModels, 'patch' | 'spacingMm'>;
    expect(segmentorGridOf({ ...base } as LabModels)).toBeNull();
    expect(segmentorGridOf({ ...base, segPatch: [16, 16, 16], segSpacingMm: 3 } as LabModels)).toBeNull();
    expect(segmentorGridOf({ ...base, segPatch: [32, 32, 32], segSpacingMm: 1.5 } as LabModels)).toEqual({ patch: [32, 32, 32], spacingMm: 1.5 });
  });

  it.skipIf(!present)('scores x̂ exactly as the shared crop does when the grids coincide (the plumbing adds no shift)', async () => {
    await tf.setBackend('cpu');
    const c = await demoCase();
    expect(spacingOf(c.image.affine).map((s) => Math.round(s * 1000) / 1000)).toEqual([3, 3, 3]);
    const G = createGenerator(unetConfig(1, 3, enc, { seed: 1 }));
    const S = createSegmentor(unetConfig(1, 7, enc, { seed: 3, norm: 'instance' }), 'universal');
    // Bias the tumour class so S predicts some tumour and a shifted input would show in the counts.
    const head = S.params.get('head.bias')!;
    head.assign(tf.tensor1d((head.arraySync() as number[]).map((v, k) => (k === 2 ? v + 0.6 : v))));
    const shared: LabModels = { generator: G, segmentor: S, patch: [16, 16, 16], spacingMm: 3, scheme: 'universal' };
    // A spacing a hair off G's takes the own-grid path with (numerically) the same sample points.
    const own: LabModels = { ...shared, segPatch: [16, 16, 16], segSpacingMm: 3 * (1 + 1e-9) };
    for (const seed of [11, 12, 13]) {
      const req = { index: 0, seed, organ: 'liver' as const, centre: null };
      const a = await synthesizeAndScore(c, shared, req);
      const before = tf.memory().numTensors;
      const b = await synthesizeAndScore(c, own, req);
      expect(tf.memory().numTensors).toBe(before);
      expect(a.item.maskVoxels).toBeGreaterThan(0);
      expect(b.item.maskVoxels).toBe(a.item.maskVoxels);
      expect(b.item.hitVoxels).toBe(a.item.hitVoxels);
      expect(b.item.P).toBe(a.item.P);
      // The same x̂ on the source grid, and the same prediction voxel for voxel (b's box has a
      // one-voxel margin, where S predicts nothing).
      const va = composeView(c, a);
      const vb = composeView(c, b);
      let diff = 0;
      for (let n = 0; n < va.image.length; n++) if (va.image[n] !== vb.image[n]) diff++;
      expect(diff).toBe(0);
      const pred = (r: typeof a) => {
        const set = new Set<number>();
        const d = r.box.hi.map((h, i) => h - r.box.lo[i] + 1);
        r.pred.forEach((v, n) => {
          if (!v) return;
          const i = (n % d[0]) + r.box.lo[0];
          const j = (Math.floor(n / d[0]) % d[1]) + r.box.lo[1];
          const k = Math.floor(n / (d[0] * d[1])) + r.box.lo[2];
          set.add(i + c.image.dims[0] * (j + c.image.dims[1] * k));
        });
        return [...set].sort((x, y) => x - y);
      };
      expect(pred(b)).toEqual(pred(a));
      expect(a.pred.some((v) => v > 0)).toBe(true);
    }
    tf.dispose([...G.variables(), ...S.variables()]);
  });

  it.skipIf(!present)('scores at S’s own patch and spacing: M counted on S’s finer grid, both boxes covered, tensors freed', async () => {
    await tf.setBackend('cpu');
    const c = await demoCase();
    const G = createGenerator(unetConfig(1, 3, enc, { seed: 1 }));
    const S = createSegmentor(unetConfig(1, 3, enc, { seed: 3, norm: 'instance' }), 'specialist');
    const m: LabModels = { generator: G, segmentor: S, patch: [16, 16, 16], spacingMm: 3, segPatch: [32, 32, 32], segSpacingMm: 1.5, scheme: 'specialist', organ: 'liver' };
    const shared = await synthesizeAndScore(c, { ...m, segPatch: undefined, segSpacingMm: undefined }, { index: 0, seed: 5, organ: 'liver', centre: null, sizeClass: 'small' });
    const before = tf.memory().numTensors;
    const r = await synthesizeAndScore(c, m, { index: 0, seed: 5, organ: 'liver', centre: null, sizeClass: 'small' });
    expect(tf.memory().numTensors).toBe(before);
    expect(Number.isFinite(r.item.P)).toBe(true);
    expect(r.item.P).toBeGreaterThanOrEqual(0);
    expect(r.item.P).toBeLessThanOrEqual(1);
    // Same tumour (G's part is unchanged); a 1.5 mm voxel is 1/8 of a 3 mm one, so |M| on S's
    // grid is about 8 × |M| on G's grid (nearest resampling: up to the boundary's share off).
    expect(r.item.centreVoxel).toEqual(shared.item.centreVoxel);
    expect(r.item.newVoxels).toBe(shared.item.newVoxels);
    const ratio = r.item.maskVoxels / shared.item.maskVoxels;
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(10);
    // The result box holds G's box (same x̂ there) and S's 48 mm crop (16 voxels at 3 mm).
    for (let a = 0; a < 3; a++) {
      expect(r.box.lo[a]).toBeLessThanOrEqual(shared.box.lo[a]);
      expect(r.box.hi[a]).toBeGreaterThanOrEqual(shared.box.hi[a]);
    }
    const vs = composeView(c, shared);
    const vr = composeView(c, r);
    let differ = 0;
    for (let n = 0; n < vs.image.length; n++) if (vs.image[n] !== vr.image[n]) differ++;
    expect(differ).toBe(0);
    tf.dispose([...G.variables(), ...S.variables()]);
  });
});
