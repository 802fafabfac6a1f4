import { describe, expect, it } from 'vitest';
import { DEFAULT_VOLUME_LIMITS, volumeTooLarge } from './volumeLimits.ts';

describe('volume size limit', () => {
  it('opens a 512×512×600 CT and refuses 512×512×700, naming the file', () => {
    expect(volumeTooLarge('ct600.nii.gz', [512, 512, 600])).toBeNull();
    const msg = volumeTooLarge('huge_scan.nii.gz', [512, 512, 700]);
    expect(msg).toContain('"huge_scan.nii.gz"');
    expect(msg).toContain('512×512×700');
    expect(msg).toContain('512×512×640');
  });

  it('takes another limit', () => {
    expect(volumeTooLarge('a.nii', [10, 10, 10], { maxVoxels: 999 })).toContain('1000');
    expect(volumeTooLarge('a.nii', [10, 10, 10], { maxVoxels: 1000 })).toBeNull();
    expect(DEFAULT_VOLUME_LIMITS.maxVoxels).toBe(512 * 512 * 640);
  });
});
