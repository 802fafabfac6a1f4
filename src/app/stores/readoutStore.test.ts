import { describe, expect, it } from 'vitest';
import { useReadoutStore } from './readoutStore.ts';

describe('readoutStore', () => {
  it('holds the latest readout until cleared', () => {
    const r = { mm: [1, 2, 3] as [number, number, number], voxel: [0, 0, 0] as [number, number, number], inside: true, value: -1000, labelId: 0, labelName: 'background', projectLabel: null };
    useReadoutStore.getState().setReadout(r);
    expect(useReadoutStore.getState().readout).toEqual(r);
    useReadoutStore.getState().clear();
    expect(useReadoutStore.getState().readout).toBeNull();
  });

  it('switches the world frame between RAS and LPS, and clearing keeps the choice', () => {
    const s = useReadoutStore.getState();
    expect(s.frame).toBe('RAS');
    s.toggleFrame();
    expect(useReadoutStore.getState().frame).toBe('LPS');
    useReadoutStore.getState().clear();
    expect(useReadoutStore.getState().frame).toBe('LPS');
    useReadoutStore.getState().toggleFrame();
    expect(useReadoutStore.getState().frame).toBe('RAS');
  });
});
