/**
 * The checkpoint library on IndexedDB (browser only; the e2e proves it across a reload). Two
 * object stores: `entries` (metadata, listed without touching the bytes) and `files` (the bytes,
 * keyed by the same id). Save, rename and delete are each one readwrite transaction over both
 * stores, so a failed write (a full disk, a closed tab) leaves nothing half-saved.
 */
import {
  CheckpointStoreError,
  describeStorageError,
  missing,
  newestFirst,
  prepareEntry,
  quotaError,
  verifyStored,
  type CheckpointEntry,
  type CheckpointLibrary,
  type SaveResult,
} from './library.ts';
import { idbDone as done, idbRequest as request } from '../idb.ts';

export const CHECKPOINT_DB = 'freetumor-checkpoints';
const DB_VERSION = 1;

export class IndexedDbCheckpointLibrary implements CheckpointLibrary {
  private db: Promise<IDBDatabase> | null = null;

  constructor(private readonly name = CHECKPOINT_DB) {}

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') return reject(new CheckpointStoreError('unavailable', 'This browser has no IndexedDB: checkpoints cannot be saved in it (download them instead)'));
      const req = indexedDB.open(this.name, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        const entries = db.createObjectStore('entries', { keyPath: 'id' });
        entries.createIndex('bySha', 'sha256');
        db.createObjectStore('files');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(new CheckpointStoreError('unavailable', `Browser storage could not open: ${req.error?.message ?? 'unknown error'}`));
      req.onblocked = () => reject(new CheckpointStoreError('unavailable', 'Browser storage is blocked by another tab holding an older version; close it and retry'));
    }).catch((e: unknown) => {
      this.db = null;
      throw e;
    });
    return this.db;
  }

  async save(bytes: Uint8Array, opts: { name: string; source: string }): Promise<SaveResult> {
    const entry = await prepareEntry(bytes, opts);
    // An early, clear refusal when the origin's quota visibly cannot hold the file.
    const est = await navigator.storage?.estimate?.().catch(() => null);
    if (est?.quota !== undefined && est.usage !== undefined && est.quota - est.usage < bytes.length) {
      throw quotaError(entry.name, bytes.length, `${((est.quota - est.usage) / 1e6).toFixed(1)} MB free for this site`);
    }
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    try {
      const db = await this.open();
      const tx = db.transaction(['entries', 'files'], 'readwrite', { durability: 'strict' });
      const finished = done(tx);
      const entries = tx.objectStore('entries');
      let result: SaveResult = { entry, existed: false };
      // Look for the same bytes and write inside the one transaction: no half-saved entry, no duplicate.
      const same = entries.index('bySha').get(entry.sha256);
      same.onsuccess = () => {
        const prev = same.result as CheckpointEntry | undefined;
        if (prev) {
          result = { entry: prev, existed: true };
          return;
        }
        tx.objectStore('files').put(copy, entry.id);
        entries.put(entry);
      };
      await finished;
      return result;
    } catch (err) {
      throw describeStorageError(err, 'save', entry.name, bytes.length);
    }
  }

  async list(): Promise<CheckpointEntry[]> {
    try {
      const db = await this.open();
      const all = (await request(db.transaction('entries', 'readonly').objectStore('entries').getAll())) as CheckpointEntry[];
      return all.sort(newestFirst);
    } catch (err) {
      throw describeStorageError(err, 'list', 'library');
    }
  }

  async load(id: string): Promise<{ entry: CheckpointEntry; bytes: Uint8Array }> {
    let entry: CheckpointEntry | undefined;
    let stored: unknown;
    try {
      const db = await this.open();
      const tx = db.transaction(['entries', 'files'], 'readonly');
      [entry, stored] = await Promise.all([request(tx.objectStore('entries').get(id)) as Promise<CheckpointEntry | undefined>, request(tx.objectStore('files').get(id))]);
    } catch (err) {
      throw describeStorageError(err, 'read', entry?.name ?? id);
    }
    if (!entry) throw missing(id);
    return { entry, bytes: await verifyStored(entry, stored as Uint8Array | undefined) };
  }

  async rename(id: string, name: string): Promise<CheckpointEntry> {
    const db = await this.open();
    const tx = db.transaction('entries', 'readwrite', { durability: 'strict' });
    const finished = done(tx);
    const store = tx.objectStore('entries');
    let out: CheckpointEntry | null = null;
    const get = store.get(id);
    get.onsuccess = () => {
      const e = get.result as CheckpointEntry | undefined;
      if (!e || !name.trim()) return;
      out = { ...e, name: name.trim() };
      store.put(out);
    };
    try {
      await finished;
    } catch (err) {
      throw describeStorageError(err, 'rename', id);
    }
    if (!name.trim()) throw new CheckpointStoreError('invalid', 'A checkpoint needs a name');
    if (!out) throw missing(id);
    return out;
  }

  async delete(id: string): Promise<void> {
    try {
      const db = await this.open();
      const tx = db.transaction(['entries', 'files'], 'readwrite', { durability: 'strict' });
      const finished = done(tx);
      tx.objectStore('entries').delete(id);
      tx.objectStore('files').delete(id);
      await finished;
    } catch (err) {
      throw describeStorageError(err, 'delete', id);
    }
  }
}
