/**
 * The browser checkpoint library: the in-memory store's contract (the IndexedDB one is proven by
 * e2e/checkpoints.spec.ts), and byte compatibility with the Node side through the real format
 * functions: a file the Node CLI writes (saveCheckpoint + writeFileAtomic) saved and loaded here
 * is the same file, and a file downloaded from here opens with the CLI's openCheckpoint.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdamW, createClassifier, createGenerator, readCheckpoint, restoreNetwork, restoreOptimizer, saveCheckpoint, unetConfig, writeSafetensors } from '../../models/index.ts';
import { writeFileAtomic } from '../../node/io.ts';
import { openCheckpoint } from '../../node/train/runSetup.ts';
import { toTorchName, toTorchTensor } from '../../models/torchNames.ts';
import { torchToCheckpoint, TORCH_CARD_KEY } from '../qualityLab/torchImport.ts';
import { checkpointBytes, checkpointFileName, inspectCheckpoint, sha256Hex } from './format.ts';
import { CheckpointStoreError, describeStorageError, MemoryCheckpointLibrary } from './library.ts';
import { setCheckpointLibrary, useCheckpointStore } from './checkpointStore.ts';

const ENCODER = [
  [2, 2],
  [2, 4],
];
const CARD = { preset: 'tiny', description: 'unit test', provenance: { patch: [16, 16, 16], spacingMm: 3 } };
const RNG = { kind: 'xoshiro', s: [1, 2, 3, 4] };

let nodeBytes: Uint8Array; // what the Node CLI writes: G + C, G's optimiser, step, RNG state, card
let genOnly: Uint8Array;
let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const G = createGenerator(unetConfig(1, 3, ENCODER, { seed: 1 }));
  const C = createClassifier(unetConfig(1, 3, ENCODER, { seed: 2 }));
  const opt = new AdamW(G.params, { lr: 1e-4, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 1e-5 });
  opt.step = 7;
  let k = 10;
  for (const which of [opt.m, opt.v]) for (const [, t] of which) t.assign(tf.randomUniform(t.shape, 0, 1, 'float32', k++));
  nodeBytes = await saveCheckpoint({ networks: { G, C }, optimizers: { G: opt }, step: 42, rngState: RNG, card: CARD });
  genOnly = await saveCheckpoint({ networks: { G }, step: 0, card: CARD });
  [G, C].forEach((n) => n.dispose());
  dir = mkdtempSync(join(tmpdir(), 'ftw-checkpoints-'));
});

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('format', () => {
  it('inspects the header: roles, step, optimiser, RNG state', () => {
    const { summary } = inspectCheckpoint(nodeBytes);
    expect(summary.networks).toEqual([
      { name: 'G', role: 'generator', labelScheme: null },
      { name: 'C', role: 'classifier', labelScheme: null },
    ]);
    expect(summary).toMatchObject({ roles: ['generator', 'classifier'], preset: 'tiny', step: 42, description: 'unit test', hasOptimizer: true, hasRngState: true });
    expect(inspectCheckpoint(genOnly).summary).toMatchObject({ hasOptimizer: false, hasRngState: false, step: 0 });
  });

  it('writes a checkpoint read from a file back byte for byte', () => {
    expect(same(checkpointBytes(readCheckpoint(nodeBytes)), nodeBytes)).toBe(true);
  });

  it('PyTorch weights the lab converted become a checkpoint file the CLI reads (what the lab saves / downloads)', async () => {
    const cfg = unetConfig(1, 3, ENCODER, { seed: 5 });
    const G = createGenerator(cfg);
    const m = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of G.params) m.set(toTorchName(name), toTorchTensor(name, (await v.data()) as Float32Array, v.shape));
    const torch = writeSafetensors(m, { [TORCH_CARD_KEY]: JSON.stringify({ role: 'generator', config: cfg, card: CARD }) });
    const file = checkpointBytes(torchToCheckpoint(torch, 'g.safetensors', null));
    expect(inspectCheckpoint(file).summary.roles).toEqual(['generator']);
    const path = join(dir, 'converted.safetensors');
    await writeFileAtomic(path, file);
    const { ck } = await openCheckpoint(path);
    const back = restoreNetwork(ck, 'net', { role: 'generator', config: cfg });
    for (const [p, v] of G.params) expect(Array.from(await back.params.get(p)!.data())).toEqual(Array.from(await v.data()));
    [G, back].forEach((n) => n.dispose());
  });

  it('refuses what is not a FreeTumor checkpoint, with the reason', () => {
    expect(() => inspectCheckpoint(new Uint8Array(4))).toThrow(/shorter than a safetensors header/);
    const plain = writeSafetensors(new Map([['w', { shape: [2], data: new Float32Array([1, 2]) }]]));
    expect(() => inspectCheckpoint(plain)).toThrow(/no "freetumor" manifest/);
    const cut = nodeBytes.slice(0, nodeBytes.length - 100);
    expect(() => inspectCheckpoint(cut)).toThrow(/do not fit/);
  });

  it('names downloads', () => {
    expect(checkpointFileName('demo-generator')).toBe('demo-generator.safetensors');
    expect(checkpointFileName('a/b:c.safetensors')).toBe('a_b_c.safetensors');
    expect(checkpointFileName('  ')).toBe('checkpoint.safetensors');
  });
});

describe('Node ↔ browser bytes', () => {
  it('a file the CLI wrote is stored and given back unchanged, and restores weights, moments, step and RNG', async () => {
    const file = join(dir, 'model.safetensors');
    await writeFileAtomic(file, nodeBytes);
    const fromDisk = new Uint8Array(readFileSync(file));
    const lib = new MemoryCheckpointLibrary();
    const { entry } = await lib.save(fromDisk, { name: 'step-42', source: 'model.safetensors' });
    expect(entry).toMatchObject({ size: nodeBytes.length, sha256: await sha256Hex(nodeBytes), roles: ['generator', 'classifier'], step: 42 });
    const { bytes } = await lib.load(entry.id);
    expect(same(bytes, nodeBytes)).toBe(true);
    const ck = readCheckpoint(bytes);
    expect(ck.manifest.rngState).toEqual(RNG);
    const G = restoreNetwork(ck, 'G', { role: 'generator' });
    const opt = restoreOptimizer(ck, 'G', G);
    expect(opt.step).toBe(7);
    const ref = readCheckpoint(nodeBytes);
    for (const [p, v] of G.params) expect(Array.from(await v.data())).toEqual(Array.from(ref.tensors.get(`G.${p}`)!.data));
    for (const [p, m] of opt.m) expect(Array.from(await m.data())).toEqual(Array.from(ref.tensors.get(`optim.G.${p}.m`)!.data));
    opt.m.forEach((t) => t.dispose());
    opt.v.forEach((t) => t.dispose());
    G.dispose();
  });

  it('a file downloaded from the library opens with the CLI (openCheckpoint) with the same tensors', async () => {
    const lib = new MemoryCheckpointLibrary();
    const { entry } = await lib.save(nodeBytes, { name: 'x', source: 'x.safetensors' });
    const downloaded = (await lib.load(entry.id)).bytes; // what downloadSaved hands to the Blob
    const file = join(dir, checkpointFileName(entry.name));
    await writeFileAtomic(file, downloaded);
    const { ck } = await openCheckpoint(file);
    const ref = readCheckpoint(nodeBytes);
    expect(ck.manifest).toEqual(ref.manifest);
    expect([...ck.tensors.keys()]).toEqual([...ref.tensors.keys()]);
    for (const [k, t] of ref.tensors) expect(ck.tensors.get(k)!.data).toEqual(t.data);
  });
});

describe('MemoryCheckpointLibrary', () => {
  let lib: MemoryCheckpointLibrary;
  let t: number;
  beforeEach(() => {
    t = Date.UTC(2026, 0, 1);
    lib = new MemoryCheckpointLibrary({ now: () => new Date((t += 1000)) });
  });

  it('lists newest first, renames, deletes, and does not duplicate identical bytes', async () => {
    const a = await lib.save(nodeBytes, { name: 'a', source: 'a.safetensors' });
    const b = await lib.save(genOnly, { name: '', source: 'demo-generator.safetensors' });
    expect(b.entry.name).toBe('demo-generator');
    expect((await lib.list()).map((e) => e.name)).toEqual(['demo-generator', 'a']);
    const again = await lib.save(nodeBytes, { name: 'a copy', source: 'a.safetensors' });
    expect(again).toMatchObject({ existed: true, entry: { id: a.entry.id, name: 'a' } });
    expect(await lib.list()).toHaveLength(2);
    expect((await lib.rename(a.entry.id, '  stage 2  ')).name).toBe('stage 2');
    await lib.delete(b.entry.id);
    expect((await lib.list()).map((e) => e.name)).toEqual(['stage 2']);
    await expect(lib.load(b.entry.id)).rejects.toThrow(/No saved checkpoint/);
  });

  it('refuses bytes that are not a checkpoint, naming it; nothing is saved', async () => {
    await expect(lib.save(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), { name: 'junk', source: 'junk.safetensors' })).rejects.toThrow(/Cannot save "junk": not a checkpoint/);
    expect(await lib.list()).toEqual([]);
  });

  it('a full quota gives a clear error naming the checkpoint, and nothing half-saved', async () => {
    const small = new MemoryCheckpointLibrary({ quotaBytes: genOnly.length + 10 });
    await small.save(genOnly, { name: 'fits', source: 'fits.safetensors' });
    const err = await small.save(nodeBytes, { name: 'too big', source: 'b.safetensors' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointStoreError);
    expect((err as CheckpointStoreError).kind).toBe('quota');
    expect((err as Error).message).toMatch(/^Not enough browser storage to save checkpoint "too big" \([\d.]+ MB\)/);
    expect((await small.list()).map((e) => e.name)).toEqual(['fits']);
    expect(small.bytes.size).toBe(1);
  });

  it('maps IndexedDB quota errors by name', () => {
    const e = describeStorageError(new DOMException('x', 'QuotaExceededError'), 'save', 'big', 2_500_000);
    expect(e.kind).toBe('quota');
    expect(e.message).toContain('"big" (2.5 MB)');
    expect(describeStorageError(new Error('disk gone'), 'read', 'c').message).toBe('Could not read checkpoint "c" in browser storage: disk gone');
  });

  it('a damaged stored entry is refused with its name (flipped byte, truncated, bytes missing)', async () => {
    const { entry } = await lib.save(nodeBytes, { name: 'precious', source: 'p.safetensors' });
    const stored = lib.bytes.get(entry.id)!;
    stored[stored.length - 1] ^= 0xff;
    await expect(lib.load(entry.id)).rejects.toThrow(/^Saved checkpoint "precious" is damaged: its SHA-256 does not match/);
    lib.bytes.set(entry.id, stored.slice(0, 100));
    await expect(lib.load(entry.id)).rejects.toThrow(/"precious" is damaged: 100 bytes stored/);
    lib.bytes.delete(entry.id);
    await expect(lib.load(entry.id)).rejects.toThrow(/"precious" is damaged: its bytes are missing/);
    // A header that no longer parses but whose digest was recorded that way: still named.
    const bad = nodeBytes.slice();
    bad[10] = 0x00;
    const e2 = { ...entry, sha256: await sha256Hex(bad) };
    lib.entries.set(entry.id, e2);
    lib.bytes.set(entry.id, bad);
    await expect(lib.load(entry.id)).rejects.toThrow(/"precious" is damaged: not a checkpoint/);
  });

  it('callers cannot change stored bytes through what they passed or got back', async () => {
    const mine = genOnly.slice();
    const { entry } = await lib.save(mine, { name: 'g', source: 'g' });
    mine[mine.length - 1] ^= 1;
    const got = await lib.load(entry.id);
    got.bytes[got.bytes.length - 1] ^= 1;
    expect(same((await lib.load(entry.id)).bytes, genOnly)).toBe(true);
  });
});

describe('useCheckpointStore', () => {
  const s = () => useCheckpointStore.getState();
  let lib: MemoryCheckpointLibrary;
  beforeEach(() => {
    lib = new MemoryCheckpointLibrary();
    setCheckpointLibrary(lib);
    s().reset();
  });

  it('save, list, load, rename, remove through the store', async () => {
    await s().refresh();
    expect(s()).toMatchObject({ status: 'ready', entries: [] });
    const r = await s().save(genOnly, { name: 'demo-generator', source: 'demo-generator.safetensors' });
    expect(r?.existed).toBe(false);
    expect(s().notice).toBe('Saved "demo-generator" in this browser.');
    expect(s().entries.map((e) => e.name)).toEqual(['demo-generator']);
    await s().save(genOnly, { name: 'other', source: 'o' });
    expect(s().notice).toBe('Already saved in this browser as "demo-generator".');
    const id = s().entries[0].id;
    expect(same((await s().load(id))!.bytes, genOnly)).toBe(true);
    expect(await s().rename(id, 'G v1')).toBe(true);
    expect(s().entries[0].name).toBe('G v1');
    expect(await s().remove(id)).toBe(true);
    expect(s()).toMatchObject({ entries: [], notice: 'Deleted "G v1" from this browser.', busy: null, error: null });
  });

  it('errors land in `error` (named), and reset clears the state', async () => {
    await s().save(nodeBytes, { name: 'n', source: 'n' });
    const id = s().entries[0].id;
    lib.bytes.get(id)![50] ^= 1;
    expect(await s().load(id)).toBeNull();
    expect(s().error).toMatch(/^Saved checkpoint "n" is damaged/);
    expect(await s().save(new Uint8Array(3), { name: 'bad', source: 'bad' })).toBeNull();
    expect(s().error).toMatch(/Cannot save "bad"/);
    s().reset();
    expect(s()).toMatchObject({ status: 'idle', entries: [], error: null, notice: null, busy: null });
  });
});
