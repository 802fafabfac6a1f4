import type { ProjectLabelName } from '../../core/labels.ts';
import { WINDOW_PRESETS, type WindowPresetId } from '../viewer/windowPresets.ts';
import { LAYOUT_NAMES, type Layout } from '../stores/viewStore.ts';
import { useCaseStore } from '../stores/caseStore.ts';
import { useLabelStore } from '../stores/labelStore.ts';
import { useUiStore } from '../stores/uiStore.ts';
import { stepLesion, useLesionStore } from '../stores/lesionStore.ts';
import { useReadoutStore } from '../stores/readoutStore.ts';
import { ActionRegistry, type Action } from './registry.ts';

/** The slice of the viewer controller actions need; a fake in tests. */
export interface ViewerApi {
  setWindowPreset(id: WindowPresetId): void;
  setLayout(layout: Layout): void;
  setLabelVisibility(key: ProjectLabelName, visible: boolean): void;
  toggleAllLabels(): void;
  adjustAllOpacity(delta: number): void;
  moveSlice(delta: number): void;
  resetView(): void;
  goToLabel(key: ProjectLabelName): boolean;
  goToLesion(index: number): boolean;
  toggleLabelDisplay(): void;
}

export interface AppActionDeps {
  viewer: ViewerApi;
  pickImage: () => void;
  pickLabels: () => void;
  pickDicomFolder: () => void;
  pickDicomFiles: () => void;
  loadDemo: () => void;
}

const LAYOUT_KEYS: Record<Layout, string> = { multiplanar: 'M', axial: 'A', coronal: 'C', sagittal: 'S', render: 'R' };

/** Legend slots: Shift+1.. toggles the n-th label in the legend, whatever the scheme. */
export const LABEL_SLOTS = 6;

const hasImage = () => useCaseStore.getState().image !== null;
const hasLabels = () => useLabelStore.getState().labels.length > 0;

