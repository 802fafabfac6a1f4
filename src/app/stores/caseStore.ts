import { create } from 'zustand';

/** 'dicom': a DICOM series converted in the tab (also local). */
export type CaseSource = 'demo' | 'local' | 'dicom';

export interface LoadedFile {
  name: string;
  dims: [number, number, number];
  spacing: [number, number, number];
  datatype: string;
}

interface CaseState {
  source: CaseSource | null;
  image: LoadedFile | null;
  label: LoadedFile | null;
  /** Name of the file being read, so the UI can say what it is waiting for. */
  loading: string | null;
  setLoading: (name: string | null) => void;
  setImage: (image: LoadedFile, source: CaseSource) => void;
  setLabel: (label: LoadedFile | null) => void;
  clear: () => void;
}

const initial = { source: null, image: null, label: null, loading: null } as const;

export const useCaseStore = create<CaseState>()((set) => ({
  ...initial,
  setLoading: (loading) => set({ loading }),
  // A new image invalidates the old label map: it belonged to another scan.
  setImage: (image, source) => set({ image, source, label: null }),
  setLabel: (label) => set({ label }),
  clear: () => set({ ...initial }),
}));
