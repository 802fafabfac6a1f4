import { describe, expect, it } from 'vitest';
import { useUiStore } from './uiStore.ts';

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
