import { useDicomStore, type ChooserState, type MappingState } from '../stores/dicomStore.ts';

/** How the DICOM opener asks the user: the dialogs in the app, fixed answers in tests. */
export interface DicomQuestions {
  /** Which series of a drop to open; null = none (cancelled). */
  chooseSeries(chooser: ChooserState): Promise<string | null>;
  /** Segment number → project label id for the segments to load; null = cancelled. */
  mapSegments(mapping: MappingState): Promise<[number, number][] | null>;
}

let seriesAnswer: ((uid: string | null) => void) | null = null;
let mappingAnswer: ((mapping: [number, number][] | null) => void) | null = null;

/** The store-driven dialogs (DicomDialogs.tsx renders them and calls the answer functions below). */
export const dialogQuestions: DicomQuestions = {
  chooseSeries: (chooser) => {
    // A question still open is answered "cancel": only one dialog at a time.
    answerSeries(null);
    useDicomStore.getState().setChooser(chooser);
    return new Promise((resolve) => (seriesAnswer = resolve));
  },
  mapSegments: (mapping) => {
    answerMapping(null);
    useDicomStore.getState().setMapping(mapping);
    return new Promise((resolve) => (mappingAnswer = resolve));
  },
};

export function answerSeries(uid: string | null): void {
  const answer = seriesAnswer;
  seriesAnswer = null;
  useDicomStore.getState().setChooser(null);
  answer?.(uid);
}

export function answerMapping(mapping: [number, number][] | null): void {
  const answer = mappingAnswer;
  mappingAnswer = null;
  useDicomStore.getState().setMapping(null);
  answer?.(mapping);
}
