/**
 * Where studies, answers and reading sessions are kept. The browser uses IndexedDB
 * (indexedDb.ts); tests use the in-memory version here. Every answer is written as soon as it is
 * complete, keyed by study, reader and item, so a reload or a crashed tab loses nothing.
 */
import type { Answer, Study } from './types.ts';

export interface AnswerKeys {
  real: string;
  synthetic: string;
}

/** Where a reader is in a study, written on every move. */
export interface SessionRecord {
  studyId: string;
  readerId: string;
  /** 0-based index of the item on screen. */
  position: number;
  keys: AnswerKeys;
  /** Time on screen per item so far (ms), including items not answered yet. */
  elapsed: Record<string, number>;
  updatedAt: string;
}

export interface StudyListing {
  id: string;
  title: string;
  createdAt: string;
  items: number;
  hasKey: boolean;
}

export interface StudyPersistence {
  saveStudy(study: Study): Promise<void>;
  loadStudy(id: string): Promise<Study | null>;
  listStudies(): Promise<StudyListing[]>;
  /** The study with every answer and session of it (and the active session, if it was this study's). */
  deleteStudy(id: string): Promise<void>;
  saveAnswer(answer: Answer): Promise<void>;
  /** One reader's answers, or every reader's when readerId is omitted. */
  loadAnswers(studyId: string, readerId?: string): Promise<Answer[]>;
  saveSession(session: SessionRecord): Promise<void>;
  loadSession(studyId: string, readerId: string): Promise<SessionRecord | null>;
  /** The session to reopen after a reload (null once the reader has left it). */
  setActive(active: { studyId: string; readerId: string } | null): Promise<void>;
  getActive(): Promise<{ studyId: string; readerId: string } | null>;
}

export function listingOf(s: Study): StudyListing {
  return { id: s.id, title: s.title, createdAt: s.createdAt, items: s.items.length, hasKey: s.key !== null };
}

const answerKey = (a: { studyId: string; readerId: string; itemId: string }) => `${a.studyId}\u0000${a.readerId}\u0000${a.itemId}`;

/** The same contract in memory; structuredClone keeps callers from sharing objects with the store, as IndexedDB would. */
export class MemoryPersistence implements StudyPersistence {
  readonly studies = new Map<string, Study>();
  readonly answers = new Map<string, Answer>();
  readonly sessions = new Map<string, SessionRecord>();
  active: { studyId: string; readerId: string } | null = null;
  /** Count of answer writes, for tests. */
  writes = 0;

  async saveStudy(study: Study): Promise<void> {
    this.studies.set(study.id, structuredClone(study));
  }
  async loadStudy(id: string): Promise<Study | null> {
    const s = this.studies.get(id);
    return s ? structuredClone(s) : null;
  }
  async listStudies(): Promise<StudyListing[]> {
    return [...this.studies.values()].map(listingOf);
  }
  async deleteStudy(id: string): Promise<void> {
    this.studies.delete(id);
    for (const [k, a] of this.answers) if (a.studyId === id) this.answers.delete(k);
    for (const [k, s] of this.sessions) if (s.studyId === id) this.sessions.delete(k);
    if (this.active?.studyId === id) this.active = null;
  }
  async saveAnswer(answer: Answer): Promise<void> {
    this.writes++;
    this.answers.set(answerKey(answer), structuredClone(answer));
  }
  async loadAnswers(studyId: string, readerId?: string): Promise<Answer[]> {
    return [...this.answers.values()]
      .filter((a) => a.studyId === studyId && (readerId === undefined || a.readerId === readerId))
      .map((a) => structuredClone(a));
  }
  async saveSession(session: SessionRecord): Promise<void> {
    this.sessions.set(`${session.studyId}\u0000${session.readerId}`, structuredClone(session));
  }
  async loadSession(studyId: string, readerId: string): Promise<SessionRecord | null> {
    const s = this.sessions.get(`${studyId}\u0000${readerId}`);
    return s ? structuredClone(s) : null;
  }
  async setActive(active: { studyId: string; readerId: string } | null): Promise<void> {
    this.active = active ? { ...active } : null;
  }
  async getActive(): Promise<{ studyId: string; readerId: string } | null> {
    return this.active ? { ...this.active } : null;
  }
}
