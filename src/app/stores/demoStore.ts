import { create } from 'zustand';
import type { DemoKind } from '../demoCase.ts';

interface DemoState {
  /** The demo last opened (the case on screen when caseStore.source is 'demo'). */
  kind: DemoKind | null;
  description: string;
  /** The TotalSegmentator sample's download. */
  sample: 'idle' | 'downloading' | 'failed';
  sampleError: string | null;
  setLoaded: (kind: DemoKind, description: string) => void;
  setSample: (sample: DemoState['sample'], error?: string | null) => void;
}

export const useDemoStore = create<DemoState>()((set) => ({
  kind: null,
  description: '',
  sample: 'idle',
  sampleError: null,
  setLoaded: (kind, description) => set({ kind, description }),
  setSample: (sample, error = null) => set({ sample, sampleError: error }),
}));
