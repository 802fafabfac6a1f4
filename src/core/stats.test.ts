import { describe, expect, it } from 'vitest';
import { intensityRange, labelCounts } from './stats.ts';

describe('stats', () => {
  it('finds the intensity range', () => {
    expect(intensityRange(Float32Array.from([3, -1207, 3382, 0]))).toEqual({ min: -1207, max: 3382 });
  });

  it('counts label ids that occur, ascending', () => {
    expect(labelCounts(Uint8Array.from([0, 5, 5, 2, 0, 255]))).toEqual([
      { id: 0, voxels: 2 },
      { id: 2, voxels: 1 },
      { id: 5, voxels: 2 },
      { id: 255, voxels: 1 },
    ]);
  });
});