export function createAppActions({ viewer, pickImage, pickLabels, pickDicomFolder, pickDicomFiles, loadDemo }: AppActionDeps): Action[] {
  const ui = () => useUiStore.getState();
  const actions: Action[] = [
    { id: 'file.openImage', label: 'Open image…', group: 'File', shortcut: 'O', perform: pickImage },
    { id: 'file.openLabels', label: 'Open label map…', group: 'File', shortcut: 'Shift+O', perform: pickLabels, enabled: hasImage },
    { id: 'file.openDicomFolder', label: 'Open DICOM series folder…', group: 'File', shortcut: 'F', perform: pickDicomFolder },
    { id: 'file.openDicomFiles', label: 'Open DICOM files (series, SEG)…', group: 'File', shortcut: 'Shift+F', perform: pickDicomFiles },
    { id: 'file.loadDemo', label: 'Load demo case', group: 'File', shortcut: 'D', perform: loadDemo },
    ...WINDOW_PRESETS.map<Action>((p, n) => ({
      id: `window.${p.id}`,
      label: `${p.name} window · ${p.description}`,
      group: 'Window',
      shortcut: String(n + 1),
      perform: () => viewer.setWindowPreset(p.id),
    })),
    ...(Object.keys(LAYOUT_NAMES) as Layout[]).map<Action>((layout) => ({
      id: `view.${layout}`,
      label: LAYOUT_NAMES[layout],
      group: 'View',
      shortcut: LAYOUT_KEYS[layout],
      perform: () => viewer.setLayout(layout),
    })),
    { id: 'view.reset', label: 'Reset zoom, pan and 3-D rotation', group: 'View', shortcut: '0', perform: () => viewer.resetView(), enabled: hasImage },
    { id: 'labels.toggleAll', label: 'Show / hide all labels', group: 'Labels', shortcut: 'L', perform: () => viewer.toggleAllLabels(), enabled: hasLabels },
    { id: 'labels.opacityUp', label: 'More opaque labels', group: 'Labels', shortcut: ']', perform: () => viewer.adjustAllOpacity(0.1), enabled: hasLabels },
    { id: 'labels.outline', label: 'Labels as outline / fill', group: 'Labels', shortcut: 'Shift+L', perform: () => viewer.toggleLabelDisplay(), enabled: hasLabels },
    { id: 'labels.opacityDown', label: 'More transparent labels', group: 'Labels', shortcut: '[', perform: () => viewer.adjustAllOpacity(-0.1), enabled: hasLabels },
    ...Array.from({ length: LABEL_SLOTS }, (_, n): Action => ({
      id: `labels.toggle${n + 1}`,
      label: `Show / hide label ${n + 1}`,
      group: 'Labels',
      shortcut: `Shift+${n + 1}`,
      perform: () => {
        const entry = useLabelStore.getState().labels[n];
        if (entry) viewer.setLabelVisibility(entry.key, !entry.visible);
      },
      currentLabel: () => {
        const entry = useLabelStore.getState().labels[n];
        return entry ? `Show / hide ${entry.name}` : null;
      },
      enabled: () => useLabelStore.getState().labels.length > n,
    })),
    { id: 'navigate.sliceUp', label: 'Next slice', group: 'Navigate', shortcut: 'ArrowUp', perform: () => viewer.moveSlice(1), enabled: hasImage },
    { id: 'navigate.sliceDown', label: 'Previous slice', group: 'Navigate', shortcut: 'ArrowDown', perform: () => viewer.moveSlice(-1), enabled: hasImage },
    { id: 'navigate.sliceUp10', label: '10 slices forward', group: 'Navigate', shortcut: 'PageUp', perform: () => viewer.moveSlice(10), enabled: hasImage },
    { id: 'navigate.sliceDown10', label: '10 slices back', group: 'Navigate', shortcut: 'PageDown', perform: () => viewer.moveSlice(-10), enabled: hasImage },
    {
      // J, not N: N steps through lesions, the findings a reader looks for; organs come second.
      id: 'navigate.nextLabel',
      label: 'Jump to next organ',
      group: 'Navigate',
      shortcut: 'J',
      perform: () => {
        const labels = useLabelStore.getState().labels;
        if (labels.length === 0) return;
        // Cycle from whatever organ the crosshair is in now.
        const here = useReadoutStore.getState().readout?.projectLabel;
        const at = labels.findIndex((l) => l.key === here);
        viewer.goToLabel(labels[(at + 1) % labels.length].key);
      },
      enabled: hasLabels,
    },
    ...([1, -1] as const).map<Action>((step) => ({
      id: step > 0 ? 'navigate.nextLesion' : 'navigate.previousLesion',
      label: step > 0 ? 'Next lesion' : 'Previous lesion',
      group: 'Navigate',
      shortcut: step > 0 ? 'N' : 'Shift+N',
      perform: () => {
        const s = useLesionStore.getState();
        const next = stepLesion(s.lesions, s.current, step);
        if (next && viewer.goToLesion(next.index)) s.setCurrent(next.index);
      },
      enabled: () => useLesionStore.getState().lesions.length > 0,
    })),
    { id: 'readout.frame', label: 'World coordinates in RAS / LPS', group: 'Navigate', shortcut: 'Shift+W', perform: () => useReadoutStore.getState().toggleFrame() },
    { id: 'navigate.goToVoxel', label: 'Go to voxel…', group: 'Navigate', shortcut: 'G', perform: () => ui().requestGoToFocus(), enabled: hasImage },
    { id: 'help.toggle', label: 'Keyboard shortcuts', group: 'Help', shortcut: '?', perform: () => ui().toggleOverlay('help') },
    { id: 'help.about', label: 'About, data & privacy', group: 'Help', shortcut: 'I', perform: () => ui().toggleOverlay('about') },
    { id: 'help.close', label: 'Close dialog', group: 'Help', shortcut: 'Escape', perform: () => ui().openOverlay(null), enabled: () => ui().overlay !== null },
  ];
  return actions;
}

export function createRegistry(deps: AppActionDeps): ActionRegistry {
  return new ActionRegistry().registerAll(createAppActions(deps));
}
