/**
 * The browser's checkpoint library: checkpoint files (bytes exactly as the Node CLI writes them)
 * with a little metadata for the list. The browser keeps them in IndexedDB (indexedDb.ts); unit
 * tests use the in-memory version here, which keeps the same contract: each save, rename and delete
 * is all-or-nothing, and a stored entry is verified (size, SHA-256, header) when it is loaded.
 */
import { inspectCheckpoint, nameOfFile, sha256Hex, type CheckpointSummary } from './format.ts';

export interface CheckpointEntry {
  id: string;
  name: string;
  /** Roles of the networks in the file, e.g. ['generator', 'classifier']. */
  roles: string[];
  preset: string;
  step: number;
  /** File size in bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the file. */
  sha256: string;
  /** When it was saved to this library (ISO). */
  savedAt: string;
  /** Where it came from (the file name it was loaded as). */
  source: string;
  summary: CheckpointSummary;
}

export interface SaveResult {
  entry: CheckpointEntry;
  /** True when the same bytes were already in the library (nothing was written). */
  existed: boolean;
}

export interface CheckpointLibrary {
  /** Store the bytes as a new entry; identical bytes already stored return that entry. */
  save(bytes: Uint8Array, opts: { name: string; source: string }): Promise<SaveResult>;
  /** Newest first. */
  list(): Promise<CheckpointEntry[]>;
  /** The entry and its verified bytes; throws CheckpointStoreError naming it when damaged or gone. */
  load(id: string): Promise<{ entry: CheckpointEntry; bytes: Uint8Array }>;
  rename(id: string, name: string): Promise<CheckpointEntry>;
  delete(id: string): Promise<void>;
}

export type StoreErrorKind = 'quota' | 'corrupt' | 'missing' | 'invalid' | 'unavailable';

export class CheckpointStoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointStoreError';
  }
}

export const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e6 ? 2 : 1)} MB`;

export function quotaError(name: string, size: number, detail?: string): CheckpointStoreError {
  return new CheckpointStoreError(
    'quota',
    `Not enough browser storage to save checkpoint "${name}" (${mb(size)})${detail ? ` — ${detail}` : ''}. Delete saved checkpoints or download it instead; nothing was saved.`,
  );
}

/** A storage failure in words that name the checkpoint (quota errors recognised by name). */
export function describeStorageError(err: unknown, action: string, name: string, size?: number): CheckpointStoreError {
  if (err instanceof CheckpointStoreError) return err;
  const e = err as { name?: string; message?: string } | null;
  if (e?.name === 'QuotaExceededError' || /quota/i.test(e?.message ?? '')) return quotaError(name, size ?? 0, e?.message);
  return new CheckpointStoreError('unavailable', `Could not ${action} checkpoint "${name}" in browser storage: ${e?.message || String(err)}`);
}

/** The entry for bytes about to be saved (checks they are a FreeTumor checkpoint). */
export async function prepareEntry(bytes: Uint8Array, opts: { name: string; source: string }, now: () => Date = () => new Date()): Promise<CheckpointEntry> {
  const name = opts.name.trim() || nameOfFile(opts.source);
  let summary: CheckpointSummary;
  try {
    summary = inspectCheckpoint(bytes).summary;
  } catch (e) {
    throw new CheckpointStoreError('invalid', `Cannot save "${name}": ${(e as Error).message}`);
  }
  const sha256 = await sha256Hex(bytes);
  return {
    id: `ck-${sha256.slice(0, 16)}-${now().getTime().toString(36)}`,
    name,
    roles: summary.roles,
    preset: summary.preset,
    step: summary.step,
    size: bytes.length,
    sha256,
    savedAt: now().toISOString(),
    source: opts.source,
    summary,
  };
}

/** Check stored bytes against their entry; throws a 'corrupt' error naming the checkpoint. */
export async function verifyStored(entry: CheckpointEntry, bytes: Uint8Array | null | undefined): Promise<Uint8Array> {
  const damaged = (why: string) =>
    new CheckpointStoreError('corrupt', `Saved checkpoint "${entry.name}" is damaged: ${why}. Delete it and save it again from the file.`);
  if (!(bytes instanceof Uint8Array)) throw damaged('its bytes are missing from browser storage');
  if (bytes.length !== entry.size) throw damaged(`${bytes.length} bytes stored, ${entry.size} saved`);
  if ((await sha256Hex(bytes)) !== entry.sha256) throw damaged('its SHA-256 does not match the one recorded when it was saved');
  try {
    inspectCheckpoint(bytes);
  } catch (e) {
    throw damaged((e as Error).message);
  }
  return bytes;
}

export const newestFirst = (a: CheckpointEntry, b: CheckpointEntry) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : a.name.localeCompare(b.name));

export function missing(id: string): CheckpointStoreError {
  return new CheckpointStoreError('missing', `No saved checkpoint "${id}" in this browser (deleted in another tab?)`);
}

/** In memory, for tests. `quotaBytes` makes saves over that total fail as a full disk would. */
export class MemoryCheckpointLibrary implements CheckpointLibrary {
  readonly entries = new Map<string, CheckpointEntry>();
  readonly bytes = new Map<string, Uint8Array>();

  constructor(
    private readonly opts: { quotaBytes?: number; now?: () => Date } = {},
  ) {}

  private used(): number {
    let n = 0;
    for (const b of this.bytes.values()) n += b.length;
    return n;
  }

  async save(bytes: Uint8Array, opts: { name: string; source: string }): Promise<SaveResult> {
    const entry = await prepareEntry(bytes, opts, this.opts.now);
    const same = [...this.entries.values()].find((e) => e.sha256 === entry.sha256);
    if (same) return { entry: structuredClone(same), existed: true };
    if (this.opts.quotaBytes !== undefined && this.used() + bytes.length > this.opts.quotaBytes) {
      throw describeStorageError(new DOMException('The quota has been exceeded.', 'QuotaExceededError'), 'save', entry.name, bytes.length);
    }
    this.entries.set(entry.id, structuredClone(entry));
    this.bytes.set(entry.id, bytes.slice());
    return { entry: structuredClone(entry), existed: false };
  }

  async list(): Promise<CheckpointEntry[]> {
    return [...this.entries.values()].map((e) => structuredClone(e)).sort(newestFirst);
  }

  async load(id: string): Promise<{ entry: CheckpointEntry; bytes: Uint8Array }> {
    const entry = this.entries.get(id);
    if (!entry) throw missing(id);
    const stored = this.bytes.get(id);
    return { entry: structuredClone(entry), bytes: (await verifyStored(entry, stored)).slice() };
  }

  async rename(id: string, name: string): Promise<CheckpointEntry> {
    const entry = this.entries.get(id);
    if (!entry) throw missing(id);
    if (!name.trim()) throw new CheckpointStoreError('invalid', `A checkpoint needs a name (renaming "${entry.name}")`);
    entry.name = name.trim();
    return structuredClone(entry);
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
    this.bytes.delete(id);
  }
}
