import { describe, expect, it } from 'vitest';
import { batchSeed, histogram, passCount, passRate, passRateCurve, sortByP, toCsv, toJson } from './helpers.ts';
import type { LabItem } from './messages.ts';

const item = (index: number, P: number): LabItem => ({
  index,
  seed: 100 + index,
  organ: 'liver',
  sizeClass: 'small',
  centreVoxel: [1, 2, 3],
  volumeMm3: 1234.5,
  newVoxels: 12,
  maskVoxels: 10,
  hitVoxels: Number.isFinite(P) ? Math.round(P * 10) : 0,
  P,
  elapsedMs: 5,
});

describe('histogram', () => {
  it('bins [0,1], puts P = 1 in the last bin and counts NaN apart', () => {
    const h = histogram([0, 0.05, 0.1, 0.55, 0.999, 1, NaN], 10);
    expect(h.bins.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(h.nonFinite).toBe(1);
    expect(h.bins[0]).toMatchObject({ lo: 0, hi: 0.1 });
  });
  it('refuses a bad bin count', () => {
    expect(() => histogram([0.5], 0)).toThrow(/bins/);
  });
});

describe('pass rate', () => {
  const P = [0.2, 0.7, 0.69999, 1, NaN];
  it('counts P ≥ T, NaN never passes', () => {
    expect(passCount(P, 0.7)).toBe(2);
    expect(passCount(P, 0)).toBe(4);
    expect(passCount(P, 1)).toBe(1);
    expect(passRate(P, 0.7)).toBeCloseTo(2 / 5);
    expect(passRate([], 0.5)).toBeNaN();
  });
  it('gives a non-increasing curve from T = 0 to 1', () => {
    const c = passRateCurve(P, 10);
    expect(c).toHaveLength(11);
    expect(c[0]).toEqual({ t: 0, rate: 4 / 5 });
    expect(c[10]).toEqual({ t: 1, rate: 1 / 5 });
    for (let i = 1; i < c.length; i++) expect(c[i].rate).toBeLessThanOrEqual(c[i - 1].rate);
  });
});

describe('export', () => {
  const items = [item(0, 0.8), item(1, 0.3), item(2, NaN)];
  it('writes CSV with full-precision P and pass at T', () => {
    const csv = toCsv(items, 0.7).trim().split('\n');
    expect(csv[0]).toBe('# threshold T = 0.7');
    expect(csv[1]).toBe('index,seed,organ,size_class,centre_i,centre_j,centre_k,volume_mm3,P,pass');
    expect(csv[2]).toBe('0,100,liver,small,1,2,3,1234.500,0.8,true');
    expect(csv[3]).toBe('1,101,liver,small,1,2,3,1234.500,0.3,false');
    expect(csv[4]).toBe('2,102,liver,small,1,2,3,1234.500,NaN,false');
  });
  it('writes JSON with null for undefined P and the pass count', () => {
    const j = toJson(items, 0.5, { caseName: 'c', backend: 'cpu', models: { generator: 'g', segmentor: 's' } });
    expect(j.passCount).toBe(1);
    expect(j.count).toBe(3);
    expect(j.items[2].P).toBeNull();
    expect(j.items.map((i) => i.pass)).toEqual([true, false, false]);
    expect(JSON.parse(JSON.stringify(j)).items[0].P).toBe(0.8);
  });
  it('sorts by P best first, NaN last, ties by index', () => {
    expect(sortByP([item(0, 0.5), item(1, NaN), item(2, 0.9), item(3, 0.5)]).map((i) => i.index)).toEqual([2, 0, 3, 1]);
  });
  it('derives batch seeds from the base seed', () => {
    expect(batchSeed(7, 3)).toBe(10);
    expect(batchSeed(0xffffffff, 1)).toBe(0);
  });
});

describe('affine', () => {
  it('maps voxel → mm → voxel for an oblique, flipped affine', async () => {
    const { mmToVoxel, voxelToMm } = await import('./affine.ts');
    const a = [
      [-3, 0.2, 0, 10],
      [0.1, 3, 0.3, -20],
      [0, -0.1, 2.5, 5],
      [0, 0, 0, 1],
    ];
    const mm = voxelToMm(a, [4, 5, 6]);
    expect(mm[0]).toBeCloseTo(-3 * 4 + 0.2 * 5 + 10);
    const v = mmToVoxel(a, mm);
    [4, 5, 6].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 9));
  });
});
