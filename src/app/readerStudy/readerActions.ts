/**
 * Reading keys as actions (id, label, shortcut, perform), in their own registry: they exist only
 * while the reading view is up, and the answer keys are the reader's choice. The view's key legend
 * is generated from this registry, so a key shown is a key that works.
 */
import { ActionRegistry, type Action } from '../actions/registry.ts';
import type { AnswerKeys } from './persistence.ts';
import type { Confidence, Truth } from './types.ts';

export interface ReaderHandlers {
  answer: (call: Truth) => void;
  confidence: (c: Confidence) => void;
  next: () => void;
  skip: () => void;
  back: () => void;
  toggleMarker: () => void;
  recentre: () => void;
  canAnswer: () => boolean;
  canNext: () => boolean;
}

export const CONFIDENCE_LABELS: Record<Confidence, string> = {
  1: 'guessing',
  2: 'unsure',
  3: 'fairly sure',
  4: 'sure',
  5: 'certain',
};

export function createReaderActions(keys: AnswerKeys, h: ReaderHandlers): Action[] {
  const conf = ([1, 2, 3, 4, 5] as Confidence[]).map<Action>((c) => ({
    id: `reader.confidence${c}`,
    label: `Confidence ${c} · ${CONFIDENCE_LABELS[c]}`,
    group: 'Study',
    shortcut: String(c),
    perform: () => h.confidence(c),
    enabled: h.canAnswer,
  }));
  return [
    { id: 'reader.real', label: 'Answer: Real', group: 'Study', shortcut: keys.real, perform: () => h.answer('real'), enabled: h.canAnswer },
    { id: 'reader.synthetic', label: 'Answer: Synthetic', group: 'Study', shortcut: keys.synthetic, perform: () => h.answer('synthetic'), enabled: h.canAnswer },
    ...conf,
    { id: 'reader.next', label: 'Next item (once answered)', group: 'Study', shortcut: 'Enter', perform: h.next, enabled: h.canNext },
    { id: 'reader.skip', label: 'Skip (leave unanswered for now)', group: 'Study', shortcut: 'ArrowRight', perform: h.skip, enabled: h.canAnswer },
    { id: 'reader.back', label: 'Back to the previous item', group: 'Study', shortcut: 'ArrowLeft', perform: h.back },
    { id: 'reader.marker', label: 'Show / hide the lesion marker', group: 'Study', shortcut: 'X', perform: h.toggleMarker },
    { id: 'reader.recentre', label: 'Re-centre on the lesion, reset window', group: 'Study', shortcut: 'Home', perform: h.recentre },
  ];
}

export function createReaderRegistry(keys: AnswerKeys, h: ReaderHandlers): ActionRegistry {
  return new ActionRegistry().registerAll(createReaderActions(keys, h));
}
