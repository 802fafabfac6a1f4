import type { ViewerController } from './viewer/ViewerController.ts';
import { useCaseStore } from './stores/caseStore.ts';
import { useViewStore } from './stores/viewStore.ts';
import { useLabelStore } from './stores/labelStore.ts';
import { useReadoutStore } from './stores/readoutStore.ts';
import { useStatusStore } from './stores/statusStore.ts';

/** Mirror controller events into the stores React renders from. Returns the unsubscribe. */
export function bridgeViewerToStores(viewer: ViewerController): () => void {
  const offs = [
    viewer.events.on('loading', ({ name }) => useCaseStore.getState().setLoading(name)),
    viewer.events.on('imageLoaded', ({ file, source }) => {
      useCaseStore.getState().setImage(file, source);
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
    viewer.events.on('notice', ({ text }) => useStatusStore.getState().pushMessage('info', text)),
  ];
  return () => offs.forEach((off) => off());
}
