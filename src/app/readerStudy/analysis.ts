/**
 * Results of a reader study: joins answers to the answer key and runs the core statistics
 * (src/core/readerStudy/statistics.ts) per reader and pooled, split by size class, organ and
 * quality-test outcome; agreement by Cohen's kappa per reader pair and Fleiss' kappa for three or
 * more readers; and the MRMC (ORH) analysis of mrmcResults.ts, which generalises to readers and
 * cases where the pooled numbers do not.
 */
import {
  cohenKappa,
  fleissKappa,
  rocCurve,
  summarise,
  syntheticScore,
  type Rating,
  type ReaderSummary,
} from '../../core/readerStudy/statistics.ts';
import { SIZE_CLASSES } from '../../core/tumor/sizeClasses.ts';
import { ORGANS } from '../../core/labels.ts';
import { mrmcSummary, type CovarianceMethod, type MrmcSummary } from './mrmcResults.ts';
import type { Answer, ItemKey, QualityStatus, Study, SynthesisRecord, Truth } from './types.ts';

export interface Joined {
  answer: Answer;
  key: ItemKey;
}

export function qualityStatus(k: ItemKey): QualityStatus {
  if (k.truth === 'real') return 'n/a';
  if (k.quality.pass === null) return 'not-tested';
  return k.quality.pass ? 'passed' : 'failed';
}

export function ratingOf(j: Joined): Rating {
  return { truth: j.key.truth, answer: j.answer.call, confidence: j.answer.confidence };
}

export interface Agreement {
  /** Cohen's kappa of the real/synthetic call, per reader pair, on the items both answered. */
  pairs: { readers: [string, string]; n: number; kappa: number | null }[];
  /** Fleiss' kappa over the items every reader answered (three or more readers). */
  fleiss: { readers: number; n: number; kappa: number | null } | null;
}

export interface Split<T> {
  overall: T;
  bySizeClass: Record<string, T>;
  byOrgan: Record<string, T>;
  /** Synthetic items of one quality-test outcome, each against all real items. */
  byQuality: Record<string, T>;
}

export interface ReaderResult {
  readerId: string;
  answered: number;
  meanTimeMs: number | null;
  stats: Split<ReaderSummary>;
}

export interface StudyResults {
  format: 'freetumor-reader-study-results';
  version: 1;
  studyId: string;
  title: string;
  mechanicsTest: boolean;
  /** How the synthetic items were made (models, T, the mix asked and got); null for older studies. */
  synthesis: SynthesisRecord | null;
  items: number;
  realItems: number;
  syntheticItems: number;
  readers: string[];
  perReader: ReaderResult[];
  /** Every answer of every reader as one pool of ratings (they are not independent across readers). */
  pooled: Split<ReaderSummary>;
  agreement: Split<Agreement>;
  roc: { pooled: { fpr: number; tpr: number }[]; perReader: Record<string, { fpr: number; tpr: number }[]> };
  /** ORH analysis of the readers who answered every item (random readers and cases, and the fixed variants). */
  mrmc: MrmcSummary;
  notes: string[];
}

type Selector = (k: ItemKey) => boolean;

/** The groups every statistic is split into; groups with no item are left out. */
function groups(keys: readonly ItemKey[]): { bySizeClass: Record<string, Selector>; byOrgan: Record<string, Selector>; byQuality: Record<string, Selector> } {
  const bySizeClass: Record<string, Selector> = {};
  for (const c of SIZE_CLASSES) if (keys.some((k) => k.sizeClass === c)) bySizeClass[c] = (k) => k.sizeClass === c;
  const byOrgan: Record<string, Selector> = {};
  for (const o of ORGANS) if (keys.some((k) => k.organ === o)) byOrgan[o] = (k) => k.organ === o;
  const byQuality: Record<string, Selector> = {};
  for (const q of ['passed', 'failed', 'not-tested'] as const) {
    if (keys.some((k) => qualityStatus(k) === q)) byQuality[q] = (k) => k.truth === 'real' || qualityStatus(k) === q;
  }
  return { bySizeClass, byOrgan, byQuality };
}

