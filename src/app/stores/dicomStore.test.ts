import { beforeEach, describe, expect, it } from 'vitest';
import { dicomHoldsKeyboard, useDicomStore, type DicomSource } from './dicomStore.ts';

const source = { series: { seriesInstanceUID: '1.2.3' }, grid: { dims: [2, 2, 2], affine: [] }, imageName: 'ct.nii.gz' } as unknown as DicomSource;

describe('dicomStore', () => {
  beforeEach(() => useDicomStore.getState().reset());

  it('starts with no source, identifiers not kept, no dialog', () => {
    const s = useDicomStore.getState();
    expect([s.source, s.keepIdentifiers, s.progress, s.chooser, s.mapping]).toEqual([null, false, null, null, null]);
    expect(dicomHoldsKeyboard()).toBe(false);
  });

  it('holds the source until cleared; reset forgets the identifier choice too', () => {
    const s = useDicomStore.getState();
    s.setSource(source);
    s.setKeepIdentifiers(true);
    expect(useDicomStore.getState().source?.imageName).toBe('ct.nii.gz');
    s.clearSource();
    expect(useDicomStore.getState()).toMatchObject({ source: null, keepIdentifiers: true });
    s.reset();
    expect(useDicomStore.getState().keepIdentifiers).toBe(false);
  });

  it('a chooser or mapping dialog holds the keyboard', () => {
    useDicomStore.getState().setChooser({ series: [], skipped: [] });
    expect(dicomHoldsKeyboard()).toBe(true);
    useDicomStore.getState().setChooser(null);
    useDicomStore.getState().setMapping({ file: 'seg.dcm', segments: [] });
    expect(dicomHoldsKeyboard()).toBe(true);
    useDicomStore.getState().setMapping(null);
    expect(dicomHoldsKeyboard()).toBe(false);
  });
});
