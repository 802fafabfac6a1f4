import { describe, expect, it } from 'vitest';
import { HU_WINDOW_HI, HU_WINDOW_LO, windowToUnit } from './window.ts';

describe('windowToUnit', () => {
  it('clips to −175..250 HU by default and scales to [0, 1]', () => {
    expect([HU_WINDOW_LO, HU_WINDOW_HI]).toEqual([-175, 250]);
    const out = windowToUnit([-1024, -175, 37.5, 250, 3000]);
    expect(Array.from(out)).toEqual([0, 0, 0.5, 1, 1]);
  });

  it('takes a custom window and keeps a volume’s grid', () => {
    const vol = { dims: [2, 1, 1] as [number, number, number], affine: [3, 0, 0, 1, 0, 3, 0, 2, 0, 0, 3, 3, 0, 0, 0, 1], data: Float32Array.from([0, 50]) };
    const out = windowToUnit(vol, 0, 100);
    expect(out.dims).toEqual([2, 1, 1]);
    expect(out.affine).toEqual(vol.affine);
    expect(Array.from(out.data)).toEqual([0, 0.5]);
    expect(vol.data[1]).toBe(50);
    expect(() => windowToUnit([1], 10, 10)).toThrow(RangeError);
  });
});
