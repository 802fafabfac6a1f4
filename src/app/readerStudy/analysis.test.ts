import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa, summarise } from '../../core/readerStudy/statistics.ts';
import { answersCsv, computeResults, CSV_COLUMNS, qualityStatus, resultsJson } from './analysis.ts';
import { answersFile, parseAnswersFile } from './studyFile.ts';
import type { Answer, Confidence, ItemKey, Truth } from './types.ts';

const key = (n: number, truth: Truth, extra: Partial<ItemKey> = {}): ItemKey => ({
  itemId: `item-0${n}`,
  truth,
  organ: n % 2 ? 'liver' : 'kidney',
  sizeClass: n <= 3 ? 'small' : 'medium',
  provenance: truth === 'real' ? 'real-annotation' : 'synthetic-handcrafted',
  caseName: 'c',
  centreVoxel: [0, 0, 0],
  volumeMm3: 100,
  quality: { p: null, pass: null, note: truth === 'real' ? 'n/a' : 'not tested' },
  ...extra,
});

const KEY: ItemKey[] = [
  key(1, 'real'),
  key(2, 'synthetic', { quality: { p: 0.8, pass: true, note: '' } }),
  key(3, 'real'),
  key(4, 'synthetic', { quality: { p: 0.2, pass: false, note: '' } }),
  key(5, 'real'),
  key(6, 'synthetic'),
];
const STUDY = { id: 'rs-1', title: 't', mechanicsTest: false, key: KEY };

function answers(readerId: string, calls: string, conf: number[]): Answer[] {
  return [...calls].map((c, n) => ({
    studyId: 'rs-1',
    readerId,
    itemId: `item-0${n + 1}`,
    position: n + 1,
    call: c === 'S' ? 'synthetic' : 'real',
    confidence: conf[n] as Confidence,
    comment: n === 0 ? 'looks "odd", maybe' : '',
    timeMs: 1000 * (n + 1),
    answeredAt: '2026-01-01T00:00:00.000Z',
  }));
}

const A = answers('A', 'RSRRRS', [5, 4, 3, 2, 4, 5]);
const B = answers('B', 'RSSRRR', [3, 3, 2, 4, 5, 1]);
const C = answers('C', 'SSRRRS', [1, 2, 3, 4, 5, 5]);

describe('computeResults', () => {
  it('per reader and pooled statistics are the core summaries of the joined ratings', () => {
    const r = computeResults(STUDY, [...A, ...B, ...C]);
    expect(r.readers).toEqual(['A', 'B', 'C']);
    const ratingsOf = (as: Answer[]) => as.map((a) => ({ truth: KEY.find((k) => k.itemId === a.itemId)!.truth, answer: a.call, confidence: a.confidence }));
    expect(r.perReader[0].stats.overall).toEqual(summarise(ratingsOf(A)));
    expect(r.perReader[0].stats.overall.accuracy).toBeCloseTo(5 / 6, 12);
    expect(r.perReader[0].meanTimeMs).toBe(3500);
    expect(r.pooled.overall).toEqual(summarise(ratingsOf([...A, ...B, ...C])));
    expect(r.pooled.overall.n).toBe(18);
    // Splits: size class and organ hold their own items; quality groups add every real item.
    expect(r.pooled.bySizeClass.small.n).toBe(9);
    expect(r.pooled.byOrgan.kidney.n).toBe(9);
    expect(Object.keys(r.pooled.byQuality).sort()).toEqual(['failed', 'not-tested', 'passed']);
    expect(r.pooled.byQuality.passed.n).toBe(12);
    expect(r.pooled.byQuality.passed.confusion.tp + r.pooled.byQuality.passed.confusion.fn).toBe(3);
  });
  it("agreement: Cohen's kappa per pair on shared items, Fleiss' kappa for three readers", () => {
    const r = computeResults(STUDY, [...A, ...B, ...C.slice(0, 5)]);
    const ab = r.agreement.overall.pairs.find((p) => p.readers.join() === 'A,B')!;
    expect(ab.n).toBe(6);
    expect(ab.kappa).toBeCloseTo(cohenKappa(A.map((a) => a.call), B.map((a) => a.call)), 12);
    const ac = r.agreement.overall.pairs.find((p) => p.readers.join() === 'A,C')!;
    expect(ac.n).toBe(5);
    const table = [0, 1, 2, 3, 4].map((n) => {
      const calls = [A[n], B[n], C[n]].map((a) => a.call);
      return [calls.filter((c) => c === 'real').length, calls.filter((c) => c === 'synthetic').length];
    });
    expect(r.agreement.overall.fleiss).toEqual({ readers: 3, n: 5, kappa: fleissKappa(table) });
    expect(r.agreement.bySizeClass.small.pairs).toHaveLength(3);
  });
  it('refuses a study without its key and flags mechanics tests', () => {
    expect(() => computeResults({ ...STUDY, key: null }, A)).toThrow(/answer key/);
    expect(computeResults({ ...STUDY, mechanicsTest: true }, A).notes.join(' ')).toMatch(/Mechanics test/);
  });
  it('writes NaN as null in the JSON summary', () => {
    const onlySynthetic = computeResults(STUDY, A.filter((a) => a.itemId === 'item-02'));
    expect(Number.isNaN(onlySynthetic.pooled.overall.auc)).toBe(true);
    expect(JSON.parse(resultsJson(onlySynthetic)).pooled.overall.auc).toBeNull();
  });
  it('quality status: n/a for real, not-tested without P', () => {
    expect(KEY.map(qualityStatus)).toEqual(['n/a', 'passed', 'n/a', 'failed', 'n/a', 'not-tested']);
  });
});

describe('CSV and answers files', () => {
  it('one CSV row per answer, quoted where needed', () => {
    const csv = answersCsv(STUDY, [...B, ...A]);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(13);
    expect(lines[1].startsWith('rs-1,A,item-01,1,real,real,5,1,true,1000,')).toBe(true);
    expect(lines[1].endsWith(',"looks ""odd"", maybe"')).toBe(true);
  });
  it('answers files round-trip and reject foreign answers', () => {
    const text = JSON.stringify(answersFile('rs-1', 'A', A));
    expect(parseAnswersFile(text).answers).toEqual(A);
    const bad = JSON.stringify(answersFile('rs-1', 'A', B));
    expect(() => parseAnswersFile(bad)).toThrow(/another study or reader/);
  });
});
