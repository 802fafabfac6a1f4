import { useDemoStore } from '../stores/demoStore.ts';
import type { Action } from './registry.ts';

/** The sample download, an action like any other (menu, help overlay, the button in the case panel). */
export function createDemoActions(openSample: () => void): Action[] {
  return [
    {
      id: 'file.openTotalSegmentatorSample',
      label: 'Open the TotalSegmentator sample (downloads 2.3 MB from GitHub, checked by SHA-256)',
      group: 'File',
      perform: openSample,
      enabled: () => useDemoStore.getState().sample !== 'downloading',
    },
  ];
}
