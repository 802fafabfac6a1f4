/** Answers gathered for results: this browser's readers plus imported answer files. */
import { create } from 'zustand';
import { getPersistence } from './session.ts';
import { parseAnswersFile } from './studyFile.ts';
import type { Answer } from './types.ts';

export interface AnswerSource {
  readerId: string;
  source: string;
  count: number;
}

interface ResultsState {
  studyId: string | null;
  answers: Answer[];
  sources: AnswerSource[];
  error: string | null;
  /** This browser's stored answers for the study (every reader). */
  loadLocal: (studyId: string) => Promise<void>;
  /** Add a reader's answers file; a reader already present is replaced by the file. */
  importAnswers: (text: string, name: string) => void;
  reset: () => void;
}

const initial = { studyId: null, answers: [] as Answer[], sources: [] as AnswerSource[], error: null };

export const useResultsStore = create<ResultsState>()((set, get) => ({
  ...initial,
  loadLocal: async (studyId) => {
    const local = await getPersistence().loadAnswers(studyId);
    const readers = [...new Set(local.map((a) => a.readerId))].sort();
    set({
      studyId,
      answers: local,
      sources: readers.map((r) => ({ readerId: r, source: 'this browser', count: local.filter((a) => a.readerId === r).length })),
      error: null,
    });
  },
  importAnswers: (text, name) => {
    const s = get();
    try {
      const file = parseAnswersFile(text, name);
      if (s.studyId && file.studyId !== s.studyId) throw new Error(`${name} belongs to study ${file.studyId}, not ${s.studyId}`);
      set({
        studyId: file.studyId,
        answers: [...s.answers.filter((a) => a.readerId !== file.readerId), ...file.answers],
        sources: [...s.sources.filter((x) => x.readerId !== file.readerId), { readerId: file.readerId, source: name, count: file.answers.length }],
        error: null,
      });
    } catch (err) {
      set({ error: err instanceof Error ? err.message : String(err) });
    }
  },
  reset: () => set({ ...initial }),
}));
