import { describe, expect, it } from 'vitest';
import { Rng } from '../random.ts';
import { cropTexture, drawTextureOffset, generateTexture, getTexture, textureAt } from './texture.ts';

describe('SynTumor texture', () => {
  const opts = { size: [48, 48, 48] as [number, number, number] };

  it('scales its bright part (b > threshold) to the β it names, drawn from [0.5, 0.55]', () => {
    const tex = generateTexture([1.5, 1.5, 1.5], opts);
    const { beta, gain } = tex.params;
    expect(beta).toBeGreaterThanOrEqual(0.5);
    expect(beta).toBeLessThanOrEqual(0.55);
    // The bright part is b > 0.12 before the gain, i.e. value > 0.12·gain after it; nothing here
    // reaches the clip at 1, so its mean is β itself (float32 rounding only).
    let sum = 0;
    let cnt = 0;
    let max = 0;
    for (const v of tex.data) {
      max = Math.max(max, v);
      if (v > 0.12 * gain * (1 + 1e-6)) (cnt++, (sum += v));
    }
    expect(max).toBeLessThan(1);
    expect(cnt).toBeGreaterThan(100);
    expect(sum / cnt).toBeCloseTo(beta, 3);
  });

  it('draws s, b and β from its seed: two seeds, two sets of parameters', () => {
    const a = generateTexture([3, 3, 3], { ...opts, seed: 1 }).params;
    const b = generateTexture([3, 3, 3], { ...opts, seed: 2 }).params;
    expect(a.scale).not.toBe(b.scale);
    expect(a.base).not.toBe(b.base);
    expect(a.beta).not.toBe(b.beta);
    for (const p of [a, b]) {
      expect(p.scale).toBeGreaterThanOrEqual(0.19);
      expect(p.scale).toBeLessThanOrEqual(0.21);
      expect(p.base).toBeGreaterThanOrEqual(0.04);
      expect(p.base).toBeLessThanOrEqual(0.06);
    }
  });

  it('lies in [0,1] with its bright part scaled to mean β ∈ [0.5, 0.55]', () => {
    const tex = generateTexture([1.5, 1.5, 1.5], opts);
    let min = Infinity;
    let max = -Infinity;
    let bright = 0;
    let brightSum = 0;
    for (const v of tex.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    // β/mean(b > 0.12) was applied before clipping, so the pre-clip mean above 0.12·gain is β;
    // after clipping it can only drop a little.
    const sorted = Float32Array.from(tex.data).sort();
    const median = sorted[sorted.length >> 1];
    for (const v of tex.data) if (v > median) (bright++, (brightSum += v));
    expect(brightSum / bright).toBeGreaterThan(0.4);
    expect(brightSum / bright).toBeLessThan(0.9);
    expect(max - min).toBeGreaterThan(0.2); // it is a texture, not a constant
  });

  it('is deterministic per seed, differs across seeds, and is cached', () => {
    const a = generateTexture([3, 3, 3], { ...opts, seed: 1 });
    const b = generateTexture([3, 3, 3], { ...opts, seed: 1 });
    const c = generateTexture([3, 3, 3], { ...opts, seed: 2 });
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
    expect(getTexture([3, 3, 3], { ...opts, seed: 1 })).toBe(getTexture([3, 3, 3], { ...opts, seed: 1 }));
  });

  it('draws crop offsets over the whole mirror-tiled period, not only where the crop fits', () => {
    const tex = generateTexture([3, 3, 3], { size: [8, 8, 8] });
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let n = 0; n < 400; n++) {
      const off = drawTextureOffset(tex, rng);
      for (const o of off) expect(o >= 0 && o < 16).toBe(true);
      seen.add(off[0]);
    }
    // A 6-voxel crop of an 8-voxel texture had 3 offsets per axis (0..2); now every one of 16.
    expect(seen.size).toBe(16);
  });

  it('mirrors past the edge', () => {
    const tex = generateTexture([3, 3, 3], { size: [8, 8, 8] });
    const crop = cropTexture(tex, [0, 0, 0], [10, 1, 1]);
    // Index 8 mirrors to 7, 9 to 6.
    expect(crop[8]).toBe(textureAt(tex, [0, 0, 0], 7, 0, 0));
    expect(crop[9]).toBe(textureAt(tex, [0, 0, 0], 6, 0, 0));
  });
});
