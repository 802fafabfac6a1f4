/** StudyPersistence on IndexedDB (browser only; proven by the e2e's reload, not by unit tests). */
import { listingOf, type SessionRecord, type StudyListing, type StudyPersistence } from './persistence.ts';
import type { Answer, Study } from './types.ts';
import { idbDone as done, idbRequest as request } from '../idb.ts';

const DB_NAME = 'freetumor-reader-study';
const DB_VERSION = 1;

export class IndexedDbPersistence implements StudyPersistence {
  private db: Promise<IDBDatabase> | null = null;

  constructor(private readonly name = DB_NAME) {}

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(this.name, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('studies', { keyPath: 'id' });
        const answers = db.createObjectStore('answers', { keyPath: ['studyId', 'readerId', 'itemId'] });
        answers.createIndex('byStudy', 'studyId');
        db.createObjectStore('sessions', { keyPath: ['studyId', 'readerId'] });
        db.createObjectStore('meta');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of an older version'));
    });
    return this.db;
  }

  private async write(store: string, put: (s: IDBObjectStore) => void): Promise<void> {
    const db = await this.open();
    // 'strict' durability: the write is on disk when the promise resolves, so a crash right
    // after an answer keeps it.
    const tx = db.transaction(store, 'readwrite', { durability: 'strict' });
    put(tx.objectStore(store));
    await done(tx);
  }

  private async read<T>(store: string, get: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return request(get(db.transaction(store, 'readonly').objectStore(store)));
  }

  saveStudy(study: Study): Promise<void> {
    return this.write('studies', (s) => s.put(study));
  }
  async loadStudy(id: string): Promise<Study | null> {
    return ((await this.read('studies', (s) => s.get(id))) as Study | undefined) ?? null;
  }
  async listStudies(): Promise<StudyListing[]> {
    return ((await this.read('studies', (s) => s.getAll())) as Study[]).map(listingOf);
  }
  async deleteStudy(id: string): Promise<void> {
    const db = await this.open();
    // One transaction: a study never survives without its answers or the other way round.
    const tx = db.transaction(['studies', 'answers', 'sessions', 'meta'], 'readwrite', { durability: 'strict' });
    tx.objectStore('studies').delete(id);
    const answers = tx.objectStore('answers');
    const keys = await request(answers.index('byStudy').getAllKeys(id));
    for (const k of keys) answers.delete(k);
    // Sessions are keyed [studyId, readerId]: every reader of this study lies in one key range.
    tx.objectStore('sessions').delete(IDBKeyRange.bound([id], [id, []]));
    const meta = tx.objectStore('meta');
    const active = (await request(meta.get('active'))) as { studyId: string } | undefined;
    if (active?.studyId === id) meta.delete('active');
    await done(tx);
  }
  saveAnswer(answer: Answer): Promise<void> {
    return this.write('answers', (s) => s.put(answer));
  }
  async loadAnswers(studyId: string, readerId?: string): Promise<Answer[]> {
    const all = (await this.read('answers', (s) => s.index('byStudy').getAll(studyId))) as Answer[];
    return readerId === undefined ? all : all.filter((a) => a.readerId === readerId);
  }
  saveSession(session: SessionRecord): Promise<void> {
    return this.write('sessions', (s) => s.put(session));
  }
  async loadSession(studyId: string, readerId: string): Promise<SessionRecord | null> {
    return ((await this.read('sessions', (s) => s.get([studyId, readerId]))) as SessionRecord | undefined) ?? null;
  }
  setActive(active: { studyId: string; readerId: string } | null): Promise<void> {
    return this.write('meta', (s) => (active ? s.put(active, 'active') : s.delete('active')));
  }
  async getActive(): Promise<{ studyId: string; readerId: string } | null> {
    return ((await this.read('meta', (s) => s.get('active'))) as { studyId: string; readerId: string } | undefined) ?? null;
  }
}
