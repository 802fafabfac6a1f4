/**
 * Online tumour inputs: the run's own texture, no synthesis on a real tumour, and the centre band
 * of the whole organ on a crop (as offline placement on the whole scan has it).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../../core/labels.ts';
import { Rng } from '../../core/random.ts';
import { getTexture } from '../../core/tumor/index.ts';
import type { Vec3 } from '../../core/volume.ts';
import { defaultConfig, type RunConfig } from '../config.ts';
import { encodeCase, type CacheEntry } from '../data/cache.ts';
import { diagonalAffine, handcraftedTumour, organSiRanges, runTexture, siRangesInCrop, tumourInputs, WholeOrganBands } from './tumourInputs.ts';

const { organ: LIVER, tumor: LIVER_TUMOUR } = ORGAN_IDS.liver;

function config(seed: number): RunConfig {
  const cfg = defaultConfig('tiny');
  cfg.run.seed = seed;
  cfg.run.organs = ['liver'];
  cfg.texture.size = [24, 24, 24];
  cfg.position.sizeClass = 'tiny';
  return cfg;
}

/** A 24×24×80 volume (3 mm) with liver on slices 20..59, x and y 4..19. */
function wholeLiver(): { label: Uint8Array; dims: Vec3 } {
  const dims: Vec3 = [24, 24, 80];
  const label = new Uint8Array(24 * 24 * 80);
  for (let k = 20; k < 60; k++) for (let j = 4; j < 20; j++) for (let i = 4; i < 20; i++) label[i + 24 * (j + 24 * k)] = LIVER;
  return { label, dims };
}

const affine = diagonalAffine(3);

describe('tumourInputs', () => {
  it('draws the texture from the run seed: two runs, two textures; one run, one texture', () => {
    const a = getTexture([3, 3, 3], runTexture(config(1)));
    const b = getTexture([3, 3, 3], runTexture(config(2)));
    expect(a.params.beta).not.toBe(b.params.beta);
    const { label, dims } = wholeLiver();
    // The texture a tumour gets comes from its run's texture: runs 1 and 2 differ at the same draw.
    const t1 = tumourInputs(label, dims, affine, config(1), new Rng(5))!;
    const t2 = tumourInputs(label, dims, affine, config(2), new Rng(5))!;
    expect(Buffer.from(t1.texture.buffer).equals(Buffer.from(t2.texture.buffer))).toBe(false);
    expect(Buffer.from(t1.mask.buffer).equals(Buffer.from(t2.mask.buffer))).toBe(true);
    const sum = (x: Float32Array) => x.reduce((s, v) => s + v, 0);
    expect(sum(t1.texture)).toBeGreaterThan(0);
  });

  it('never places on a real tumour, and the organ mask of Eq. 1 leaves it out', () => {
    const { label, dims } = wholeLiver();
    // Upper half of the liver (x < 12) is a real tumour.
    for (let v = 0; v < label.length; v++) if (label[v] === LIVER && v % 24 < 12) label[v] = LIVER_TUMOUR;
    let placed = 0;
    for (let s = 0; s < 10; s++) {
      const t = tumourInputs(label, dims, affine, config(0), new Rng(s));
      if (!t) continue;
      placed++;
      let bad = 0;
      for (let v = 0; v < label.length; v++) {
        if (label[v] === LIVER_TUMOUR && (t.mask[v] || t.softMask[v] || t.organMask[v])) bad++;
        if (t.mask[v] && v % 24 < 14) bad++; // 3 mm margin = 1 voxel at 3 mm
      }
      expect(bad).toBe(0);
      expect(t.simulation.newTumourVoxels).toBe(t.mask.reduce((a, v) => a + v, 0));
    }
    expect(placed).toBeGreaterThan(5);
    const h = handcraftedTumour(new Float32Array(label.length).fill(0.5), label, dims, affine, config(0), new Rng(1))!;
    for (let v = 0; v < label.length; v++) if (label[v] === LIVER_TUMOUR) expect(h.label[v] === LIVER_TUMOUR && h.image[v] === 0.5).toBe(true);
  });

  it('several tumours per call share one organ (Eq. 1 takes one organ channel and mask per sample)', () => {
    const { label, dims } = wholeLiver();
    // A kidney block beside the liver.
    for (let k = 20; k < 60; k++) for (let j = 4; j < 20; j++) for (let i = 20; i < 24; i++) label[i + 24 * (j + 24 * k)] = ORGAN_IDS.kidney.organ;
    const cfg = config(0);
    cfg.run.organs = ['liver', 'kidney'];
    cfg.position.count = 3;
    cfg.position.tumourMarginMm = 0;
    const seen = new Set<string>();
    for (let s = 0; s < 12; s++) {
      const t = tumourInputs(label, dims, affine, cfg, new Rng(s));
      if (!t) continue;
      const organs = new Set(t.simulation.tumours.map((x) => x.organ));
      expect(organs.size).toBe(1);
      expect(organs.has(t.organ)).toBe(true);
      seen.add(t.organ);
    }
    expect(seen.size).toBe(2);
  });

  it('on a crop, places in the whole organ\'s 30–70 % band, as on the whole scan', () => {
    const { label, dims } = wholeLiver();
    // Whole scan: band of slices 20..59 is 32..47.
    const whole = organSiRanges(label, dims, affine);
    expect(whole.liver).toEqual([20, 59]);
    // A crop of slices 40..79 (the liver's lower half, 40..59, truncated).
    const size: Vec3 = [24, 24, 40];
    const start: Vec3 = [0, 0, 40];
    const crop = label.slice(24 * 24 * 40);
    const ranges = siRangesInCrop(whole, start, size);
    expect(ranges.liver).toEqual([-20, 19]);
    for (let s = 0; s < 12; s++) {
      const t = tumourInputs(crop, size, affine, config(0), new Rng(s), undefined, ranges)!;
      const z = t.simulation.tumours[0].centreVoxel[2] + start[2];
      expect(z).toBeGreaterThanOrEqual(40);
      expect(z).toBeLessThanOrEqual(47);
    }
    // Flipped along z (stage-3 augmentation), the band flips with the crop.
    const flipped = siRangesInCrop(whole, start, size, 2, true);
    expect(flipped.liver).toEqual([20, 59]);
  });

  it('WholeOrganBands reads the case once from the cache and maps it into each crop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ftw-bands-'));
    try {
      const { label, dims } = wholeLiver();
      const file = join(dir, 'c.ftc');
      const header = { format: 1, id: 'c', source: 'demo', labeled: false, dims, affine, config: {} as never, counts: {} };
      await writeFile(file, encodeCase(header, { dims, affine, data: new Float32Array(label.length) }, { dims, affine, data: label }));
      const entry = { id: 'c', file, header } as CacheEntry;
      const bands = new WholeOrganBands([entry]);
      expect(await bands.forCrop('c', [0, 0, 40], [24, 24, 40])).toEqual({ liver: [-20, 19] });
      expect(await bands.forCrop('c', [0, 0, 10], [24, 24, 40], true)).toEqual({ liver: [-10, 29] });
      await expect(bands.forCrop('x', [0, 0, 0], [1, 1, 1])).rejects.toThrow(/case 'x'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
