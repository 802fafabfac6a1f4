import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryPersistence } from './persistence.ts';
import { useReaderSessionStore, sessionAnswers } from './readerSessionStore.ts';
import { useResultsStore } from './resultsStore.ts';
import { keysProblem, nextUnanswered, readerIdProblem, setClock, setPersistence } from './session.ts';
import { useStudyStore } from './studyStore.ts';
import { realAvailable, realShortfall, usePrepareStore } from './prepareStore.ts';
import { answersFile, serializeStudy, withoutKey } from './studyFile.ts';
import { tinyCase } from './testCase.ts';
import type { Study } from './types.ts';

const STUDY: Study = {
  format: 'freetumor-reader-study',
  version: 1,
  id: 'rs-x',
  title: 't',
  createdAt: '',
  seed: 1,
  cropVoxels: 16,
  window: { width: 400, level: 40 },
  mechanicsTest: true,
  items: ['item-1', 'item-2', 'item-3', 'item-4'].map((id) => ({ id, crop: new Uint8Array([1, 2, 3]) })),
  key: null,
};

let db: MemoryPersistence;
let t = 0;
beforeEach(() => {
  db = new MemoryPersistence();
  setPersistence(db);
  t = 1_000_000;
  setClock(() => t);
  useReaderSessionStore.getState().reset();
  useStudyStore.getState().reset();
  useResultsStore.getState().reset();
  usePrepareStore.getState().reset();
});

const s = () => useReaderSessionStore.getState();

describe('session rules', () => {
  it('resume position: first unanswered at or after the saved one, wrapping', () => {
    const ids = ['a', 'b', 'c', 'd'];
    expect(nextUnanswered(ids, (x) => ['a', 'b', 'c'].includes(x), 0)).toBe(3);
    expect(nextUnanswered(ids, (x) => ['c', 'd'].includes(x), 2)).toBe(0);
    expect(nextUnanswered(ids, () => true, 1)).toBeNull();
  });
  it('answer keys are distinct free letters; reader ids are short and plain', () => {
    expect(keysProblem({ real: 'F', synthetic: 'J' })).toBeNull();
    expect(keysProblem({ real: 'F', synthetic: 'F' })).toMatch(/different/);
    expect(keysProblem({ real: '1', synthetic: 'J' })).toMatch(/letter/);
    expect(keysProblem({ real: 'X', synthetic: 'J' })).toMatch(/taken/);
    expect(readerIdProblem(' ')).toMatch(/enter/);
    expect(readerIdProblem('R1')).toBeNull();
    expect(readerIdProblem('a/b')).toMatch(/letters/);
  });
});

