/**
 * One reader working through one study. Every complete answer (call + confidence, plus any
 * comment) is written through the persistence layer the moment it changes; every move writes the
 * session record, so a reload resumes at the next unanswered item.
 */
import { create } from 'zustand';
import type { AnswerKeys, SessionRecord } from './persistence.ts';
import { DEFAULT_KEYS, getPersistence, keysProblem, nextUnanswered, now, readerIdProblem } from './session.ts';
import type { Answer, Confidence, Study, Truth } from './types.ts';

export interface Draft {
  call: Truth | null;
  confidence: Confidence | null;
  comment: string;
}

const EMPTY_DRAFT: Draft = { call: null, confidence: null, comment: '' };

export type SaveState = 'idle' | 'saving' | 'saved' | 'error';

interface ReaderSessionState {
  status: 'idle' | 'loading' | 'reading' | 'finished';
  studyId: string | null;
  readerId: string | null;
  itemIds: string[];
  /** 0-based index of the item on screen. */
  position: number;
  answers: Record<string, Answer>;
  draft: Draft;
  keys: AnswerKeys;
  /** ms on screen per item, not counting the current visit. */
  elapsed: Record<string, number>;
  shownAt: number | null;
  save: SaveState;
  error: string | null;
  /** True when begin() found earlier answers (a resumed session). */
  resumed: boolean;
  begin: (study: Pick<Study, 'id' | 'items'>, readerId: string) => Promise<void>;
  setCall: (call: Truth) => Promise<void>;
  setConfidence: (c: Confidence) => Promise<void>;
  setComment: (text: string) => Promise<void>;
  /** To the next item; only once this one is answered. At the end: first unanswered, or finished. */
  next: () => Promise<void>;
  /** To the next item without answering. */
  skip: () => Promise<void>;
  back: () => Promise<void>;
  goTo: (position: number) => Promise<void>;
  setKeys: (keys: AnswerKeys) => string | null;
  /** The tab was hidden: stop the item clock (bank the time so far). */
  pauseClock: () => void;
  /** The tab is visible again: restart the item clock. */
  resumeClock: () => void;
  /** Stop reading (answers stay stored); a reload will not reopen this session. */
  leave: () => Promise<void>;
  reset: () => void;
}

const initial = {
  status: 'idle' as const,
  studyId: null,
  readerId: null,
  itemIds: [] as string[],
  position: 0,
  answers: {} as Record<string, Answer>,
  draft: EMPTY_DRAFT,
  keys: DEFAULT_KEYS,
  elapsed: {} as Record<string, number>,
  shownAt: null,
  save: 'idle' as SaveState,
  error: null,
  resumed: false,
};

/** Writes go one after another, in the order they were asked for. */
let writes: Promise<unknown> = Promise.resolve();
function queue(job: () => Promise<void>): Promise<void> {
  const run = writes.then(job, job);
  writes = run.catch(() => undefined);
  return run;
}

