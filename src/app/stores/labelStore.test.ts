import { beforeEach, describe, expect, it } from 'vitest';
import { useLabelStore, type LabelEntry } from './labelStore.ts';

const liver: LabelEntry = { key: 'liver', name: 'Liver', color: [221, 132, 82], voxels: 10, sources: ['liver'], visible: true, opacity: 0.6 };
const kidney: LabelEntry = { ...liver, key: 'kidney', name: 'Kidney', sources: ['kidney_right', 'kidney_left'] };

describe('labelStore', () => {
  beforeEach(() => useLabelStore.getState().clear());

  it('sets labels and changes one entry at a time', () => {
    const s = useLabelStore.getState();
    s.setLabels('totalsegmentator', [liver, kidney]);
    s.setVisibility('kidney', false);
    s.setOpacity('liver', 0.25);
    const { labels, scheme } = useLabelStore.getState();
    expect(scheme).toBe('totalsegmentator');
    expect(labels.map((l) => [l.key, l.visible, l.opacity])).toEqual([
      ['liver', true, 0.25],
      ['kidney', false, 0.6],
    ]);
  });

  it('clamps opacity to 0..1 and ignores unknown keys', () => {
    const s = useLabelStore.getState();
    s.setLabels('project', [liver]);
    s.setOpacity('liver', 3);
    expect(useLabelStore.getState().labels[0].opacity).toBe(1);
    s.setOpacity('liver', -1);
    expect(useLabelStore.getState().labels[0].opacity).toBe(0);
    s.setVisibility('pancreas', false);
    expect(useLabelStore.getState().labels).toHaveLength(1);
  });

  it('does not mutate entries in place (React relies on new objects)', () => {
    useLabelStore.getState().setLabels('project', [liver]);
    const before = useLabelStore.getState().labels[0];
    useLabelStore.getState().setVisibility('liver', false);
    expect(before.visible).toBe(true);
    expect(useLabelStore.getState().labels[0]).not.toBe(before);
  });

  it('clear empties the legend', () => {
    useLabelStore.getState().setLabels('project', [liver]);
    useLabelStore.getState().clear();
    expect(useLabelStore.getState()).toMatchObject({ scheme: null, labels: [] });
  });
});
