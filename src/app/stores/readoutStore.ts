import { create } from 'zustand';

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
  setReadout: (r: Readout | null) => void;
  clear: () => void;
}

export const useReadoutStore = create<ReadoutState>()((set) => ({
  readout: null,
  setReadout: (readout) => set({ readout }),
  clear: () => set({ readout: null }),
}));
