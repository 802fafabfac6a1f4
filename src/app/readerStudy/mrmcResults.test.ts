import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../core/readerStudy/canonicalJson.ts';
import { delongCovariance } from '../../core/readerStudy/mrmc/delong.ts';
import { parseImrmc, parseLongTable } from '../../core/readerStudy/mrmc/exports.ts';
import { jackknifeCovariance } from '../../core/readerStudy/mrmc/jackknife.ts';
import { orhAnalysis, testAgainst } from '../../core/readerStudy/mrmc/orh.ts';
import { sha256Hex } from '../checkpoints/format.ts';
import { computeResults, resultsJson } from './analysis.ts';
import { mrmcData, mrmcSummary, verdictOf } from './mrmcResults.ts';
import { protocolIntact, studyProtocol } from './protocol.ts';
import type { Answer, Confidence, ItemKey, Study, Truth } from './types.ts';

const key = (n: number, truth: Truth, pass: boolean | null = null): ItemKey => ({
  itemId: `item-${String(n).padStart(2, '0')}`,
  truth,
  organ: 'liver',
  sizeClass: 'small',
  provenance: truth === 'real' ? 'real-annotation' : 'synthetic-generator',
  caseName: 'c',
  centreVoxel: [0, 0, 0],
  volumeMm3: 100,
  quality: truth === 'real' ? { p: null, pass: null, note: 'n/a' } : { p: pass ? 0.9 : 0.1, pass, note: '', threshold: 0.5 },
});

// 4 real, 2 passing and 2 failing synthetic items.
const KEY: ItemKey[] = [key(1, 'real'), key(2, 'synthetic', true), key(3, 'real'), key(4, 'synthetic', false), key(5, 'real'), key(6, 'synthetic', true), key(7, 'real'), key(8, 'synthetic', false)];
const STUDY = { id: 'rs-m', title: 'mrmc', mechanicsTest: false, key: KEY };

/** calls: one letter per item (S/R), confidences 1–5. */
function answers(readerId: string, calls: string, conf: number[], study = 'rs-m'): Answer[] {
  return [...calls].map((c, n) => ({
    studyId: study,
    readerId,
    itemId: KEY[n].itemId,
    position: n + 1,
    call: c === 'S' ? 'synthetic' : 'real',
    confidence: conf[n] as Confidence,
    comment: '',
    timeMs: 1000,
    answeredAt: '2026-01-01T00:00:00.000Z',
  }));
}

const A = answers('A', 'RSRRRSSS', [4, 5, 2, 3, 5, 4, 2, 3]);
const B = answers('B', 'SSRSRRRS', [2, 3, 4, 2, 1, 3, 5, 4]);
const C = answers('C', 'RSSRRSRS', [5, 2, 3, 4, 3, 5, 4, 1]);

