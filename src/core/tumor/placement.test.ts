/**
 * Placement against existing tumours (never on a real lesion), one mask per tumour (keepTumours),
 * and the whole-organ centre band on a crop.
 */
import { describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../labels.ts';
import { Rng } from '../random.ts';
import type { LabelVolume, Mat4, Vec3 } from '../volume.ts';
import { chooseTumourCentre, labelExtent } from './centre.ts';
import { synthesizeHandcrafted } from './handcraftedSynthesis.ts';
import { existingTumourZone, keepTumours, simulateTumourPositions } from './positionSimulation.ts';

const S = 1.5;
const affine: Mat4 = [S, 0, 0, 0, 0, S, 0, 0, 0, 0, S, 0, 0, 0, 0, 1];
const { organ: LIVER, tumor: LIVER_TUMOUR } = ORGAN_IDS.liver;

/** A 40³ liver block (voxels 4..35) whose half x < 20 is a real liver tumour. */
function halfTumourLiver(): LabelVolume {
  const dims: Vec3 = [40, 40, 40];
  const data = new Uint8Array(40 * 40 * 40);
  for (let k = 4; k < 36; k++)
    for (let j = 4; j < 36; j++) for (let i = 4; i < 36; i++) data[i + 40 * (j + 40 * k)] = i < 20 ? LIVER_TUMOUR : LIVER;
  return { dims, affine, data };
}

const xOf = (idx: number) => idx % 40;

describe('existing tumours are not organ', () => {
  it('centres, M and M̃ stay off a real tumour and its margin; the new voxels are counted', () => {
    const label = halfTumourLiver();
    for (let seed = 0; seed < 20; seed++) {
      const sim = simulateTumourPositions(label, { seed, sizeClass: 'small', tumourMarginMm: 3 });
      const t = sim.tumours[0];
      // The tumour ends at x = 19: 3 mm (2 voxels) of margin leave x >= 22 for a centre and M.
      expect(t.centreVoxel[0]).toBeGreaterThanOrEqual(22);
      let m = 0;
      let bad = 0;
      for (let n = 0; n < label.data.length; n++) {
        if (label.data[n] === LIVER_TUMOUR && sim.softMask[n] !== 0) bad++;
        if (!sim.tumourLabel[n]) continue;
        m++;
        if (label.data[n] !== LIVER || xOf(n) < 22) bad++;
      }
      expect(bad).toBe(0);
      expect(m).toBeGreaterThan(0);
      expect(sim.newTumourVoxels).toBe(m);
      expect(t.voxelCount).toBe(m);
    }
  });

  it('the margin is an option (0 mm: right up to the tumour, never on it)', () => {
    const label = halfTumourLiver();
    let touching = 0;
    let onTumour = 0;
    for (let seed = 0; seed < 20; seed++) {
      const sim = simulateTumourPositions(label, { seed, sizeClass: 'medium', tumourMarginMm: 0 });
      for (let n = 0; n < label.data.length; n++) {
        if (!sim.tumourLabel[n]) continue;
        if (xOf(n) < 20) onTumour++;
        if (xOf(n) === 20) touching++;
      }
    }
    expect(onTumour).toBe(0);
    expect(touching).toBeGreaterThan(0);
    expect(() => simulateTumourPositions(label, { seed: 0, tumourMarginMm: -1 })).toThrow(/tumourMarginMm/);
  });

  it('the margin is a ball in millimetres on anisotropic grids', () => {
    const dims: Vec3 = [9, 9, 9];
    const data = new Uint8Array(9 * 9 * 9);
    data[4 + 9 * (4 + 9 * 4)] = LIVER_TUMOUR;
    const zone = existingTumourZone({ dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2.5, 0, 0, 0, 0, 1], data }, 3)!;
    const at = (i: number, j: number, k: number) => zone[i + 9 * (j + 9 * k)];
    expect(at(7, 4, 4)).toBe(1); // 3 mm along x
    expect(at(8, 4, 4)).toBe(0); // 4 mm
    expect(at(4, 4, 5)).toBe(1); // 2.5 mm along z
    expect(at(4, 4, 6)).toBe(0); // 5 mm
    expect(at(6, 6, 4)).toBe(1); // √8 mm
    expect(at(7, 6, 4)).toBe(0); // √13 mm
    expect(existingTumourZone({ dims, affine, data: new Uint8Array(9 * 9 * 9) }, 3)).toBeNull();
  });

  it('a centre given on a real tumour (or in its margin) is refused with a message', () => {
    const label = halfTumourLiver();
    expect(() => simulateTumourPositions(label, { seed: 1, centres: [[10, 20, 20]] })).toThrow(/on an existing tumour or within 3 mm of one/);
    expect(() => simulateTumourPositions(label, { seed: 1, centres: [[21, 20, 20]] })).toThrow(/existing tumour/);
    expect(simulateTumourPositions(label, { seed: 1, centres: [[25, 20, 20]] }).tumours[0].centreVoxel).toEqual([25, 20, 20]);
  });

  it('handcrafted synthesis leaves a real tumour bit for bit as it was, image and label', () => {
    const label = halfTumourLiver();
    const image = { dims: label.dims, affine, data: new Float32Array(label.data.length).fill(60) };
    for (let seed = 0; seed < 5; seed++) {
      const r = synthesizeHandcrafted(image, label, { seed, sizeClass: 'medium', handcrafted: { texture: { size: [32, 32, 32] } } });
      let changed = 0;
      for (let n = 0; n < label.data.length; n++) {
        if (label.data[n] !== LIVER_TUMOUR) continue;
        if (r.image.data[n] !== 60 || r.label.data[n] !== LIVER_TUMOUR) changed++;
      }
      expect(changed).toBe(0);
      expect(r.simulation.newTumourVoxels).toBeGreaterThan(0);
    }
  });
});

