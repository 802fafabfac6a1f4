import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestCase } from '../../core/manifest.ts';
import { TINY_PREPROCESS } from '../../core/preprocess.ts';
import { Rng } from '../../core/random.ts';
import { DEFAULT_SAMPLING } from '../../core/sampling.ts';
import type { Vec3 } from '../../core/volume.ts';
import { buildCache, decodeCase, type CacheEntry } from './cache.ts';
import { CropLoader, type Crop } from './loader.ts';
import { totalSegmentatorId } from '../../core/phantom/index.ts';
import { readNiftiFile } from '../io.ts';
import { writePhantomFiles } from '../testing/phantomFiles.ts';

const repo = resolve(__dirname, '../../..');
const cases: ManifestCase[] = [
  // Two phantoms (the project's own CT) written to a temporary folder in beforeAll: absolute paths,
  // and files the test may touch.
  { id: 'demo/full', source: 'demo', image: '', label: '', labelMap: 'totalsegmentator', labeled: false, fold: 0 },
  { id: 'demo/slab', source: 'slab', image: '', label: '', labelMap: 'totalsegmentator', labeled: true, fold: 1 },
];
const patch: Vec3 = [32, 32, 32];
let dir: string;
let src: string;
let entries: CacheEntry[];
let fullLiver = 0;
const countOf = (data: ArrayLike<number>, id: number) => Array.prototype.filter.call(data, (v: number) => v === id).length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-cache-'));
  src = await mkdtemp(join(tmpdir(), 'ftw-src-'));
  const full = await writePhantomFiles(join(src, 'full'), { seed: 0, dims: [96, 80, 64] });
  const slab = await writePhantomFiles(join(src, 'slab'), { seed: 1, dims: [96, 80, 24] });
  cases[0] = { ...cases[0], image: full.ct, label: full.seg };
  cases[1] = { ...cases[1], image: slab.ct, label: slab.seg };
  fullLiver = countOf((await readNiftiFile(full.seg)).volume.data, totalSegmentatorId('liver'));
  entries = await buildCache(cases, repo, dir, TINY_PREPROCESS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(src, { recursive: true, force: true });
});

async function take(n: number, workers: number, seed: number, startAt = 0): Promise<Crop[]> {
  const loader = new CropLoader(entries, new Rng(seed), { patch, sampling: { ...DEFAULT_SAMPLING, labeledOversample: 2 }, workers, prefetch: 4, startAt });
  try {
    const out: Crop[] = [];
    for (let k = 0; k < n; k++) out.push(await loader.next());
    expect(loader.consumed).toBe(startAt + n);
    return out;
  } finally {
    await loader.close();
  }
}

describe('preprocessed cache', () => {
  it('stores the preprocessed case, quantised to 1/65535 of the window', async () => {
    const c = decodeCase(await readFile(entries[0].file), entries[0].file);
    expect(c.header.dims.every((d, k) => d >= TINY_PREPROCESS.patch[k])).toBe(true);
    expect(fullLiver).toBeGreaterThan(1000);
    expect(c.header.counts[1]).toBe(fullLiver); // liver, 3 mm → 3 mm: no resampling
    expect(Math.max(...c.image.subarray(0, 5000))).toBeLessThanOrEqual(1);
  });

  it('is reused when nothing changed and rebuilt when a source file changes', async () => {
    const built: boolean[] = [];
    await buildCache(cases, repo, dir, TINY_PREPROCESS, { onProgress: (_d, _t, _id, b) => built.push(b) });
    expect(built).toEqual([false, false]);
    const before = (await readdir(dir)).sort();
    const t = new Date(Date.now() - 5000);
    await utimes(cases[1].image, t, t);
    const rebuilt: boolean[] = [];
    entries = await buildCache(cases, repo, dir, TINY_PREPROCESS, { onProgress: (_d, _t, id, b) => rebuilt.push(b && id === 'demo/slab') });
    expect(rebuilt.filter(Boolean)).toHaveLength(1);
    const after = (await readdir(dir)).sort();
    expect(after).toHaveLength(2); // the stale file is gone
    expect(after).not.toEqual(before);
    const other = await buildCache(cases, repo, dir, { ...TINY_PREPROCESS, windowLo: -200 });
    expect(other[0].file).not.toBe(entries[0].file);
    entries = await buildCache(cases, repo, dir, TINY_PREPROCESS);
  });
});

describe('CropLoader', () => {
  it('gives the same crops for a seed whatever the number of workers, and others for another seed', async () => {
    const a = await take(10, 1, 5);
    const b = await take(10, 2, 5);
    expect(b.map((c) => [c.caseId, c.start])).toEqual(a.map((c) => [c.caseId, c.start]));
    for (let k = 0; k < a.length; k++) expect(Buffer.from(b[k].image.buffer).equals(Buffer.from(a[k].image.buffer))).toBe(true);
    const c = await take(10, 2, 6);
    expect(c.map((x) => [x.caseId, x.start])).not.toEqual(a.map((x) => [x.caseId, x.start]));
  });

  it('positive crops hold labelled voxels; patch shapes are right; labelled cases are oversampled', async () => {
    const crops = await take(24, 2, 1);
    for (const c of crops) {
      expect(c.image.length).toBe(32 ** 3);
      expect(c.label.length).toBe(32 ** 3);
      if (c.request.positive) expect(c.label.some((v) => v > 0)).toBe(true);
    }
    const slab = crops.filter((c) => c.caseId === 'demo/slab').length;
    expect(slab).toBeGreaterThan(crops.length / 2); // ×2 oversampling of the labelled case
  });

  it('resumes at the same place in the plan', async () => {
    const whole = await take(8, 2, 9);
    const tail = await take(3, 2, 9, 5);
    expect(tail.map((c) => [c.caseId, c.start])).toEqual(whole.slice(5).map((c) => [c.caseId, c.start]));
  });
});
