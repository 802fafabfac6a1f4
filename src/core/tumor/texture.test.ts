import { describe, expect, it } from 'vitest';
import { Rng } from '../random.ts';
import { cropTexture, drawTextureOffset, generateTexture, getTexture, textureAt } from './texture.ts';

describe('SynTumor texture', () => {
  const opts = { size: [48, 48, 48] as [number, number, number] };

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

  it('crops at random offsets and mirrors past the edge', () => {
    const tex = generateTexture([3, 3, 3], { size: [8, 8, 8] });
    const off = drawTextureOffset(tex, [4, 4, 4], new Rng(1));
    for (const o of off) expect(o >= 0 && o <= 4).toBe(true);
    expect(drawTextureOffset(tex, [20, 4, 4], new Rng(1))[0]).toBe(0);
    const crop = cropTexture(tex, [0, 0, 0], [10, 1, 1]);
    // Index 8 mirrors to 7, 9 to 6.
    expect(crop[8]).toBe(textureAt(tex, [0, 0, 0], 7, 0, 0));
    expect(crop[9]).toBe(textureAt(tex, [0, 0, 0], 6, 0, 0));
  });
});
