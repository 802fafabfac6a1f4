import { create } from 'zustand';
import type { ProjectLabelName } from '../../core/labels.ts';
import type { SchemeId } from '../viewer/labelScheme.ts';

export interface LabelEntry {
  key: ProjectLabelName;
  name: string;
  color: [number, number, number];
  voxels: number;
  /** Source names merged into this entry, e.g. ["kidney_right", "kidney_left"]. */
  sources: string[];
  visible: boolean;
  opacity: number;
}

interface LabelState {
  scheme: SchemeId | null;
  labels: LabelEntry[];
  setLabels: (scheme: SchemeId, labels: LabelEntry[]) => void;
  setVisibility: (key: ProjectLabelName, visible: boolean) => void;
  setOpacity: (key: ProjectLabelName, opacity: number) => void;
  clear: () => void;
}

export const DEFAULT_LABEL_OPACITY = 0.6;

function patch(labels: LabelEntry[], key: ProjectLabelName, change: Partial<LabelEntry>): LabelEntry[] {
  return labels.map((l) => (l.key === key ? { ...l, ...change } : l));
}

export const useLabelStore = create<LabelState>()((set) => ({
  scheme: null,
  labels: [],
  setLabels: (scheme, labels) => set({ scheme, labels }),
  setVisibility: (key, visible) => set((s) => ({ labels: patch(s.labels, key, { visible }) })),
  setOpacity: (key, opacity) =>
    set((s) => ({ labels: patch(s.labels, key, { opacity: Math.min(1, Math.max(0, opacity)) }) })),
  clear: () => set({ scheme: null, labels: [] }),
}));
