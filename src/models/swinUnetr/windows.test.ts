/**
 * Window geometry against direct index arithmetic on small volumes: MONAI's window clamping,
 * roll, far-end padding / cropping, window partition order and its inverse, and the shifted
 * mask's region labels.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { attentionMask, cropStart3, padEnd3, roll3, truncatedIndex, relativePositionIndex, windowAndShift, windowPartition, windowReverse } from './windows.ts';

await tf.setBackend('cpu');

const [B, D, H, W, C] = [2, 4, 6, 3, 2];
const n = B * D * H * W * C;
const at = (b: number, d: number, h: number, w: number, c: number, dims = [D, H, W]) => (((b * dims[0] + d) * dims[1] + h) * dims[2] + w) * C + c;
const x = tf.tensor5d(Float32Array.from({ length: n }, (_, i) => i), [B, D, H, W, C]);

describe('swin window geometry', () => {
  it('clamps a window to an axis no longer than it, with no shift there', () => {
    expect(windowAndShift([32, 7, 4], 7, 3)).toEqual({ ws: [7, 7, 4], ss: [3, 0, 0] });
  });

  it('roll3 is torch.roll over the three spatial axes', async () => {
    const y = await roll3(x, [-1, 2, -4]).data();
    for (let b = 0; b < B; b++)
      for (let d = 0; d < D; d++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++)
            for (let c = 0; c < C; c++) {
              const src = at(b, (d + 1) % D, (h - 2 + H) % H, (((w + 4) % W) + W) % W, c);
              expect(y[at(b, d, h, w, c)]).toBe(src);
            }
  });

  it('padEnd3 adds zeros at the far ends and cropStart3 takes them off', async () => {
    const p = padEnd3(x, [3, 1, 4]);
    expect(p.shape).toEqual([B, 7, 7, 7, C]);
    const pv = await p.data();
    expect(pv[at(1, 3, 5, 2, 1, [7, 7, 7])]).toBe(at(1, 3, 5, 2, 1));
    expect(pv[at(1, 4, 5, 2, 1, [7, 7, 7])]).toBe(0);
    expect(pv[at(0, 0, 6, 0, 0, [7, 7, 7])]).toBe(0);
    expect(pv[at(0, 0, 0, 3, 0, [7, 7, 7])]).toBe(0);
    expect(Array.from(await cropStart3(p, [D, H, W]).data())).toEqual(Array.from(await x.data()));
  });

  it('windowPartition orders windows (b, d, h, w) and tokens (d, h, w); windowReverse inverts it', async () => {
    const ws: [number, number, number] = [2, 3, 3];
    const win = windowPartition(x, ws);
    expect(win.shape).toEqual([B * 2 * 2 * 1, 18, C]);
    const v = await win.data();
    // Window (b=1, d=1, h=1, w=0), token (1, 2, 0), channel 1.
    const wi = ((1 * 2 + 1) * 2 + 1) * 1 + 0;
    const ti = (1 * 3 + 2) * 3 + 0;
    expect(v[(wi * 18 + ti) * C + 1]).toBe(at(1, 3, 5, 0, 1));
    expect(Array.from(await windowReverse(win, ws, [B, D, H, W]).data())).toEqual(Array.from(await x.data()));
  });

  it('the shifted mask lets a token attend only to tokens of its own region', () => {
    // Padded 4×4×4, window 2, shift 1: the last window holds one token of each of 8 regions,
    // the first window lies inside one region.
    const m = attentionMask([4, 4, 4], [2, 2, 2], [1, 1, 1]);
    expect(m.length).toBe(8 * 64);
    expect(Array.from(m.subarray(0, 64)).every((v) => v === 0)).toBe(true);
    const last = m.subarray(7 * 64);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(last[i * 8 + j]).toBe(i === j ? 0 : -100);
  });

  it('a clamped window reads the first rows and columns of the full index (MONAI’s [:n, :n])', () => {
    const full = relativePositionIndex(3);
    const t = truncatedIndex(full, 3, 8);
    expect(t[1 * 8 + 7]).toBe(full[1 * 27 + 7]);
    expect(() => truncatedIndex(full, 3, 28)).toThrow(/larger than the 3³ window/);
  });
});