describe('readerSessionStore', () => {
  it('saves an answer the moment it is complete, with its time on screen', async () => {
    await s().begin(STUDY, ' R1 ');
    expect(s().readerId).toBe('R1');
    expect(s().status).toBe('reading');
    expect(db.active).toEqual({ studyId: 'rs-x', readerId: 'R1' });
    t += 4000;
    await s().setCall('synthetic');
    expect(db.writes).toBe(0); // no confidence yet
    await s().setConfidence(4);
    expect(db.writes).toBe(1);
    const [a] = await db.loadAnswers('rs-x', 'R1');
    expect(a).toMatchObject({ itemId: 'item-1', position: 1, call: 'synthetic', confidence: 4, timeMs: 4000 });
    await s().setComment('edge');
    expect((await db.loadAnswers('rs-x'))[0].comment).toBe('edge');
    expect(s().save).toBe('saved');
  });
  it('the item clock stops while the tab is hidden', async () => {
    await s().begin(STUDY, 'R1');
    t += 1000;
    s().pauseClock();
    t += 60_000; // hidden: not counted
    s().resumeClock();
    t += 500;
    await s().setCall('real');
    await s().setConfidence(3);
    expect(s().answers['item-1'].timeMs).toBe(1500);
  });
  it('next needs an answer; skip does not; back returns with the answer in the draft', async () => {
    await s().begin(STUDY, 'R1');
    await s().next();
    expect(s().position).toBe(0);
    await s().skip();
    expect(s().position).toBe(1);
    await s().setCall('real');
    await s().setConfidence(2);
    await s().next();
    expect(s().position).toBe(2);
    await s().back();
    expect(s().position).toBe(1);
    expect(s().draft).toEqual({ call: 'real', confidence: 2, comment: '' });
  });
  it('a "reload" (fresh store, same storage) resumes at the next unanswered item with answers kept', async () => {
    await s().begin(STUDY, 'R1');
    for (let n = 0; n < 3; n++) {
      t += 1000;
      await s().setCall(n % 2 ? 'real' : 'synthetic');
      await s().setConfidence(3);
      await s().next();
    }
    expect(s().position).toBe(3);
    t += 2500; // a crash now: time on item 4 since the last move is lost, answers are not
    s().reset();
    expect(sessionAnswers(s())).toHaveLength(0);
    await s().begin(STUDY, 'R1');
    expect(s().resumed).toBe(true);
    expect(s().position).toBe(3);
    expect(sessionAnswers(s()).map((a) => a.itemId)).toEqual(['item-1', 'item-2', 'item-3']);
    await s().setCall('real');
    await s().setConfidence(5);
    await s().next();
    expect(s().status).toBe('finished');
    expect(await db.loadAnswers('rs-x', 'R1')).toHaveLength(4);
  });
  it('finishing with a skipped item sends the reader back to it', async () => {
    await s().begin(STUDY, 'R1');
    await s().skip();
    for (let n = 1; n < 4; n++) {
      await s().setCall('real');
      await s().setConfidence(1);
      await s().next();
    }
    expect(s().status).toBe('reading');
    expect(s().position).toBe(0);
  });
  it('configurable keys are validated; leave() forgets the active session but keeps answers; reset clears', async () => {
    expect(s().setKeys({ real: 'd', synthetic: 'k' })).toBeNull();
    expect(s().keys).toEqual({ real: 'D', synthetic: 'K' });
    expect(s().setKeys({ real: 'D', synthetic: 'D' })).toMatch(/different/);
    await s().begin(STUDY, 'R2');
    await s().setCall('real');
    await s().setConfidence(1);
    await s().leave();
    expect(db.active).toBeNull();
    expect(s().status).toBe('idle');
    expect(await db.loadAnswers('rs-x', 'R2')).toHaveLength(1);
    expect((await db.loadSession('rs-x', 'R2'))?.keys).toEqual({ real: 'D', synthetic: 'K' });
    s().reset();
    expect(s().keys).toEqual({ real: 'F', synthetic: 'J' });
    await expect(s().begin(STUDY, '')).rejects.toThrow(/reader id/);
  });
});