describe('mrmcSummary', () => {
  it('is the core ORH analysis of the readers\' 10-point synthetic scores', () => {
    const m = mrmcSummary(KEY, [...A, ...B, ...C]);
    expect(m.readers).toEqual(['A', 'B', 'C']);
    expect(m.problem).toBeNull();
    const data = mrmcData(KEY, [...A, ...B, ...C]);
    // "synthetic" at confidence c scores 5 + c, "real" 6 − c.
    expect(data.ratings[0][0].slice(0, 3)).toEqual([2, 10, 4]);
    const core = orhAnalysis(delongCovariance(data, { kind: 'auc' })).modalities[0];
    const auc = m.foms.find((f) => f.kind === 'auc')!;
    expect(auc.modality.RRRC.se).toBe(core.RRRC.se);
    expect(auc.modality.RRRC.ci).toEqual([Math.max(0, core.RRRC.ci[0]), Math.min(1, core.RRRC.ci[1])]);
    expect(auc.vsChance!.RRRC).toEqual(testAgainst(core, 0.5).RRRC);
    expect(m.foms.map((f) => f.kind)).toEqual(['auc', 'accuracy', 'sensitivity', 'specificity']);
    expect(m.foms.find((f) => f.kind === 'sensitivity')!.vsChance).toBeNull();
    // Accuracy: the readers' own calls, correct / items, averaged over readers.
    const acc = [A, B, C].map((as) => as.filter((a, n) => a.call === KEY[n].truth).length / 8);
    expect(m.foms.find((f) => f.kind === 'accuracy')!.modality.fom).toBeCloseTo((acc[0] + acc[1] + acc[2]) / 3, 14);
    const jk = mrmcSummary(KEY, [...A, ...B, ...C], 'jackknife');
    expect(jk.foms[0].modality.RRRC.se).toBe(orhAnalysis(jackknifeCovariance(data, { kind: 'auc' })).modalities[0].RRRC.se);
    // Intervals of a FOM stay inside [0, 1].
    for (const f of m.foms) for (const g of ['RRRC', 'FRRC', 'RRFC'] as const) expect(f.modality[g].ci[1] > 1 || f.modality[g].ci[0] < 0).toBe(false);
  });
  it('passing vs failing synthetic items: two modalities sharing the real items', () => {
    const m = mrmcSummary(KEY, [...A, ...B, ...C]);
    expect(m.comparison).not.toBeNull();
    expect(m.comparison!.positives).toEqual([2, 2]);
    const data = mrmcData(KEY, [...A, ...B, ...C]);
    const passedOnly = { ...data, truth: data.truth, cases: data.cases };
    const inPassed = KEY.map((k) => k.truth === 'real' || k.quality.pass === true);
    const one = orhAnalysis(delongCovariance({ ...passedOnly, inModality: [inPassed] }, { kind: 'auc' })).modalities[0];
    expect(m.comparison!.auc.means[0]).toBeCloseTo(one.fom, 14);
    expect(m.comparison!.auc.difference.RRRC.estimate).toBeCloseTo(m.comparison!.auc.means[0] - m.comparison!.auc.means[1], 14);
  });
  it('leaves out readers who did not answer every item, and says so', () => {
    const r = computeResults(STUDY, [...A, ...B, ...C.slice(0, 5)]);
    expect(r.mrmc.readers).toEqual(['A', 'B']);
    expect(r.mrmc.excluded).toEqual([{ readerId: 'C', answered: 5 }]);
    expect(r.notes.join(' ')).toMatch(/C \(5 of 8 items\) left out/);
    const one = computeResults(STUDY, A);
    expect(one.mrmc.problem).toMatch(/two or more readers/);
    expect(one.mrmc.verdict).toMatch(/^No MRMC verdict yet/);
    expect(JSON.parse(resultsJson(computeResults(STUDY, [...A, ...B, ...C]))).mrmc.foms[0].modality.FRRC.df).toBeNull();
  });
  it('the verdict states the finding with its numbers', () => {
    const able = answers('D', 'SSRSRSRR', [1, 5, 5, 5, 5, 5, 4, 1]);
    const able2 = answers('E', 'RSRSRSRS', [4, 5, 4, 2, 4, 5, 3, 5]);
    const able3 = answers('F', 'RSRSRRRS', [5, 4, 5, 4, 5, 1, 5, 5]);
    const m = mrmcSummary(KEY, [...able, ...able2, ...able3]);
    expect(m.foms[0].vsChance!.RRRC.p).toBeLessThan(0.05);
    expect(m.verdict).toMatch(/^Readers could distinguish real from synthetic tumours \(AUC 0\.\d\d, 95 % CI [0-9.–-]+, p [<=] [0-9.]+, 3 readers × 8 cases; ORH/);
    const guessing = [answers('J', 'RRSSRSSR', [3, 2, 4, 3, 2, 4, 3, 5]), answers('K', 'SSRRSSRR', [2, 3, 3, 4, 2, 2, 5, 3]), answers('L', 'RSSRRSSR', [4, 2, 3, 3, 5, 2, 3, 2])];
    const chance = mrmcSummary(KEY, guessing.flat());
    expect(chance.foms[0].vsChance!.RRRC.p).toBeGreaterThan(0.05);
    expect(chance.verdict).toMatch(/^Readers could not distinguish/);
    expect(verdictOf(chance.foms[0], 3, 8, 'delong', null, true)).toMatch(/^Mechanics test/);
    // Every reader perfect: no variance, no test; the verdict must not claim "could not".
    const perfect = ['G', 'H', 'I'].flatMap((r) => answers(r, 'RSRSRSRS', [5, 5, 5, 5, 5, 5, 5, 5]));
    expect(mrmcSummary(KEY, perfect).verdict).toMatch(/^Every reader separated real from synthetic tumours alike \(AUC 1\.00 each[^)]*\): with no variability .* undefined/);
  });
  it('exports read back as the same ratings in iMRMC and RJafroc form', async () => {
    const { imrmcText, rjafrocTable } = await import('../../core/readerStudy/mrmc/exports.ts');
    const data = mrmcData(KEY, [...A, ...B, ...C]);
    expect(parseImrmc(imrmcText(data, ['x']), 'x.imrmc').ratings).toEqual(data.ratings);
    expect(parseLongTable(rjafrocTable(data), 'x.csv').ratings).toEqual(data.ratings);
  });
});

describe('study protocol', () => {
  const study: Study = {
    format: 'freetumor-reader-study',
    version: 1,
    id: 'rs-p',
    title: 'p',
    createdAt: '2026-01-01T00:00:00.000Z',
    seed: 7,
    cropVoxels: 16,
    window: { width: 400, level: 40 },
    mechanicsTest: true,
    items: KEY.map((k, n) => ({ id: k.itemId, crop: new Uint8Array([n, 1, 2]) })),
    key: KEY,
  };
  it('is stamped with the SHA-256 of its canonical JSON, commits to the key by hash, and hashes every crop', async () => {
    const p = await studyProtocol(study, 0, '2026-01-02T00:00:00.000Z');
    const { sha256, ...rest } = p;
    expect(sha256).toBe(await sha256Hex(new TextEncoder().encode(canonicalJson(rest))));
    expect(await protocolIntact(p)).toBe(true);
    expect(await protocolIntact({ ...p, study: { ...p.study, seed: 8 } })).toBe(false);
    expect(p.answerKeySha256).toBe(await sha256Hex(new TextEncoder().encode(canonicalJson(KEY))));
    expect(p.items[1]).toEqual({ id: 'item-02', cropSha256: await sha256Hex(new Uint8Array([1, 1, 2])) });
    expect(JSON.stringify(p)).not.toContain('"truth"');
    expect(p.study).toMatchObject({ seed: 7, items: 8, real: 4, synthetic: 4 });
    expect(p.answersAtExport).toBe(0);
    await expect(studyProtocol({ ...study, key: null }, 0)).rejects.toThrow(/answer key/);
  });
});
