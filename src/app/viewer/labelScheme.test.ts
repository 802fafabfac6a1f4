import { describe, expect, it } from 'vitest';
import { TOTALSEGMENTATOR, PROJECT } from '../../core/labels.ts';
import { countIds, describeLabel, detectScheme, maskAnchor, maskCentroid, maskOf, projectLabelsOf } from './labelScheme.ts';

describe('label schemes', () => {
  it('merge TotalSegmentator kidneys into the project kidney', () => {
    const labels = projectLabelsOf(TOTALSEGMENTATOR);
    expect(labels.map((l) => l.key)).toEqual(['liver', 'pancreas', 'kidney']);
    expect(labels.find((l) => l.key === 'kidney')!.sourceIds).toEqual([2, 3]);
    expect(projectLabelsOf(PROJECT).map((l) => l.projectId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('detect the scheme from the ids present', () => {
    expect(detectScheme([1, 2, 5])).toBe('project');
    expect(detectScheme([2, 5, 7, 51])).toBe('totalsegmentator');
  });

  it('name source ids for the readout', () => {
    expect(describeLabel(2, TOTALSEGMENTATOR)).toEqual({ source: 'kidney_right', project: 'kidney' });
    expect(describeLabel(1, TOTALSEGMENTATOR)).toEqual({ source: 'spleen', project: null });
    // TotalSegmentator v2 names all 117 classes; an id past them has no name.
    expect(describeLabel(42, TOTALSEGMENTATOR)).toEqual({ source: 'vertebrae_T2', project: null });
    expect(describeLabel(200, TOTALSEGMENTATOR)).toEqual({ source: 'label 200', project: null });
    expect(describeLabel(0, TOTALSEGMENTATOR).source).toBe('background');
    expect(describeLabel(2, PROJECT)).toEqual({ source: 'liver_tumor', project: 'liver_tumor' });
  });

  it('count, mask and locate labels with scl scaling', () => {
    const data = new Float32Array([0, 2, 3, 5, 5, 0, 2, 0]); // 2×2×2
    expect([...countIds(data)].sort()).toEqual([[2, 2], [3, 1], [5, 2]]);
    expect([...countIds(new Float32Array([1, 2]), 2, 1)]).toEqual([[3, 1], [5, 1]]);
    expect([...maskOf(data, [2, 3])]).toEqual([0, 1, 1, 0, 0, 0, 1, 0]);
    expect(maskCentroid(maskOf(data, [5]), [2, 2, 2])).toEqual([1, 1, 1]);
    expect(maskCentroid(new Uint8Array(8), [2, 2, 2])).toBeNull();
  });

  it('anchors paired organs inside one of them, not between them', () => {
    // 5×1×1 row: organs at i = 0 and i = 4, centroid i = 2 is outside both.
    const mask = new Uint8Array([1, 0, 0, 0, 1]);
    expect(maskCentroid(mask, [5, 1, 1])).toEqual([2, 0, 0]);
    const a = maskAnchor(mask, [5, 1, 1])!;
    expect(mask[a[0]]).toBe(1);
    expect(maskAnchor(new Uint8Array([0, 1, 1, 1, 0]), [5, 1, 1])).toEqual([2, 0, 0]);
  });
});
