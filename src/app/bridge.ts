import type { ViewerController } from './viewer/ViewerController.ts';
import { useCaseStore } from './stores/caseStore.ts';
import { useViewStore } from './stores/viewStore.ts';
import { useLabelStore } from './stores/labelStore.ts';
import { useReadoutStore } from './stores/readoutStore.ts';
import { useStatusStore } from './stores/statusStore.ts';
import { useDicomStore } from './stores/dicomStore.ts';
import { useLesionStore } from './stores/lesionStore.ts';

/** Mirror controller events into the stores React renders from. Returns the unsubscribe. */
export function bridgeViewerToStores(viewer: ViewerController): () => void {
  const offs = [
    viewer.events.on('loading', ({ name }) => useCaseStore.getState().setLoading(name)),
    viewer.events.on('imageLoaded', ({ file, source }) => {
      useCaseStore.getState().setImage(file, source);
      // The series' headers belong to the case they came with; a DICOM open sets them again after.
      useDicomStore.getState().clearSource();
      useLabelStore.getState().clear();
      useReadoutStore.getState().clear();
    }),
    viewer.events.on('labelsLoaded', (payload) => {
      if (!payload) {
        useCaseStore.getState().setLabel(null);
        useLabelStore.getState().clear();
        return;
      }
      useCaseStore.getState().setLabel(payload.file);
      useLabelStore.getState().setLabels(payload.scheme, payload.labels);
    }),
    viewer.events.on('windowChanged', ({ min, max, preset }) => useViewStore.getState().setWindow(min, max, preset)),
    viewer.events.on('layoutChanged', (layout) => useViewStore.getState().setLayout(layout)),
    viewer.events.on('labelStyleChanged', ({ key, visible, opacity }) => {
      const s = useLabelStore.getState();
      s.setVisibility(key, visible);
      s.setOpacity(key, opacity);
    }),
    viewer.events.on('location', (r) => useReadoutStore.getState().setReadout(r)),
    viewer.events.on('lesions', (m) => {
      const s = useLesionStore.getState();
      if ('computing' in m) s.computing();
      else if ('error' in m) s.fail(m.error);
      else s.setLesions(m.lesions);
    }),
    viewer.events.on('labelDisplayChanged', (style) => useLesionStore.getState().setLabelDisplay(style)),
    viewer.events.on('notice', ({ text }) => useStatusStore.getState().pushMessage('info', text)),
  ];
  return () => offs.forEach((off) => off());
}
