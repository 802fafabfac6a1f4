import { create } from 'zustand';
import type { WorldFrame } from '../viewer/geometry.ts';

export interface Readout {
  mm: [number, number, number];
  voxel: [number, number, number];
  inside: boolean;
  /** Image value (HU for CT) after the header's scl_slope/scl_inter. */
  value: number | null;
  labelId: number | null;
  labelName: string | null;
  /** The project label the source id maps to, when it maps to one. */
  projectLabel: string | null;
}

interface ReadoutState {
  readout: Readout | null;
  /** The frame world positions are shown in; the readout itself is always RAS (NIfTI/niivue). */
  frame: WorldFrame;
  setReadout: (r: Readout | null) => void;
  setFrame: (frame: WorldFrame) => void;
  toggleFrame: () => void;
  clear: () => void;
}

export const useReadoutStore = create<ReadoutState>()((set) => ({
  readout: null,
  frame: 'RAS',
  setReadout: (readout) => set({ readout }),
  setFrame: (frame) => set({ frame }),
  toggleFrame: () => set((s) => ({ frame: s.frame === 'RAS' ? 'LPS' : 'RAS' })),
  clear: () => set({ readout: null }),
}));
