import { describe, expect, it } from 'vitest';
import type { Lesion } from '../../core/lesions.ts';
import { stepLesion, useLesionStore } from './lesionStore.ts';

const lesion = (index: number): Lesion => ({
  index,
  organ: 'liver',
  tumourId: 2,
  synthetic: false,
  voxels: 1,
  volumeMl: 0.001,
  longestDiameterMm: 0,
  meanHu: null,
  anchorVoxel: [0, 0, 0],
  anchorMm: [0, 0, 0],
});

describe('lesion store', () => {
  it('steps forward and back through the list, wrapping round', () => {
    const list = [lesion(1), lesion(2), lesion(3)];
    expect(stepLesion(list, null, 1)?.index).toBe(1);
    expect(stepLesion(list, null, -1)?.index).toBe(3);
    expect(stepLesion(list, 3, 1)?.index).toBe(1);
    expect(stepLesion(list, 1, -1)?.index).toBe(3);
    expect(stepLesion(list, 2, 1)?.index).toBe(3);
    expect(stepLesion([], null, 1)).toBeNull();
  });

  it('forgets the current lesion when a new list arrives', () => {
    const s = useLesionStore.getState();
    s.setLesions([lesion(1), lesion(2)]);
    s.setCurrent(2);
    expect(useLesionStore.getState().current).toBe(2);
    s.setLesions([lesion(1)]);
    expect(useLesionStore.getState()).toMatchObject({ status: 'ready', current: null });
    s.fail('x');
    expect(useLesionStore.getState()).toMatchObject({ status: 'error', lesions: [], error: 'x' });
  });
});