describe('one mask per tumour', () => {
  const dims: Vec3 = [48, 48, 48];
  const liver: LabelVolume = { dims, affine, data: new Uint8Array(48 ** 3).fill(LIVER) };

  it('keepTumours([0]) of three is the one-tumour simulation, bit for bit; M̃ is the max of the parts', () => {
    const three = simulateTumourPositions(liver, { seed: 5, count: 3, sizeClass: 'small' });
    const one = simulateTumourPositions(liver, { seed: 5, count: 1, sizeClass: 'small' });
    const kept = keepTumours(three, [0]);
    expect(Buffer.from(kept.tumourLabel).equals(Buffer.from(one.tumourLabel))).toBe(true);
    expect(Buffer.from(kept.softMask.buffer).equals(Buffer.from(one.softMask.buffer))).toBe(true);
    expect(kept.softBox).toEqual(one.softBox);
    expect(kept.tumours.map((t) => t.index)).toEqual([0]);
    expect(kept.newTumourVoxels).toBe(one.newTumourVoxels);
    const all = keepTumours(three, [0, 1, 2]);
    expect(Buffer.from(all.softMask.buffer).equals(Buffer.from(three.softMask.buffer))).toBe(true);
    expect(Buffer.from(all.tumourLabel).equals(Buffer.from(three.tumourLabel))).toBe(true);
    // Each part's M is exactly its tumour's voxels.
    three.parts.forEach((p, q) => expect(p.voxels.length).toBe(three.tumours[q].voxelCount));
    expect(keepTumours(three, []).softBox).toBeNull();
  });
});

describe('centre band of the whole organ on a crop', () => {
  // Organ on slices 20..59 of an 80-slice volume; the crop holds slices 40..79 (organ 40..59).
  const dims: Vec3 = [16, 16, 40];
  const crop = new Uint8Array(16 * 16 * 40);
  for (let k = 0; k < 20; k++) for (let j = 2; j < 14; j++) for (let i = 2; i < 14; i++) crop[i + 16 * (j + 16 * k)] = LIVER;
  const isOrgan = (n: number) => crop[n] === LIVER;
  const extent = labelExtent(crop, dims, [LIVER]);

  it('with the whole organ\'s range, centres lie in its 30–70 % band (slices 32..47 → crop 0..7)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const c = chooseTumourCentre({ dims, affine, isOrgan, extent, organName: 'liver', siRange: [20 - 40, 59 - 40] }, new Rng(seed));
      expect(c.widened).toBe(0);
      expect(c.voxel[2]).toBeGreaterThanOrEqual(0);
      expect(c.voxel[2]).toBeLessThanOrEqual(7);
      seen.add(c.voxel[2]);
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it('without it, the truncated organ has a band of its own (crop 6..13): what online placement did', () => {
    for (let seed = 0; seed < 30; seed++) {
      const c = chooseTumourCentre({ dims, affine, isOrgan, extent, organName: 'liver' }, new Rng(seed));
      expect(c.voxel[2]).toBeGreaterThanOrEqual(6);
      expect(c.voxel[2]).toBeLessThanOrEqual(13);
    }
  });

  it('a crop outside the band widens it as the method does, and a bad range is refused', () => {
    // Organ 0..59 of the whole scan, crop at 50..89: band 18..41 misses the crop's slices 50..59.
    const c = chooseTumourCentre({ dims, affine, isOrgan, extent, organName: 'liver', siRange: [-50, 9] }, new Rng(1));
    expect(c.widened).toBeGreaterThan(0);
    expect(c.voxel[2]).toBeLessThan(20);
    expect(() => chooseTumourCentre({ dims, affine, isOrgan, extent, organName: 'liver', siRange: [5, 2] }, new Rng(1))).toThrow(/siRange/);
  });

  it('simulateTumourPositions passes an organ\'s range through', () => {
    const label: LabelVolume = { dims, affine, data: crop };
    for (let seed = 0; seed < 20; seed++) {
      const sim = simulateTumourPositions(label, { seed, sizeClass: 'tiny', siRanges: { liver: [-20, 19] } });
      expect(sim.tumours[0].centreVoxel[2]).toBeLessThanOrEqual(7);
    }
  });
});
