/**
 * `freetumor synthesize`'s pieces: which cases --fold K synthesises, one P per tumour, and the
 * revert of failing tumours.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../../core/labels.ts';
import type { Manifest } from '../../core/manifest.ts';
import { simulateTumourPositions } from '../../core/tumor/index.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { qualityCounts, qualityFromCounts, TUMOUR_CLASSES } from '../../models/index.ts';
import { foldCases } from '../train/runSetup.ts';
import { applyToSource, cropPadded } from '../train/sourceGeometry.ts';
import { cropOfVoxels, keepPassing, perTumourCounts, synthesisCases } from './synthesize.ts';

describe('synthesize --fold K', () => {
  const manifest: Manifest = {
    version: 1,
    root: '.',
    folds: 3,
    seed: 0,
    cases: [0, 1, 2, 0, 1, 2].map((fold, n) => ({ id: `c${n}`, source: 'demo', image: `i${n}.nii.gz`, label: `l${n}.nii.gz`, labeled: false, fold })),
  };

  it('synthesises the cases that train fold K, all of which train-segmentation --fold K then reads', () => {
    const cases = synthesisCases(manifest, 1);
    expect(cases.map((c) => c.id)).toEqual(['c0', 'c2', 'c3', 'c5']);
    expect(cases.some((c) => c.fold === 1)).toBe(false);
    // The synthetic manifest keeps the original folds; stage 3 of fold 1 drops fold 1's cases.
    const synthetic: Manifest = { ...manifest, cases: cases.map((c) => ({ ...c, id: `synthetic/${c.id}`, source: 'synthetic' })) };
    expect(foldCases(synthetic, 1, 'train')).toHaveLength(cases.length);
    expect(synthesisCases(manifest, undefined)).toHaveLength(6);
  });
});

describe('one P per tumour, failing tumours reverted', () => {
  const S = 3;
  const affine: Mat4 = [S, 0, 0, 0, 0, S, 0, 0, 0, 0, S, 0, 0, 0, 0, 1];
  const dims: Vec3 = [32, 32, 32];
  const n = 32 ** 3;
  const label = new Uint8Array(n).fill(ORGAN_IDS.liver.organ);
  const sim = simulateTumourPositions({ dims, affine, data: label }, { seed: 4, count: 2, sizeClass: 'small', elastic: { enabled: false }, centres: [[8, 16, 16], [24, 16, 16]] });
  const start: Vec3 = [0, 0, 0];
  const crop = (d: Float32Array | Uint8Array) => cropPadded(d, dims, start, dims);
  const masks = sim.parts.map((p) => cropOfVoxels(p.voxels, dims, start, dims));
  const shape: [number, number, number, number, number] = [1, 32, 32, 32, 1];

  it('scores each tumour over its own M, not one P over all of M', async () => {
    await tf.setBackend('cpu');
    // S "predicts" liver tumour on tumour 0's voxels and on 60 % of tumour 1's.
    const pred = new Int32Array(n).fill(ORGAN_IDS.liver.organ);
    const n1 = sim.tumours[1].voxelCount;
    const hit1 = Math.floor(0.6 * n1);
    let seen = 0;
    masks[0].forEach((v, i) => v && (pred[i] = ORGAN_IDS.liver.tumor));
    masks[1].forEach((v, i) => v && seen++ < hit1 && (pred[i] = ORGAN_IDS.liver.tumor));
    const logits = tf.tidy(() => tf.oneHot(tf.tensor4d(pred, [1, 32, 32, 32], 'int32'), 7).toFloat() as tf.Tensor5D);
    const counts = perTumourCounts(logits, masks, shape, TUMOUR_CLASSES.universal);
    const q = qualityFromCounts(await counts.data(), 0.7);
    expect(q.P[0]).toBe(1);
    expect(q.P[1]).toBeCloseTo(hit1 / n1, 9);
    expect(q.pass).toEqual([true, false]);
    // The pooled P the command used to compute would have passed both together.
    const all = masks[0].map((v, i) => Math.max(v, masks[1][i]));
    const pooled = tf.tidy(() => qualityCounts(logits, tf.tensor5d(all, shape), TUMOUR_CLASSES.universal));
    const n0 = sim.tumours[0].voxelCount;
    expect(qualityFromCounts(await pooled.data(), 0.7).P[0]).toBeCloseTo((n0 + hit1) / (n0 + n1), 9);
    expect((n0 + hit1) / (n0 + n1)).toBeGreaterThan(0.7);
    tf.dispose([logits, counts, pooled]);
  });

  it('a failing tumour is reverted: no change, no label where only it was; the kept one untouched', () => {
    const delta = crop(sim.softMask).map((m) => 0.3 * m);
    const before = Float32Array.from(delta);
    const mask = keepPassing(sim, [0], crop, delta, masks);
    const only = simulateTumourPositions({ dims, affine, data: label }, { seed: 4, count: 1, sizeClass: 'small', elastic: { enabled: false }, centres: [[8, 16, 16]] });
    let labelled = 0;
    for (let v = 0; v < n; v++) {
      expect(mask[v]).toBe(masks[0][v]);
      labelled += mask[v];
      // x̂ with tumour 0 alone: 0.3·M̃₀ (to float rounding where M̃₁ overlapped it).
      expect(delta[v]).toBeCloseTo(0.3 * only.softMask[v], 6);
      if (only.softMask[v] === 0) expect(delta[v]).toBe(0);
      else if (only.softMask[v] === sim.softMask[v]) expect(delta[v]).toBe(before[v]);
    }
    expect(labelled).toBe(sim.tumours[0].voxelCount);
    // Keeping every tumour changes nothing.
    const d2 = Float32Array.from(before);
    keepPassing(sim, [0, 1], crop, d2, masks);
    expect(Buffer.from(d2.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });
});

describe('carrying the change back to the source scan', () => {
  it('changes and labels organ voxels only: an existing tumour keeps its HU and label, and is not counted as new', () => {
    const I: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const dims: Vec3 = [6, 6, 6];
    const label = new Uint8Array(216).fill(ORGAN_IDS.liver.organ);
    const lesion = 2 + 6 * (2 + 6 * 2);
    label[lesion] = ORGAN_IDS.liver.tumor;
    const scan = { dims, affine: I, image: new Float32Array(216).fill(50), label };
    const n = applyToSource(scan, { affine: I, start: [0, 0, 0], size: dims, delta: new Float32Array(216).fill(0.1), mask: new Float32Array(216).fill(1) }, 'liver', 425);
    expect(n).toBe(215);
    expect(scan.image[lesion]).toBe(50);
    expect(scan.label[lesion]).toBe(ORGAN_IDS.liver.tumor);
    expect(scan.image[0]).toBeCloseTo(50 - 42.5, 4);
  });
});
