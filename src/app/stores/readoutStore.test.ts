import { describe, expect, it } from 'vitest';
import { useReadoutStore } from './readoutStore.ts';
import { useUiStore } from './uiStore.ts';

describe('readoutStore', () => {
  it('holds the latest readout until cleared', () => {
    const r = { mm: [1, 2, 3] as [number, number, number], voxel: [0, 0, 0] as [number, number, number], inside: true, value: -1000, labelId: 0, labelName: 'background', projectLabel: null };
    useReadoutStore.getState().setReadout(r);
    expect(useReadoutStore.getState().readout).toEqual(r);
    useReadoutStore.getState().clear();
    expect(useReadoutStore.getState().readout).toBeNull();
  });
});

describe('uiStore', () => {
  it('toggles one overlay at a time and resets', () => {
    const s = useUiStore.getState();
    s.toggleOverlay('help');
    expect(useUiStore.getState().overlay).toBe('help');
    s.toggleOverlay('about');
    expect(useUiStore.getState().overlay).toBe('about');
    s.toggleOverlay('about');
    expect(useUiStore.getState().overlay).toBeNull();
    s.requestGoToFocus();
    s.setDragging(true);
    expect(useUiStore.getState()).toMatchObject({ focusGoTo: 1, dragging: true });
    s.reset();
    expect(useUiStore.getState()).toMatchObject({ overlay: null, dragging: false, focusGoTo: 0 });
  });
});
