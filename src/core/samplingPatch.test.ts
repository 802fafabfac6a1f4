import { describe, expect, it } from 'vitest';
import { extractPatch } from './sampling.ts';

describe('extractPatch', () => {
  it('returns a plain typed array even from a Node Buffer (no deprecated Buffer() constructor)', () => {
    const dims: [number, number, number] = [4, 3, 2];
    const bytes = Buffer.from(Array.from({ length: 24 }, (_, v) => v));
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    const patch = extractPatch(bytes, dims, [1, 1, 0], [2, 2, 2]);
    process.off('warning', onWarning);
    expect(Object.getPrototypeOf(patch)).toBe(Uint8Array.prototype);
    expect(Array.from(patch)).toEqual([5, 6, 9, 10, 17, 18, 21, 22]);
    expect(warnings).not.toContain('DEP0005');
    const f32 = extractPatch(Float32Array.from(bytes), dims, [0, 0, 1], [1, 1, 1]);
    expect(f32).toBeInstanceOf(Float32Array);
    expect(Array.from(f32)).toEqual([12]);
  });
});