describe('studyStore, prepareStore and resultsStore', () => {
  it('prepare builds a study, which becomes current and is stored', async () => {
    const p = usePrepareStore.getState();
    p.addCase({ ...tinyCase({ tumours: [[18, 24, 24]] }), scheme: 'project' });
    expect(usePrepareStore.getState().cases[0]).toMatchObject({ organs: ['liver'], candidates: 1 });
    usePrepareStore.getState().setOptions({ realCount: 1, syntheticCount: 1, sizeClasses: ['tiny'], organs: ['liver'], cropVoxels: 16, synthesis: 'handcrafted' });
    const study = await usePrepareStore.getState().build('rs-built');
    expect(study.items).toHaveLength(2);
    expect(usePrepareStore.getState().progress).toMatchObject({ done: 2, total: 2 });
    expect(useStudyStore.getState().study?.id).toBe('rs-built');
    expect(useStudyStore.getState().library.map((l) => l.id)).toEqual(['rs-built']);
    usePrepareStore.getState().reset();
    expect(usePrepareStore.getState().cases).toEqual([]);
  });
  it('importing a reader package keeps the stored key of the same study', async () => {
    const keyed: Study = { ...STUDY, key: STUDY.items.map((i) => ({ itemId: i.id, truth: 'real', organ: 'liver', sizeClass: 'small', provenance: 'mechanics-test', caseName: 'c', centreVoxel: [0, 0, 0], volumeMm3: 1, quality: { p: null, pass: null, note: '' } })) };
    await useStudyStore.getState().setStudy(keyed);
    const imported = await useStudyStore.getState().importStudyText(serializeStudy(withoutKey(keyed)));
    expect(imported.key).toHaveLength(4);
    useStudyStore.getState().open();
    expect(useStudyStore.getState().mode).toBe('home');
    useStudyStore.getState().reset();
    expect(useStudyStore.getState().mode).toBe('closed');
  });
  it('results gather local answers and imported files; a wrong study is an error', async () => {
    await s().begin(STUDY, 'R1');
    await s().setCall('real');
    await s().setConfidence(3);
    const r = useResultsStore.getState();
    await r.loadLocal('rs-x');
    expect(useResultsStore.getState().sources).toEqual([{ readerId: 'R1', source: 'this browser', count: 1 }]);
    const other = { ...s().answers['item-1'], readerId: 'R9' };
    useResultsStore.getState().importAnswers(JSON.stringify(answersFile('rs-x', 'R9', [other])), 'r9.json');
    expect(useResultsStore.getState().answers).toHaveLength(2);
    useResultsStore.getState().importAnswers(JSON.stringify(answersFile('rs-y', 'R8', [])), 'y.json');
    expect(useResultsStore.getState().error).toMatch(/belongs to study rs-y/);
    useResultsStore.getState().reset();
    expect(useResultsStore.getState().answers).toEqual([]);
  });
});

describe('study library', () => {
  it('lists newest first and deletes a study with its answers, sessions and active session', async () => {
    await useStudyStore.getState().setStudy({ ...STUDY, id: 'rs-old', createdAt: '2026-01-01T10:00:00.000Z' });
    await useStudyStore.getState().setStudy({ ...STUDY, id: 'rs-new', createdAt: '2026-03-01T10:00:00.000Z' });
    expect(useStudyStore.getState().library.map((l) => l.id)).toEqual(['rs-new', 'rs-old']);
    await s().begin({ ...STUDY, id: 'rs-old' }, 'R1');
    await s().setCall('real');
    await s().setConfidence(2);
    await s().begin({ ...STUDY, id: 'rs-new' }, 'R1');
    await s().setCall('real');
    await s().setConfidence(2);
    await useStudyStore.getState().deleteStudy('rs-new');
    expect(useStudyStore.getState().library.map((l) => l.id)).toEqual(['rs-old']);
    expect(useStudyStore.getState().study).toBeNull();
    expect(await db.loadStudy('rs-new')).toBeNull();
    expect(await db.loadAnswers('rs-new')).toEqual([]);
    expect(await db.loadSession('rs-new', 'R1')).toBeNull();
    expect(db.active).toBeNull();
    // The other study keeps everything.
    expect(await db.loadAnswers('rs-old')).toHaveLength(1);
    expect(await db.loadSession('rs-old', 'R1')).not.toBeNull();
  });
});

describe('real items asked for and found', () => {
  it('warns with the number found when more real items are asked for than exist', async () => {
    usePrepareStore.getState().addCase({ ...tinyCase({ tumours: [[18, 24, 24]] }), scheme: 'project' });
    usePrepareStore.getState().setOptions({ realCount: 3, syntheticCount: 0, cropVoxels: 16, synthesis: 'handcrafted' });
    const entries = usePrepareStore.getState().cases;
    expect(realAvailable(entries, usePrepareStore.getState().options, null)).toBe(1);
    // A specialist S for another organ leaves no real candidate once synthetic items are asked for.
    expect(realAvailable(entries, { synthesis: 'generator', syntheticCount: 2 }, 'pancreas')).toBe(0);
    const study = await usePrepareStore.getState().build('rs-short');
    expect(study.items).toHaveLength(1);
    expect(usePrepareStore.getState().warning).toEqual({ studyId: 'rs-short', text: 'Asked for 3 real items, but the cases added hold only 1 real tumour candidate: the study will have 1.' });
    expect(realShortfall(1, 1)).toBeNull();
  });
});
