/** The prepare page: cases added so far and the study options. */
import { create } from 'zustand';
import type { Organ } from '../../core/labels.ts';
import type { SizeClass } from '../../core/tumor/sizeClasses.ts';
import { findCandidates, organsPresent } from './candidates.ts';
import { buildStudy, type PrepCase } from './prepare.ts';
import { useStudyStore } from './studyStore.ts';
import type { Study } from './types.ts';

export interface PrepCaseEntry {
  key: number;
  case: PrepCase;
  scheme: string;
  organs: Organ[];
  candidates: number;
}

export interface PrepOptionsForm {
  title: string;
  seed: number;
  realCount: number;
  syntheticCount: number;
  sizeClasses: SizeClass[];
  organs: Organ[];
  cropVoxels: number;
}

export const DEFAULT_PREP_OPTIONS: PrepOptionsForm = {
  title: 'Real or synthetic?',
  seed: 1,
  realCount: 3,
  syntheticCount: 3,
  sizeClasses: ['small', 'medium'],
  organs: ['liver', 'pancreas', 'kidney'],
  cropVoxels: 64,
};

interface PrepareState {
  cases: PrepCaseEntry[];
  options: PrepOptionsForm;
  building: boolean;
  progress: { done: number; total: number } | null;
  error: string | null;
  addCase: (c: PrepCase & { scheme: string }) => void;
  removeCase: (key: number) => void;
  setProvenance: (key: number, p: PrepCase['tumourProvenance']) => void;
  setOptions: (o: Partial<PrepOptionsForm>) => void;
  build: (id?: string) => Promise<Study>;
  setError: (e: string | null) => void;
  reset: () => void;
}

let nextKey = 1;

export function newStudyId(at = new Date()): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return `rs-${stamp}-${r[0].toString(16).padStart(8, '0')}`;
}

const initial = { cases: [] as PrepCaseEntry[], options: DEFAULT_PREP_OPTIONS, building: false, progress: null, error: null };

export const usePrepareStore = create<PrepareState>()((set, get) => ({
  ...initial,
  addCase: (c) => {
    const { scheme, ...prep } = c;
    set({
      cases: [...get().cases, { key: nextKey++, case: prep, scheme, organs: organsPresent(prep.label), candidates: findCandidates(prep.label).length }],
      error: null,
    });
  },
  removeCase: (key) => set({ cases: get().cases.filter((c) => c.key !== key) }),
  setProvenance: (key, p) => set({ cases: get().cases.map((c) => (c.key === key ? { ...c, case: { ...c.case, tumourProvenance: p } } : c)) }),
  setOptions: (o) => set({ options: { ...get().options, ...o } }),
  build: async (id = newStudyId()) => {
    const { cases, options } = get();
    set({ building: true, error: null, progress: null });
    try {
      const study = await buildStudy(
        cases.map((c) => c.case),
        {
          ...options,
          id,
          // Yield to the browser between items so the progress shows.
          onProgress: (done, total) => {
            set({ progress: { done, total } });
            return new Promise((r) => setTimeout(r, 0));
          },
        },
      );
      await useStudyStore.getState().setStudy(study);
      return study;
    } catch (err) {
      set({ error: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      set({ building: false });
    }
  },
  setError: (error) => set({ error }),
  reset: () => set({ ...initial }),
}));
