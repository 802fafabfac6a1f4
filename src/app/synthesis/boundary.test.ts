import { describe, expect, it } from 'vitest';
import { boundaryMask } from './boundary.ts';

describe('boundaryMask', () => {
  it('keeps the shell of a cube and drops its inside', () => {
    const dims: [number, number, number] = [7, 7, 7];
    const mask = new Uint8Array(343);
    const at = (i: number, j: number, k: number) => i + 7 * (j + 7 * k);
    for (let k = 1; k <= 5; k++) for (let j = 1; j <= 5; j++) for (let i = 1; i <= 5; i++) mask[at(i, j, k)] = 1;
    const b = boundaryMask(mask, dims);
    // 5³ cube: 125 voxels, 3³ = 27 inside.
    expect(b.reduce((n, v) => n + v, 0)).toBe(125 - 27);
    expect(b[at(3, 3, 3)]).toBe(0);
    expect(b[at(1, 3, 3)]).toBe(1);
    expect(b[at(0, 0, 0)]).toBe(0);
  });

  it('treats the volume edge as outside', () => {
    const b = boundaryMask(new Uint8Array(27).fill(1), [3, 3, 3]);
    expect(b.reduce((n, v) => n + v, 0)).toBe(26);
  });
});
