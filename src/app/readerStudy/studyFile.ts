/**
 * The study as ONE file: JSON, each item's crop a base64 .nii.gz. The researcher's copy carries
 * the answer key; a reader package (`withoutKey`) does not, so a curious reader cannot look the
 * answers up in the file they were sent.
 */
import { ORGANS } from '../../core/labels.ts';
import { isSizeClass } from '../../core/tumor/sizeClasses.ts';
import { ANSWERS_FORMAT, STUDY_FORMAT, type Answer, type AnswersFile, type ItemKey, type Study, type SynthesisRecord } from './types.ts';

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let n = 0; n < bytes.length; n += CHUNK) s += String.fromCharCode(...bytes.subarray(n, n + CHUNK));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let n = 0; n < s.length; n++) out[n] = s.charCodeAt(n);
  return out;
}

/** The reader package: no answer key and no synthesis record (its counts would tell how many items are synthetic). */
export function withoutKey(study: Study): Study {
  return { ...study, key: null, synthesis: null };
}

export function serializeStudy(study: Study): string {
  return JSON.stringify({ ...study, items: study.items.map((it) => ({ id: it.id, crop: toBase64(it.crop) })) });
}

export class StudyFileError extends Error {
  override name = 'StudyFileError';
}

function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new StudyFileError(`not a valid reader-study file: ${what}`);
}

function checkKey(k: ItemKey, ids: Set<string>): void {
  need(ids.has(k.itemId), `key entry for unknown item ${String(k.itemId)}`);
  need(k.truth === 'real' || k.truth === 'synthetic', `item ${k.itemId}: truth must be real or synthetic`);
  need((ORGANS as readonly string[]).includes(k.organ), `item ${k.itemId}: unknown organ ${String(k.organ)}`);
  need(isSizeClass(k.sizeClass), `item ${k.itemId}: unknown size class ${String(k.sizeClass)}`);
  need(k.quality && (k.quality.p === null || typeof k.quality.p === 'number'), `item ${k.itemId}: quality.p must be a number or null`);
  need(k.quality.pass === null || typeof k.quality.pass === 'boolean', `item ${k.itemId}: quality.pass must be true, false or null`);
  // Files from before the quality test ran have no threshold / models: still valid.
  need(k.quality.threshold === undefined || typeof k.quality.threshold === 'number', `item ${k.itemId}: quality.threshold must be a number`);
}

export function parseStudy(text: string): Study {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new StudyFileError('not a valid reader-study file: it is not JSON');
  }
  need(raw && raw.format === STUDY_FORMAT, `format is ${JSON.stringify(raw?.format)}, expected "${STUDY_FORMAT}"`);
  need(raw.version === 1, `version ${String(raw.version)} is not supported (1 is)`);
  need(typeof raw.id === 'string' && raw.id.length > 0, 'no study id');
  need(Array.isArray(raw.items) && raw.items.length > 0, 'no items');
  const items = (raw.items as { id: unknown; crop: unknown }[]).map((it, n) => {
    need(typeof it.id === 'string' && typeof it.crop === 'string', `item ${n + 1} needs an id and a crop`);
    return { id: it.id, crop: fromBase64(it.crop) };
  });
  const ids = new Set(items.map((i) => i.id));
  need(ids.size === items.length, 'duplicate item ids');
  let key: ItemKey[] | null = null;
  if (raw.key !== null && raw.key !== undefined) {
    need(Array.isArray(raw.key) && raw.key.length === items.length, 'the answer key must list every item');
    key = raw.key as ItemKey[];
    for (const k of key) checkKey(k, ids);
  }
  const win = raw.window as { width?: unknown; level?: unknown } | undefined;
  return {
    format: STUDY_FORMAT,
    version: 1,
    id: raw.id as string,
    title: typeof raw.title === 'string' ? raw.title : raw.id as string,
    createdAt: typeof raw.createdAt === 'string' ? raw.createdAt : '',
    seed: typeof raw.seed === 'number' ? raw.seed : 0,
    cropVoxels: typeof raw.cropVoxels === 'number' ? raw.cropVoxels : 64,
    ...(typeof raw.fovMm === 'number' && raw.fovMm > 0 ? { fovMm: raw.fovMm } : {}),
    window: { width: Number(win?.width ?? 400), level: Number(win?.level ?? 40) },
    mechanicsTest: raw.mechanicsTest === true,
    items,
    key,
    synthesis: key && raw.synthesis && typeof raw.synthesis === 'object' ? (raw.synthesis as SynthesisRecord) : null,
  };
}

export function answersFile(studyId: string, readerId: string, answers: readonly Answer[], exportedAt = new Date().toISOString()): AnswersFile {
  return { format: ANSWERS_FORMAT, version: 1, studyId, readerId, exportedAt, answers: [...answers].sort((a, b) => a.position - b.position) };
}

export function parseAnswersFile(text: string, name = 'answers file'): AnswersFile {
  let raw: Partial<AnswersFile>;
  try {
    raw = JSON.parse(text) as Partial<AnswersFile>;
  } catch {
    throw new StudyFileError(`${name} is not JSON`);
  }
  if (raw?.format !== ANSWERS_FORMAT || raw.version !== 1) throw new StudyFileError(`${name} is not a reader-answers file (format ${JSON.stringify(raw?.format)})`);
  if (typeof raw.studyId !== 'string' || typeof raw.readerId !== 'string' || !Array.isArray(raw.answers)) throw new StudyFileError(`${name}: missing study id, reader id or answers`);
  for (const a of raw.answers) {
    if ((a.call !== 'real' && a.call !== 'synthetic') || ![1, 2, 3, 4, 5].includes(a.confidence) || typeof a.itemId !== 'string') {
      throw new StudyFileError(`${name}: answer ${JSON.stringify(a).slice(0, 80)} is malformed`);
    }
    if (a.studyId !== raw.studyId || a.readerId !== raw.readerId) throw new StudyFileError(`${name}: an answer belongs to another study or reader`);
  }
  return raw as AnswersFile;
}