export const useReaderSessionStore = create<ReaderSessionState>()((set, get) => {
  const currentId = () => get().itemIds[get().position];

  const timeOnCurrent = (): number => {
    const s = get();
    const id = currentId();
    return (s.elapsed[id] ?? 0) + (s.shownAt === null ? 0 : Math.max(0, now() - s.shownAt));
  };

  const sessionRecord = (): SessionRecord => {
    const s = get();
    return { studyId: s.studyId!, readerId: s.readerId!, position: s.position, keys: s.keys, elapsed: s.elapsed, updatedAt: new Date(now()).toISOString() };
  };

  const persist = (job: () => Promise<void>): Promise<void> => {
    set({ save: 'saving', error: null });
    return queue(job).then(
      () => set({ save: 'saved' }),
      (err: unknown) => set({ save: 'error', error: `Could not save: ${err instanceof Error ? err.message : String(err)}` }),
    );
  };

  /** Save the draft as the answer when it is complete. */
  const saveDraft = (): Promise<void> => {
    const s = get();
    const { call, confidence, comment } = s.draft;
    if (s.status !== 'reading' || call === null || confidence === null) return Promise.resolve();
    const itemId = currentId();
    const answer: Answer = {
      studyId: s.studyId!,
      readerId: s.readerId!,
      itemId,
      position: s.position + 1,
      call,
      confidence,
      comment,
      timeMs: Math.round(timeOnCurrent()),
      answeredAt: new Date(now()).toISOString(),
    };
    set({ answers: { ...s.answers, [itemId]: answer } });
    return persist(() => getPersistence().saveAnswer(answer));
  };

  /** Leave the current item for `position` (bank its time), write where we are. */
  const moveTo = (position: number, status: 'reading' | 'finished' = 'reading'): Promise<void> => {
    const s = get();
    if (s.status !== 'reading' && s.status !== 'finished') return Promise.resolve();
    const p = Math.max(0, Math.min(s.itemIds.length - 1, position));
    const elapsed = s.status === 'reading' ? { ...s.elapsed, [currentId()]: timeOnCurrent() } : s.elapsed;
    const id = s.itemIds[p];
    const a = s.answers[id];
    set({
      elapsed,
      position: p,
      status,
      shownAt: status === 'reading' ? now() : null,
      draft: a ? { call: a.call, confidence: a.confidence, comment: a.comment } : EMPTY_DRAFT,
    });
    return persist(() => getPersistence().saveSession(sessionRecord()));
  };

  return {
    ...initial,

    begin: async (study, readerId) => {
      const problem = readerIdProblem(readerId);
      if (problem) throw new Error(problem);
      const id = readerId.trim();
      set({ ...initial, keys: get().keys, status: 'loading', studyId: study.id, readerId: id, itemIds: study.items.map((i) => i.id) });
      const p = getPersistence();
      const [stored, session] = await Promise.all([p.loadAnswers(study.id, id), p.loadSession(study.id, id)]);
      const answers = Object.fromEntries(stored.map((a) => [a.itemId, a]));
      const itemIds = get().itemIds;
      const resumeAt = nextUnanswered(itemIds, (x) => x in answers, session?.position ?? 0);
      set({
        answers,
        keys: session?.keys ?? get().keys,
        elapsed: session?.elapsed ?? {},
        resumed: stored.length > 0,
        status: 'reading',
        position: resumeAt ?? itemIds.length - 1,
        shownAt: now(),
      });
      const a = answers[itemIds[get().position]];
      set({ draft: a ? { call: a.call, confidence: a.confidence, comment: a.comment } : EMPTY_DRAFT });
      if (resumeAt === null) set({ status: 'finished', shownAt: null });
      await p.setActive({ studyId: study.id, readerId: id });
      await persist(() => p.saveSession(sessionRecord()));
    },

    setCall: (call) => {
      if (get().status !== 'reading') return Promise.resolve();
      set({ draft: { ...get().draft, call } });
      return saveDraft();
    },
    setConfidence: (confidence) => {
      if (get().status !== 'reading') return Promise.resolve();
      set({ draft: { ...get().draft, confidence } });
      return saveDraft();
    },
    setComment: (comment) => {
      if (get().status !== 'reading') return Promise.resolve();
      set({ draft: { ...get().draft, comment } });
      return saveDraft();
    },

    next: async () => {
      const s = get();
      if (s.status !== 'reading' || !(currentId() in s.answers)) return;
      if (s.position < s.itemIds.length - 1) return moveTo(s.position + 1);
      const open = nextUnanswered(s.itemIds, (x) => x in s.answers, 0);
      return open === null ? moveTo(s.position, 'finished') : moveTo(open);
    },
    skip: async () => {
      const s = get();
      if (s.status !== 'reading') return;
      if (s.position < s.itemIds.length - 1) return moveTo(s.position + 1);
      const open = nextUnanswered(s.itemIds, (x) => x in s.answers && x !== currentId(), 0);
      return moveTo(open ?? 0);
    },
    back: async () => {
      const s = get();
      if (s.status === 'finished') return moveTo(s.itemIds.length - 1);
      if (s.status === 'reading' && s.position > 0) return moveTo(s.position - 1);
    },
    goTo: (position) => moveTo(position),

    setKeys: (keys) => {
      const k = { real: keys.real.toUpperCase(), synthetic: keys.synthetic.toUpperCase() };
      const problem = keysProblem(k);
      if (problem) return problem;
      set({ keys: k });
      if (get().studyId && get().readerId) void persist(() => getPersistence().saveSession(sessionRecord()));
      return null;
    },

    pauseClock: () => {
      const s = get();
      if (s.status !== 'reading' || s.shownAt === null) return;
      set({ elapsed: { ...s.elapsed, [currentId()]: timeOnCurrent() }, shownAt: null });
    },
    resumeClock: () => {
      const s = get();
      if (s.status === 'reading' && s.shownAt === null) set({ shownAt: now() });
    },

    leave: async () => {
      const s = get();
      if (s.status === 'reading') set({ elapsed: { ...s.elapsed, [currentId()]: timeOnCurrent() }, shownAt: null });
      if (s.studyId && s.readerId) {
        await persist(() => getPersistence().saveSession(sessionRecord()));
        await getPersistence().setActive(null);
      }
      set({ ...initial, keys: get().keys });
    },

    reset: () => set({ ...initial }),
  };
});

/** Answers in reading order. */
export function sessionAnswers(s: Pick<ReaderSessionState, 'itemIds' | 'answers'>): Answer[] {
  return s.itemIds.map((id) => s.answers[id]).filter((a): a is Answer => a !== undefined);
}