function split<T>(keys: readonly ItemKey[], f: (sel: Selector) => T): Split<T> {
  const g = groups(keys);
  const map = (m: Record<string, Selector>) => Object.fromEntries(Object.entries(m).map(([name, sel]) => [name, f(sel)]));
  return { overall: f(() => true), bySizeClass: map(g.bySizeClass), byOrgan: map(g.byOrgan), byQuality: map(g.byQuality) };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function agreement(byReader: ReadonlyMap<string, ReadonlyMap<string, Truth>>, itemIds: readonly string[]): Agreement {
  const readers = [...byReader.keys()].sort();
  const pairs: Agreement['pairs'] = [];
  for (let a = 0; a < readers.length; a++) {
    for (let b = a + 1; b < readers.length; b++) {
      const ra = byReader.get(readers[a])!;
      const rb = byReader.get(readers[b])!;
      const common = itemIds.filter((id) => ra.has(id) && rb.has(id));
      pairs.push({
        readers: [readers[a], readers[b]],
        n: common.length,
        kappa: common.length ? finite(cohenKappa(common.map((id) => ra.get(id)!), common.map((id) => rb.get(id)!))) : null,
      });
    }
  }
  let fleiss: Agreement['fleiss'] = null;
  if (readers.length >= 3) {
    const all = itemIds.filter((id) => readers.every((r) => byReader.get(r)!.has(id)));
    const table = all.map((id) => {
      const calls = readers.map((r) => byReader.get(r)!.get(id)!);
      return [calls.filter((c) => c === 'real').length, calls.filter((c) => c === 'synthetic').length];
    });
    fleiss = { readers: readers.length, n: all.length, kappa: all.length ? finite(fleissKappa(table)) : null };
  }
  return { pairs, fleiss };
}

function rocOf(joined: readonly Joined[]): { fpr: number; tpr: number }[] {
  const pos = joined.filter((j) => j.key.truth === 'synthetic').map((j) => syntheticScore(ratingOf(j)));
  const neg = joined.filter((j) => j.key.truth === 'real').map((j) => syntheticScore(ratingOf(j)));
  return pos.length && neg.length ? rocCurve(pos, neg) : [];
}

/** Answers of several readers (each reader's answers: one per item at most) against the key. */
export function computeResults(
  study: Pick<Study, 'id' | 'title' | 'mechanicsTest' | 'key'> & { synthesis?: SynthesisRecord | null },
  answers: readonly Answer[],
  options: { covariance?: CovarianceMethod } = {},
): StudyResults {
  if (!study.key) throw new Error('this study file has no answer key: results need the researcher\'s copy of the study');
  const keyOf = new Map(study.key.map((k) => [k.itemId, k]));
  const joined: Joined[] = [];
  const notes: string[] = [];
  let foreign = 0;
  for (const a of answers) {
    const key = keyOf.get(a.itemId);
    if (!key || a.studyId !== study.id) foreign++;
    else joined.push({ answer: a, key });
  }
  if (foreign) notes.push(`${foreign} answer(s) for items not in this study were left out.`);
  if (study.mechanicsTest) notes.push('Mechanics test: some "real" items are drawn labels, not tumours. These numbers test the software and say nothing about realism.');
  const syn = study.synthesis ?? null;
  if (syn?.method === 'generator') {
    notes.push(`Synthetic items: generator ${syn.models?.generator.fileName ?? '?'} + segmentor ${syn.models?.segmentor.fileName ?? '?'}, quality test at T = ${syn.threshold}; ${syn.report}.`);
  }
  notes.push('Pooled statistics treat every answer as one rating; answers of different readers on the same item are not independent, so the pooled binomial p is optimistic. The MRMC analysis below accounts for that.');
  const readers = [...new Set(joined.map((j) => j.answer.readerId))].sort();
  const keys = study.key;
  const stats = (subset: readonly Joined[]) => (sel: Selector) => summarise(subset.filter((j) => sel(j.key)).map(ratingOf));
  const byReaderCalls = new Map<string, Map<string, Truth>>();
  const perReader: ReaderResult[] = readers.map((readerId) => {
    const mine = joined.filter((j) => j.answer.readerId === readerId);
    byReaderCalls.set(readerId, new Map(mine.map((j) => [j.answer.itemId, j.answer.call])));
    return {
      readerId,
      answered: mine.length,
      meanTimeMs: mine.length ? mine.reduce((s, j) => s + j.answer.timeMs, 0) / mine.length : null,
      stats: split(keys, stats(mine)),
    };
  });
  const ids = (sel: Selector) => keys.filter(sel).map((k) => k.itemId);
  const mrmc = mrmcSummary(keys, joined.map((j) => j.answer), options.covariance ?? 'delong', study.mechanicsTest);
  if (mrmc.excluded.length) {
    notes.push(`MRMC analysis: ${mrmc.excluded.map((e) => `${e.readerId} (${e.answered} of ${keys.length} items)`).join(', ')} left out; it needs every reader to read every item.`);
  }
  return {
    format: 'freetumor-reader-study-results',
    version: 1,
    studyId: study.id,
    title: study.title,
    mechanicsTest: study.mechanicsTest,
    synthesis: syn,
    items: keys.length,
    realItems: keys.filter((k) => k.truth === 'real').length,
    syntheticItems: keys.filter((k) => k.truth === 'synthetic').length,
    readers,
    perReader,
    pooled: split(keys, stats(joined)),
    agreement: split(keys, (sel) => agreement(byReaderCalls, ids(sel))),
    roc: {
      pooled: rocOf(joined),
      perReader: Object.fromEntries(readers.map((r) => [r, rocOf(joined.filter((j) => j.answer.readerId === r))])),
    },
    mrmc,
    notes,
  };
}

/** JSON with NaN written as null (JSON.stringify would do so silently; this is explicit). */
export function resultsJson(results: StudyResults): string {
  return JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}

export const CSV_COLUMNS = [
  'study_id', 'reader_id', 'item_id', 'position', 'truth', 'call', 'confidence', 'synthetic_score', 'correct',
  'time_ms', 'answered_at', 'organ', 'size_class', 'provenance', 'quality_status', 'quality_p', 'quality_pass', 'quality_threshold', 'comment',
] as const;

function csvCell(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per answer, readers then reading order. */
export function answersCsv(study: Pick<Study, 'id' | 'key'>, answers: readonly Answer[]): string {
  const keyOf = new Map((study.key ?? []).map((k) => [k.itemId, k]));
  const rows = [...answers]
    .filter((a) => a.studyId === study.id)
    .sort((a, b) => (a.readerId < b.readerId ? -1 : a.readerId > b.readerId ? 1 : a.position - b.position))
    .map((a) => {
      const k = keyOf.get(a.itemId);
      const rating = k ? { truth: k.truth, answer: a.call, confidence: a.confidence } : null;
      return [
        a.studyId, a.readerId, a.itemId, a.position, k?.truth ?? '', a.call, a.confidence,
        rating ? syntheticScore(rating) : '', k ? k.truth === a.call : '', Math.round(a.timeMs), a.answeredAt,
        k?.organ ?? '', k?.sizeClass ?? '', k?.provenance ?? '', k ? qualityStatus(k) : '', k?.quality.p ?? null,
        k?.quality.pass ?? null, k?.quality.threshold ?? null, a.comment,
      ].map(csvCell).join(',');
    });
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
