import { describe, expect, it } from 'vitest';
import { assignFolds, ManifestError, manifestProblems, parseManifest, splitByFold } from './manifest.ts';
import { Rng } from './random.ts';

const uniform = (seed: number) => {
  const r = new Rng(seed);
  return () => r.uniform();
};

function cases(n: number, source: string, labeled: boolean) {
  return Array.from({ length: n }, (_, k) => ({ id: `${source}/${k}`, source, labeled }));
}

describe('assignFolds', () => {
  const all = [...cases(131, 'lits', true), ...cases(280, 'msd-pancreas', true), ...cases(1000, 'abdomenatlas', false)];

  it('balances folds overall and within every source', () => {
    const f = assignFolds(all, 5, uniform(0));
    expect(f).toHaveLength(all.length);
    const sizes = [0, 1, 2, 3, 4].map((k) => f.filter((c) => c.fold === k).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const s of ['lits', 'msd-pancreas', 'abdomenatlas']) {
      const per = [0, 1, 2, 3, 4].map((k) => f.filter((c) => c.source === s && c.fold === k).length);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
  });

  it('is a function of the seed, not of the input order', () => {
    const a = assignFolds(all, 5, uniform(7));
    const b = assignFolds([...all].reverse(), 5, uniform(7));
    const key = (x: typeof a) => Object.fromEntries(x.map((c) => [c.id, c.fold]));
    expect(key(b)).toEqual(key(a));
    const c = assignFolds(all, 5, uniform(8));
    expect(key(c)).not.toEqual(key(a));
  });

  it('splits train and validation without overlap', () => {
    const f = assignFolds(all, 5, uniform(1));
    const { train, val } = splitByFold(f, 2);
    expect(train.length + val.length).toBe(all.length);
    expect(val.every((c) => c.fold === 2)).toBe(true);
    expect(() => assignFolds(all, 0, uniform(1))).toThrow(/positive integer/);
  });
});

describe('parseManifest', () => {
  const good = {
    version: 1,
    root: '.',
    folds: 5,
    seed: 0,
    cases: [
      { id: 'lits/volume-0', source: 'lits', image: 'a.nii', label: 'b.nii', labelMap: 'lits', labeled: true, fold: 0 },
      { id: 'aa/1', source: 'abdomenatlas', image: 'c.nii.gz', label: { masks: { liver: 'l.nii.gz' } }, labeled: false, fold: 4 },
    ],
  };

  it('accepts a well-formed manifest', () => {
    expect(parseManifest(JSON.stringify(good), 'm.json').cases).toHaveLength(2);
    expect(manifestProblems(good)).toEqual([]);
  });

  it('lists every problem at once, naming the file', () => {
    const bad = {
      ...good,
      folds: 2,
      cases: [
        { ...good.cases[0], labelMap: 'nope' },
        { ...good.cases[1], id: 'lits/volume-0', label: { masks: { spleen: 'x' } }, fold: 3 },
        { id: '', source: 'x', image: 'i', label: 'l', labeled: 'yes', fold: 0 },
      ],
    };
    let err: ManifestError | undefined;
    try {
      parseManifest(JSON.stringify(bad), '/data/m.json');
    } catch (e) {
      err = e as ManifestError;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect(err!.message).toContain('/data/m.json');
    const text = err!.problems.join('\n');
    expect(text).toMatch(/unknown labelMap 'nope'/);
    expect(text).toMatch(/duplicate id/);
    expect(text).toMatch(/unknown mask 'spleen'/);
    expect(text).toMatch(/fold must be an integer in 0..1, got 3/);
    expect(text).toMatch(/id must be a non-empty string/);
    expect(text).toMatch(/labelMap is required/);
    expect(text).toMatch(/labeled must be true or false/);
    expect(err!.problems.length).toBeGreaterThanOrEqual(7);
  });

  it('reports broken JSON as such', () => {
    expect(() => parseManifest('{"version": 1,', 'm.json')).toThrow(/m\.json: 1 problem[\s\S]*not valid JSON/);
  });
});
