/**
 * The checkpoint library's state (one store for this concern): the saved entries, what is
 * running, the last error and notice. The storage is set once (IndexedDB in the page, memory in
 * tests) with setCheckpointLibrary; every action goes through it and refreshes the list.
 */
import { create } from 'zustand';
import type { CheckpointEntry, CheckpointLibrary, SaveResult } from './library.ts';

let library: CheckpointLibrary | null = null;

export function setCheckpointLibrary(l: CheckpointLibrary | null): void {
  library = l;
}

export function getCheckpointLibrary(): CheckpointLibrary | null {
  return library;
}

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type LibraryStatus = 'idle' | 'loading' | 'ready' | 'failed';

interface CheckpointState {
  status: LibraryStatus;
  entries: CheckpointEntry[];
  /** What is running: 'save', or an entry id being loaded / renamed / deleted. */
  busy: string | null;
  error: string | null;
  notice: string | null;
  refresh: () => Promise<void>;
  save: (bytes: Uint8Array, opts: { name: string; source: string }) => Promise<SaveResult | null>;
  /** The verified bytes of an entry (null and `error` set when it cannot be read). */
  load: (id: string) => Promise<{ entry: CheckpointEntry; bytes: Uint8Array } | null>;
  rename: (id: string, name: string) => Promise<boolean>;
  remove: (id: string) => Promise<boolean>;
  setError: (e: string | null) => void;
  setNotice: (n: string | null) => void;
  reset: () => void;
}

const initial = {
  status: 'idle' as LibraryStatus,
  entries: [] as CheckpointEntry[],
  busy: null as string | null,
  error: null as string | null,
  notice: null as string | null,
};

export const useCheckpointStore = create<CheckpointState>()((set, get) => {
  const lib = (): CheckpointLibrary => {
    if (!library) throw new Error('No checkpoint storage in this page');
    return library;
  };
  /** Run one library operation: busy while it runs, its error in `error`, the list refreshed after. */
  async function op<T>(busy: string, run: (l: CheckpointLibrary) => Promise<T>): Promise<T | null> {
    set({ busy, error: null, notice: null });
    try {
      return await run(lib());
    } catch (err) {
      set({ error: text(err) });
      return null;
    } finally {
      set({ busy: null });
      await get().refresh();
    }
  }
  return {
    ...initial,
    refresh: async () => {
      if (!library) return;
      if (get().status === 'idle') set({ status: 'loading' });
      try {
        set({ entries: await library.list(), status: 'ready' });
      } catch (err) {
        set({ status: 'failed', error: text(err) });
      }
    },
    save: async (bytes, opts) => {
      const r = await op('save', (l) => l.save(bytes, opts));
      if (r) set({ notice: r.existed ? `Already saved in this browser as "${r.entry.name}".` : `Saved "${r.entry.name}" in this browser.` });
      return r;
    },
    load: (id) => op(id, (l) => l.load(id)),
    rename: async (id, name) => (await op(id, (l) => l.rename(id, name))) !== null,
    remove: async (id) => {
      const name = get().entries.find((e) => e.id === id)?.name ?? id;
      const ok = (await op(id, (l) => l.delete(id).then(() => true))) === true;
      if (ok) set({ notice: `Deleted "${name}" from this browser.` });
      return ok;
    },
    setError: (error) => set({ error }),
    setNotice: (notice) => set({ notice }),
    reset: () => set({ ...initial }),
  };
});
