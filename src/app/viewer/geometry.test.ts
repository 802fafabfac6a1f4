import { describe, expect, it } from 'vitest';
import { voxelToWorld } from '../../core/volume.ts';
import { flattenAffine, insideVolume, invertAffine, spacingFromAffine, worldIn, worldToVoxel } from './geometry.ts';

const demo = [3, 0, 0, -177.956, 0, 3, 0, 11.319, 0, 0, 3, 94.302, 0, 0, 0, 1];

describe('geometry', () => {
  it('round-trips voxel → world → voxel, also for flipped and oblique affines', () => {
    const lps = [-0.8, 0, 0, 100, 0, -0.8, 0, 120, 0, 0, 2.5, -40, 0, 0, 0, 1];
    const oblique = [0.9, 0.3, 0, 5, -0.3, 0.9, 0.1, 7, 0, -0.1, 2, 9, 0, 0, 0, 1];
    for (const a of [demo, lps, oblique]) {
      const inv = invertAffine(a);
      for (const v of [[0, 0, 0], [82, 59, 99], [121, 100, 111]] as [number, number, number][]) {
        expect(worldToVoxel(inv, voxelToWorld(a, v))).toEqual(v);
      }
    }
  });

  it('rejects a singular affine', () => {
    expect(() => invertAffine([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toThrow(/singular/);
  });

  it('bounds, flattening and spacing', () => {
    expect(insideVolume([2, 3, 4], [1, 2, 3])).toBe(true);
    expect(insideVolume([2, 3, 4], [2, 0, 0])).toBe(false);
    expect(insideVolume([2, 3, 4], [0, -1, 0])).toBe(false);
    expect(flattenAffine([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 0, 0, 1]])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 1]);
    expect(spacingFromAffine(demo)).toEqual([3, 3, 3]);
  });

  it('gives world positions in RAS as stored, or in LPS (DICOM) with x and y negated', () => {
    expect(worldIn('RAS', [10, -20, 30])).toEqual([10, -20, 30]);
    expect(worldIn('LPS', [10, -20, 30])).toEqual([-10, 20, 30]);
    expect(Object.is(worldIn('LPS', [0, 0, 0])[0], -0)).toBe(false);
  });
});
