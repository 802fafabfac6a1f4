/** Pure rules of a reading session: answer keys, reader ids, where to resume. */
import type { AnswerKeys, StudyPersistence } from './persistence.ts';
import { MemoryPersistence } from './persistence.ts';
import { IndexedDbPersistence } from './indexedDb.ts';

export const DEFAULT_KEYS: AnswerKeys = { real: 'F', synthetic: 'J' };

/** Letters the reading view or the help actions already use. */
export const RESERVED_KEYS = new Set(['X', 'I']);

/** Why a key pair cannot be used, or null when it can. Keys are single letters A–Z. */
export function keysProblem(keys: AnswerKeys): string | null {
  for (const [name, k] of Object.entries(keys)) {
    if (!/^[A-Z]$/.test(k)) return `the ${name} key must be one letter A–Z`;
    if (RESERVED_KEYS.has(k)) return `${k} is taken (X shows/hides the marker, I opens About)`;
  }
  if (keys.real === keys.synthetic) return 'Real and Synthetic need different keys';
  return null;
}

/** Why a reader id cannot be used, or null. Ids go into file names and CSV cells. */
export function readerIdProblem(id: string): string | null {
  if (!id.trim()) return 'enter a reader id';
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$/.test(id.trim())) return 'use up to 40 letters, digits, spaces, dots, dashes or underscores';
  return null;
}

/** First unanswered item at or after `from`, wrapping around; null when every item is answered. */
export function nextUnanswered(itemIds: readonly string[], answered: (id: string) => boolean, from: number): number | null {
  const n = itemIds.length;
  for (let step = 0; step < n; step++) {
    const p = (((from + step) % n) + n) % n;
    if (!answered(itemIds[p])) return p;
  }
  return null;
}

let persistence: StudyPersistence | null = null;

/** IndexedDB in a browser; memory where there is none (Node tests). */
export function getPersistence(): StudyPersistence {
  persistence ??= typeof indexedDB === 'undefined' ? new MemoryPersistence() : new IndexedDbPersistence();
  return persistence;
}

export function setPersistence(p: StudyPersistence): void {
  persistence = p;
}

let clock: () => number = () => Date.now();
export const now = (): number => clock();
export function setClock(c: () => number): void {
  clock = c;
}
