/**
 * The reader-study screen: which page is open and which study is loaded. The study layer covers
 * the workbench while open; readers never see the case panel, labels or file names.
 */
import { create } from 'zustand';
import type { StudyListing } from './persistence.ts';
import { getPersistence } from './session.ts';
import { parseStudy } from './studyFile.ts';
import type { Study } from './types.ts';

export type StudyMode = 'closed' | 'home' | 'prepare' | 'read' | 'results';

interface StudyState {
  mode: StudyMode;
  study: Study | null;
  library: StudyListing[];
  error: string | null;
  open: () => void;
  close: () => void;
  setMode: (mode: StudyMode) => void;
  /** Make `study` the current one and keep it (IndexedDB) so reading can resume after a reload. */
  setStudy: (study: Study) => Promise<void>;
  importStudyText: (text: string) => Promise<Study>;
  loadStudy: (id: string) => Promise<Study | null>;
  refreshLibrary: () => Promise<void>;
  /** Remove a study from this browser with its answers and sessions; the current study is unloaded if it was this one. */
  deleteStudy: (id: string) => Promise<void>;
  setError: (error: string | null) => void;
  reset: () => void;
}

const initial = { mode: 'closed' as StudyMode, study: null, library: [] as StudyListing[], error: null };

export const useStudyStore = create<StudyState>()((set, get) => ({
  ...initial,
  open: () => set({ mode: get().mode === 'closed' ? 'home' : get().mode }),
  close: () => set({ mode: 'closed', error: null }),
  setMode: (mode) => set({ mode, error: null }),
  setStudy: async (study) => {
    set({ study, error: null });
    await getPersistence().saveStudy(study);
    await get().refreshLibrary();
  },
  importStudyText: async (text) => {
    const study = parseStudy(text);
    // A reader package must not overwrite the researcher's keyed copy of the same study.
    const existing = await getPersistence().loadStudy(study.id);
    const keep = existing?.key && !study.key ? { ...study, key: existing.key } : study;
    await get().setStudy(keep);
    return keep;
  },
  loadStudy: async (id) => {
    const study = await getPersistence().loadStudy(id);
    if (study) set({ study });
    return study;
  },
  // Newest first: studies are told apart by when they were made.
  refreshLibrary: async () => set({ library: (await getPersistence().listStudies()).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id)) }),
  deleteStudy: async (id) => {
    await getPersistence().deleteStudy(id);
    if (get().study?.id === id) set({ study: null });
    await get().refreshLibrary();
  },
  setError: (error) => set({ error }),
  reset: () => set({ ...initial }),
}));

/** While the study layer is open it owns the keyboard (the workbench's shortcuts step aside). */
export function studyHoldsKeyboard(): boolean {
  return useStudyStore.getState().mode !== 'closed';
}

export function openReaderStudy(): void {
  useStudyStore.getState().open();
}
