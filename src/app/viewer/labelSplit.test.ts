import { describe, expect, it } from 'vitest';
import { splitLabels } from './labelSplit.ts';

describe('splitLabels', () => {
  it('guesses the scheme and gives one mask per project label present, merging source ids', () => {
    // TotalSegmentator: 2 kidney_right, 3 kidney_left, 5 liver, 7 pancreas; 51 makes the guess unambiguous.
    const data = new Int16Array([0, 2, 3, 5, 5, 51, 0, 7]);
    const r = splitLabels(data, 1, 0, null, [8, 1, 1]);
    expect(r.scheme).toBe('totalsegmentator');
    expect(new Map(r.counts).get(5)).toBe(2);
    expect(r.masks.map((m) => [m.key, [...m.mask]])).toEqual([
      ['liver', [0, 0, 0, 1, 1, 0, 0, 0]],
      ['pancreas', [0, 0, 0, 0, 0, 0, 0, 1]],
      ['kidney', [0, 1, 1, 0, 0, 0, 0, 0]],
    ]);
    // Anchors are computed with the masks (off the page's thread): inside the label, near its centre.
    expect(r.masks.map((m) => m.anchor)).toEqual([[4, 0, 0], [7, 0, 0], [2, 0, 0]]);
  });

  it('reads ids through scl slope and intercept, and obeys a forced scheme', () => {
    // Stored 0..3 with intercept 1 → ids 1..4; under the project scheme: liver, tumour, pancreas, pancreas tumour.
    const r = splitLabels(new Float32Array([-1, 0, 1, 2, 3]), 1, 1, 'project', [5, 1, 1]);
    expect(r.scheme).toBe('project');
    expect(r.masks.map((m) => m.key)).toEqual(['liver', 'liver_tumor', 'pancreas', 'pancreas_tumor']);
    expect([...r.masks[0].mask]).toEqual([0, 1, 0, 0, 0]);
  });
});
