import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LABEL_MAPS, TOTALSEGMENTATOR, remapLabels } from './labels.ts';
import { readNifti } from './nifti/index.ts';

const SHARED = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const EXAMPLES = ['totalsegmentator-example/example_seg_fast_force_split.nii.gz', 'totalsegmentator-dicom/example_seg_dicom.nii.gz'];

describe('TotalSegmentator v2 label map', () => {
  it('names all 117 classes of the "total" task, ids 1..117, each once', () => {
    const names = TOTALSEGMENTATOR.sourceNames!;
    expect(Object.keys(names).map(Number)).toEqual(Array.from({ length: 117 }, (_, k) => k + 1));
    expect(new Set(Object.values(names)).size).toBe(117);
    // Spot checks across the list, where v1 and v2 differ.
    expect([names[1], names[5], names[7], names[22], names[26], names[51], names[52], names[79], names[91], names[104], names[117]]).toEqual([
      'spleen', 'liver', 'pancreas', 'prostate', 'vertebrae_S1', 'heart', 'aorta', 'spinal_cord', 'skull', 'rib_right_1', 'costal_cartilages',
    ]);
  });

  it('still maps only liver, pancreas and kidneys to the project scheme', () => {
    expect(TOTALSEGMENTATOR.toProject).toEqual({ 5: 'liver', 7: 'pancreas', 2: 'kidney', 3: 'kidney' });
    expect(Array.from(remapLabels([0, 1, 2, 3, 5, 7, 23, 52, 117], TOTALSEGMENTATOR))).toEqual([0, 0, 5, 5, 1, 3, 0, 0, 0]);
    expect(LABEL_MAPS.totalsegmentator).toBe(TOTALSEGMENTATOR);
  });

  for (const example of EXAMPLES) {
    const path = SHARED + example;
    it.skipIf(!existsSync(path))(`names every id in ${example} (from ../shared/data)`, async () => {
      const img = await readNifti(new Uint8Array(readFileSync(path)), path);
      const ids = [...new Set(img.volume.data)].filter((id) => id !== 0).sort((a, b) => a - b);
      expect(ids.length).toBeGreaterThan(25);
      expect(ids.filter((id) => !TOTALSEGMENTATOR.sourceNames![id])).toEqual([]);
    });
  }
});
