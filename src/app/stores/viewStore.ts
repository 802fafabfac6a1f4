import { create } from 'zustand';
import { DEFAULT_WINDOW, windowPreset, type WindowPresetId } from '../viewer/windowPresets.ts';

export type Layout = 'multiplanar' | 'axial' | 'coronal' | 'sagittal' | 'render';

export const LAYOUT_NAMES: Record<Layout, string> = {
  multiplanar: 'Multiplanar + 3-D',
  axial: 'Axial',
  coronal: 'Coronal',
  sagittal: 'Sagittal',
  render: '3-D render',
};

interface ViewState {
  /** null once the user drags a custom window in the viewer. */
  preset: WindowPresetId | null;
  windowMin: number;
  windowMax: number;
  layout: Layout;
  setWindow: (min: number, max: number, preset: WindowPresetId | null) => void;
  setLayout: (layout: Layout) => void;
  reset: () => void;
}

function initial() {
  const p = windowPreset(DEFAULT_WINDOW);
  return { preset: p.id, windowMin: p.min, windowMax: p.max, layout: 'multiplanar' as Layout };
}

export const useViewStore = create<ViewState>()((set) => ({
  ...initial(),
  setWindow: (windowMin, windowMax, preset) => set({ windowMin, windowMax, preset }),
  setLayout: (layout) => set({ layout }),
  reset: () => set(initial()),
}));
