import { beforeEach, describe, expect, it } from 'vitest';
import { bridgeViewerToStores } from './bridge.ts';
import { Emitter } from './viewer/emitter.ts';
import type { ViewerController, ViewerEvents } from './viewer/ViewerController.ts';
import { useCaseStore } from './stores/caseStore.ts';
import { useLabelStore } from './stores/labelStore.ts';
import { useReadoutStore } from './stores/readoutStore.ts';
import { useStatusStore } from './stores/statusStore.ts';
import { useViewStore } from './stores/viewStore.ts';
import { useDicomStore, type DicomSource } from './stores/dicomStore.ts';

// The bridge only listens to `events`, so an emitter stands in for the niivue-backed controller.
function fakeController() {
  const events = new Emitter<ViewerEvents>();
  return { events, viewer: { events } as unknown as ViewerController };
}

const file = { name: 'ct.nii.gz', dims: [2, 2, 2] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], datatype: 'int16' };

describe('bridgeViewerToStores', () => {
  beforeEach(() => {
    useCaseStore.getState().clear();
    useLabelStore.getState().clear();
    useReadoutStore.getState().clear();
    useStatusStore.getState().reset();
    useViewStore.getState().reset();
    useDicomStore.getState().reset();
  });

  it('mirrors controller events into the stores, and stops when detached', () => {
    const { events, viewer } = fakeController();
    const off = bridgeViewerToStores(viewer);
    events.emit('loading', { name: 'ct.nii.gz' });
    expect(useCaseStore.getState().loading).toBe('ct.nii.gz');
    events.emit('imageLoaded', { file, source: 'local' });
    events.emit('labelsLoaded', {
      file: { ...file, name: 'seg.nii.gz' },
      scheme: 'totalsegmentator',
      labels: [{ key: 'liver', name: 'Liver', color: [1, 2, 3], voxels: 4, sources: ['liver'], visible: true, opacity: 0.6 }],
    });
    events.emit('labelStyleChanged', { key: 'liver', visible: false, opacity: 0.3 });
    events.emit('windowChanged', { min: 15, max: 165, preset: 'liver' });
    events.emit('layoutChanged', 'axial');
    events.emit('notice', { text: 'hello' });
    expect(useCaseStore.getState()).toMatchObject({ image: { name: 'ct.nii.gz' }, label: { name: 'seg.nii.gz' }, source: 'local' });
    expect(useLabelStore.getState().labels[0]).toMatchObject({ visible: false, opacity: 0.3 });
    expect(useViewStore.getState()).toMatchObject({ preset: 'liver', windowMin: 15, layout: 'axial' });
    expect(useStatusStore.getState().messages.map((m) => m.text)).toEqual(['hello']);

    // A new image without labels clears the legend, the old readout and the old DICOM source.
    useDicomStore.getState().setSource({ imageName: 'ct.nii.gz' } as DicomSource);
    useReadoutStore.getState().setReadout({ mm: [0, 0, 0], voxel: [0, 0, 0], inside: true, value: 1, labelId: 5, labelName: 'liver', projectLabel: 'liver' });
    events.emit('imageLoaded', { file: { ...file, name: 'b.nii' }, source: 'local' });
    events.emit('labelsLoaded', null);
    expect(useLabelStore.getState().labels).toEqual([]);
    expect(useCaseStore.getState().label).toBeNull();
    expect(useReadoutStore.getState().readout).toBeNull();
    expect(useDicomStore.getState().source).toBeNull();

    off();
    events.emit('layoutChanged', 'render');
    expect(useViewStore.getState().layout).toBe('axial');
  });
});
