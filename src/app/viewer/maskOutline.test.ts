import { describe, expect, it } from 'vitest';
import { maskBox, maskOutline } from './maskOutline.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The definition, voxel by voxel in coordinates: a mask voxel with a face neighbour outside the mask or the volume. */
function referenceOutline(mask: Uint8Array, dims: readonly [number, number, number]): Uint8Array {
  const [nx, ny, nz] = dims;
  const inMask = (i: number, j: number, k: number) =>
    i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && mask[i + nx * (j + ny * k)] !== 0;
  const faces = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
  return Uint8Array.from(mask, (_, v) => {
    const i = v % nx, j = Math.floor(v / nx) % ny, k = Math.floor(v / (nx * ny));
    return inMask(i, j, k) && faces.some(([a, b, c]) => !inMask(i + a, j + b, k + c)) ? 1 : 0;
  });
}

describe('maskOutline', () => {
  it('keeps the shell of a cube and drops its inside', () => {
    const mask = new Uint8Array(343);
    const at = (i: number, j: number, k: number) => i + 7 * (j + 7 * k);
    for (let k = 1; k <= 5; k++) for (let j = 1; j <= 5; j++) for (let i = 1; i <= 5; i++) mask[at(i, j, k)] = 1;
    const b = maskOutline(mask, [7, 7, 7]);
    // 5³ cube: 125 voxels, 3³ = 27 inside.
    expect(b.reduce((n, v) => n + v, 0)).toBe(125 - 27);
    expect(b[at(3, 3, 3)]).toBe(0);
    expect(b[at(1, 3, 3)]).toBe(1);
    expect(b[at(0, 0, 0)]).toBe(0);
  });

  it('treats the volume edge as outside', () => {
    const b = maskOutline(new Uint8Array(27).fill(1), [3, 3, 3]);
    expect(b.reduce((n, v) => n + v, 0)).toBe(26);
  });

  it('marks exactly the voxels the definition marks, on blobs, borders and odd sizes', () => {
    const rand = rng(16);
    for (const dims of [[7, 5, 3], [16, 9, 11], [13, 13, 1]] as [number, number, number][]) {
      const n = dims[0] * dims[1] * dims[2];
      for (let trial = 0; trial < 20; trial++) {
        const mask = new Uint8Array(n);
        // A ball somewhere (possibly cut by the border) plus scattered voxels, ids 2/4/6 as tumours are.
        const c = dims.map((d) => rand() * d);
        const r = 1 + rand() * 4;
        for (let v = 0; v < n; v++) {
          const i = v % dims[0], j = Math.floor(v / dims[0]) % dims[1], k = Math.floor(v / (dims[0] * dims[1]));
          if ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r || rand() < 0.02) mask[v] = [2, 4, 6][v % 3];
        }
        expect(maskOutline(mask, dims)).toEqual(referenceOutline(mask, dims));
      }
    }
  });

  it('finds the bounding box of a mask and none of an empty one, whatever its alignment', () => {
    const buf = new Uint8Array(1 + 10 * 10 * 10);
    const mask = buf.subarray(1); // not 4-byte aligned: the byte-wise path
    mask[3 + 10 * (4 + 10 * 5)] = 1;
    mask[6 + 10 * (2 + 10 * 7)] = 1;
    expect(maskBox(mask, [10, 10, 10])).toEqual({ lo: [3, 2, 5], hi: [6, 4, 7] });
    expect(maskBox(new Uint8Array(1000), [10, 10, 10])).toBeNull();
    expect(maskOutline(new Uint8Array(1000), [10, 10, 10]).some((x) => x)).toBe(false);
  });
});
