import { describe, expect, it } from 'vitest';
import { readNifti } from '../../core/nifti/read.ts';
import { findCandidates, sizeClassOfVolume } from './candidates.ts';
import { buildStudy, lesionCrop, planSynthetic, type PrepOptions, type SyntheticSource } from './prepare.ts';
import { parseStudy, serializeStudy, withoutKey } from './studyFile.ts';
import { tinyCase } from './testCase.ts';

const opts = (over: Partial<PrepOptions> = {}): PrepOptions => ({
  id: 'rs-test',
  title: 'test',
  seed: 5,
  realCount: 2,
  syntheticCount: 2,
  sizeClasses: ['tiny', 'small'],
  organs: ['liver'],
  cropVoxels: 16,
  fovMm: 32,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

describe('real candidates', () => {
  it('finds each connected tumour component with its organ and a centre inside it', () => {
    const c = tinyCase({ tumours: [[18, 24, 24], [30, 24, 24]] });
    const found = findCandidates(c.label);
    expect(found).toHaveLength(2);
    for (const f of found) {
      expect(f.organ).toBe('liver');
      expect(f.voxels).toBe(123); // a radius-3 ball
      const [i, j, k] = f.centre;
      expect(c.label.data[i + 48 * (j + 48 * k)]).toBe(2);
    }
    expect(found.map((f) => f.centre[0]).sort()).toEqual([18, 30]);
  });
  it('size classes real lesions by equivalent radius (7.5 / 15 / 30 mm limits)', () => {
    const ball = (r: number) => (4 / 3) * Math.PI * r ** 3;
    expect(sizeClassOfVolume(ball(5))).toBe('tiny');
    expect(sizeClassOfVolume(ball(10))).toBe('small');
    expect(sizeClassOfVolume(ball(20))).toBe('medium');
    expect(sizeClassOfVolume(ball(40))).toBe('large');
  });
});

describe('lesion crops', () => {
  it('centre the lesion at index size/2 and at world (0,0,0), int16 HU, air outside the scan', () => {
    const c = tinyCase({ tumours: [[3, 24, 24]] });
    const crop = lesionCrop(c.image, [3, 24, 24], { fovMm: 32, size: 16 });
    expect(crop.dims).toEqual([16, 16, 16]);
    expect(crop.data).toBeInstanceOf(Int16Array);
    expect(crop.data[8 + 16 * (8 + 16 * 8)]).toBe(20);
    expect(crop.data[0]).toBe(-1024); // i = -5: outside the scan
    expect([crop.affine[3], crop.affine[7], crop.affine[11]].map((x) => x + 16)).toEqual([0, 0, 0]);
  });
});

describe('physical crops', () => {
  it('cut every item as the same mm cube on isotropic voxels, whatever the scan spacing', async () => {
    // 1 × 1 × 4 mm: 16 source voxels would be a 16 × 16 × 64 mm slab.
    const c = tinyCase({ tumours: [[24, 24, 24]] });
    const affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1];
    const study = await buildStudy([{ ...c, image: { ...c.image, affine }, label: { ...c.label, affine } }], opts({ realCount: 1, syntheticCount: 0, fovMm: 40 }));
    expect(study.fovMm).toBe(40);
    const v = (await readNifti(study.items[0].crop, 'item.nii.gz')).volume;
    expect(v.dims).toEqual([16, 16, 16]);
    const spacing = [0, 1, 2].map((c) => Math.hypot(v.affine[c], v.affine[4 + c], v.affine[8 + c]));
    for (const s of spacing) expect(s * 16).toBeCloseTo(40, 4);
    // The 3-voxel-radius label is 7 mm across x but 28 mm along z: both seen at their true size
    // (drawn tumour 20 HU, liver 60–64, outside -50).
    const at = (i: number, j: number, k: number) => v.data[i + 16 * (j + 16 * k)];
    const run = (f: (s: number) => number) => [...Array(16).keys()].filter((s) => f(s) >= 0 && f(s) < 40).length * 2.5;
    expect(run((s) => at(s, 8, 8))).toBeLessThanOrEqual(7.5);
    expect(run((s) => at(8, 8, s))).toBeGreaterThanOrEqual(20);
  });
  it('refuses a field of view outside 20–300 mm', async () => {
    await expect(buildStudy([tinyCase({ tumours: [[24, 24, 24]] })], opts({ fovMm: 5 }))).rejects.toThrow(/20–300 mm, got 5/);
  });
});

describe('buildStudy', () => {
  it('mixes real and synthetic items, shuffled from the seed, with opaque ids and a key', async () => {
    const c = tinyCase({ tumours: [[18, 24, 24], [30, 24, 24]] });
    const study = await buildStudy([c], opts());
    expect(study.items.map((i) => i.id)).toEqual(['item-01', 'item-02', 'item-03', 'item-04']);
    expect(study.key!.filter((k) => k.truth === 'real')).toHaveLength(2);
    const synth = study.key!.filter((k) => k.truth === 'synthetic');
    expect(synth.map((k) => k.sizeClass).sort()).toEqual(['small', 'tiny']);
    for (const k of synth) {
      expect(k.quality).toEqual({ p: null, pass: null, note: expect.stringContaining('not tested') });
      expect(k.organ).toBe('liver');
      expect(k.volumeMm3).toBeGreaterThan(0);
    }
    expect(study.mechanicsTest).toBe(true);
    for (const it of study.items) {
      const nii = await readNifti(it.crop, 'item.nii.gz');
      expect(nii.volume.dims).toEqual([16, 16, 16]);
      expect(nii.datatype).toBe('int16');
    }
    // A synthetic crop is darker at its centre than the untouched liver (60–64 HU).
    const synthItem = study.items.find((i) => study.key!.find((k) => k.itemId === i.id)!.truth === 'synthetic')!;
    const v = (await readNifti(synthItem.crop, 'x.nii.gz')).volume;
    expect(v.data[8 + 16 * (8 + 16 * 8)]).toBeLessThan(55);
    // Same seed, same study; another seed, another order.
    const again = await buildStudy([c], opts());
    expect(again.key).toEqual(study.key);
    const orders = new Set<string>();
    for (const seed of [1, 2, 3, 4, 6]) orders.add((await buildStudy([c], opts({ seed, syntheticCount: 0 }))).key!.map((k) => k.centreVoxel[0]).join());
    expect(orders.size).toBe(2);
  });
  it('plans synthetic organs and classes in turn, only on cases with the organ', () => {
    const c = tinyCase();
    expect(planSynthetic([c], { syntheticCount: 3, sizeClasses: ['small', 'medium'], organs: ['liver', 'kidney'] })).toEqual([
      { caseIndex: 0, organ: 'liver', sizeClass: 'small' },
      { caseIndex: 0, organ: 'liver', sizeClass: 'medium' },
      { caseIndex: 0, organ: 'liver', sizeClass: 'small' },
    ]);
    expect(() => planSynthetic([c], { syntheticCount: 1, sizeClasses: ['small'], organs: ['kidney'] })).toThrow(/no case/);
  });
  it('refuses an empty study', async () => {
    await expect(buildStudy([tinyCase()], opts({ syntheticCount: 0 }))).rejects.toThrow(/no items/);
  });
});

describe('study file', () => {
  it('round-trips as one JSON file; the reader package drops the key', async () => {
    const study = await buildStudy([tinyCase({ tumours: [[18, 24, 24]] })], opts({ syntheticCount: 1, sizeClasses: ['tiny'] }));
    const back = parseStudy(serializeStudy(study));
    expect(back).toEqual(study);
    const pkg = parseStudy(serializeStudy(withoutKey(study)));
    expect(pkg.key).toBeNull();
    expect(serializeStudy(withoutKey(study))).not.toMatch(/synthetic|real-annotation|mechanics-test|liver/);
    expect(study.synthesis).toMatchObject({ method: 'handcrafted', threshold: null, models: null, got: { notTested: 1 } });
    expect(() => parseStudy('{"format":"x"}')).toThrow(/format/);
    expect(() => parseStudy('nope')).toThrow(/JSON/);
  });
});

describe('older study files', () => {
  it('import without synthesis record, threshold or models (written before the quality test ran)', async () => {
    const study = await buildStudy([tinyCase({ tumours: [[18, 24, 24]] })], opts({ syntheticCount: 1, sizeClasses: ['tiny'] }));
    const raw = JSON.parse(serializeStudy(study));
    delete raw.synthesis;
    for (const k of raw.key) k.quality = { p: null, pass: null, note: 'not tested (the generator-based quality test is not run yet)' };
    const old = parseStudy(JSON.stringify(raw));
    expect(old.synthesis).toBeNull();
    expect(old.key!.every((k) => k.quality.pass === null && k.quality.threshold === undefined)).toBe(true);
    raw.key[0].quality.pass = 'yes';
    expect(() => parseStudy(JSON.stringify(raw))).toThrow(/quality.pass/);
  });
});

describe('a synthetic source limited to some organs (a specialist S)', () => {
  const limitedTo = (organs: ('liver' | 'pancreas')[]): SyntheticSource => ({
    organs,
    make: async () => ({
      items: [],
      record: { method: 'generator', threshold: 0.7, models: null, mix: 'any', requested: { total: 0, pass: null, fail: null }, got: { pass: 0, fail: 0, notTested: 0 }, attempts: 0, maxAttempts: 0, report: '' },
    }),
  });
  it('draws real items from those organs only, so the organ is no clue to the answer', async () => {
    const c = tinyCase({ tumours: [[12, 24, 24], [36, 24, 24]] });
    const inLiver = await buildStudy([c], opts({ realCount: 2, syntheticCount: 1, synthesis: limitedTo(['liver']) }));
    expect(inLiver.key!.filter((k) => k.truth === 'real').map((k) => k.organ)).toEqual(['liver', 'liver']);
    const elsewhere = await buildStudy([c], opts({ realCount: 2, syntheticCount: 1, synthesis: limitedTo(['pancreas']) }));
    expect(elsewhere.key!.filter((k) => k.truth === 'real')).toEqual([]);
    // Without synthetic items the source does not matter.
    const realsOnly = await buildStudy([c], opts({ realCount: 2, syntheticCount: 0, synthesis: limitedTo(['pancreas']) }));
    expect(realsOnly.key!.filter((k) => k.truth === 'real')).toHaveLength(2);
  });
});
