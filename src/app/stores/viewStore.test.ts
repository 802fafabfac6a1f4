import { beforeEach, describe, expect, it } from 'vitest';
import { useViewStore } from './viewStore.ts';

describe('viewStore', () => {
  beforeEach(() => useViewStore.getState().reset());

  it('defaults to the abdomen window (W400 L40) in the multiplanar layout', () => {
    const s = useViewStore.getState();
    expect(s.preset).toBe('abdomen');
    expect([s.windowMin, s.windowMax]).toEqual([-160, 240]);
    expect(s.layout).toBe('multiplanar');
  });

  it('records custom windows without a preset and resets', () => {
    useViewStore.getState().setWindow(-50, 150, null);
    useViewStore.getState().setLayout('axial');
    expect(useViewStore.getState()).toMatchObject({ preset: null, windowMin: -50, windowMax: 150, layout: 'axial' });
    useViewStore.getState().reset();
    expect(useViewStore.getState()).toMatchObject({ preset: 'abdomen', layout: 'multiplanar' });
  });
});
