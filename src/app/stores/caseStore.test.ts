import { beforeEach, describe, expect, it } from 'vitest';
import { useCaseStore, type LoadedFile } from './caseStore.ts';

const ct: LoadedFile = { name: 'ct.nii.gz', dims: [4, 5, 6], spacing: [1, 1, 2], datatype: 'int16' };
const seg: LoadedFile = { ...ct, name: 'seg.nii.gz', datatype: 'uint8' };

describe('caseStore', () => {
  beforeEach(() => useCaseStore.getState().clear());

  it('starts empty', () => {
    const s = useCaseStore.getState();
    expect([s.image, s.label, s.source, s.loading]).toEqual([null, null, null, null]);
  });

  it('a new image drops the previous label map', () => {
    const s = useCaseStore.getState();
    s.setImage(ct, 'demo');
    s.setLabel(seg);
    expect(useCaseStore.getState().label?.name).toBe('seg.nii.gz');
    s.setImage({ ...ct, name: 'other.nii' }, 'local');
    const after = useCaseStore.getState();
    expect(after.image?.name).toBe('other.nii');
    expect(after.source).toBe('local');
    expect(after.label).toBeNull();
  });

  it('tracks the file being loaded and clears everything', () => {
    const s = useCaseStore.getState();
    s.setLoading('ct.nii.gz');
    s.setImage(ct, 'local');
    expect(useCaseStore.getState().loading).toBe('ct.nii.gz');
    s.clear();
    expect(useCaseStore.getState()).toMatchObject({ image: null, label: null, source: null, loading: null });
  });
});
