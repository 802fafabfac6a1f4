import { beforeEach, describe, expect, it } from 'vitest';
import { openLocalFiles } from './openLocalFiles.ts';
import type { ViewerController, VolumeSource } from '../viewer/ViewerController.ts';
import { useStatusStore } from '../stores/statusStore.ts';

function fakeViewer(hasImage: boolean, fail: string | null = null) {
  const calls: string[] = [];
  const viewer = {
    hasImage,
    loadCase: async (image: VolumeSource, label: VolumeSource | null) => {
      if (fail) throw new Error(fail);
      calls.push(`case:${image.name}+${label?.name ?? '-'}`);
    },
    loadLabels: async (label: VolumeSource) => {
      calls.push(`labels:${label.name}`);
    },
  } as unknown as ViewerController;
  return { viewer, calls };
}

const file = (name: string) => new File([new Uint8Array(4)], name);
const texts = () => useStatusStore.getState().messages.map((m) => `${m.level}:${m.text}`);

describe('openLocalFiles', () => {
  beforeEach(() => useStatusStore.getState().reset());

  it('sorts a drop into image and label map by name', async () => {
    const { viewer, calls } = fakeViewer(false);
    await openLocalFiles(viewer, [file('p1_seg.nii.gz'), file('p1.nii.gz')], 'auto');
    expect(calls).toEqual(['case:p1.nii.gz+p1_seg.nii.gz']);
    expect(texts()[0]).toMatch(/^info:Opened p1\.nii\.gz with p1_seg\.nii\.gz \(local, not uploaded\)/);
  });

  it('puts a lone dropped label map on the open image', async () => {
    const { viewer, calls } = fakeViewer(true);
    await openLocalFiles(viewer, [file('mask.nii')], 'auto');
    expect(calls).toEqual(['labels:mask.nii']);
  });

  it('names the file in every failure', async () => {
    const { viewer } = fakeViewer(false);
    await openLocalFiles(viewer, [file('notes.txt')], 'auto');
    await openLocalFiles(viewer, [file('seg.nii.gz')], 'label');
    const failing = fakeViewer(false, 'boom');
    await openLocalFiles(failing.viewer, [file('ct.nii')], 'image');
    expect(texts()).toEqual([
      'error:Could not open "notes.txt": only NIfTI files (.nii or .nii.gz) can be opened.',
      'error:Open an image before the label map "seg.nii.gz".',
      'error:Could not open "ct.nii": boom',
    ]);
  });
});
