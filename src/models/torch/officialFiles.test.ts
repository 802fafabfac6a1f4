/** The reader on the official-FreeTumor .pt fixtures (real torch.save output, torch 1.13). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, formulaWeights, officialFixturesPresent, readKeys } from '../../node/testing/officialFixtures.ts';
import { findStateDict, int64FitsNumber, readTorchCheckpoint, splitTgan, toFloat32, type TorchTensor } from './index.ts';

const present = officialFixturesPresent('torch checkpoint reader on the official .pt files');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(name)));

interface Expected {
  dtype: string;
  shape: number[];
  stride: number[];
  storage_offset: number;
  values_c_order: Array<number | boolean>;
  values_c_order_str?: string[];
}

function values(t: TorchTensor): Array<number | boolean | bigint> {
  if (t.dtype === 'bool') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') return Array.from(toFloat32(t));
  return Array.from(t.data as ArrayLike<number | bigint>);
}

describe.skipIf(!present)('official .pt fixtures', () => {
  it('pt-edgecases.pt gives exactly pt-edgecases.expected.json', () => {
    const expected = JSON.parse(readFileSync(fixturePath('pt-edgecases.expected.json'), 'utf8')) as Record<string, Expected | string>;
    const { object, version } = readTorchCheckpoint(read('pt-edgecases.pt'), 'pt-edgecases.pt');
    expect(version).toBe('3');
    const root = object as Map<string, unknown>;
    expect([...root.keys()]).toEqual(Object.keys(expected));
    for (const [key, exp] of Object.entries(expected)) {
      if (key === 'meta') continue;
      const e = exp as Expected;
      const t = root.get(key) as TorchTensor;
      expect({ key, dtype: t.dtype, shape: t.shape, stride: t.savedStrides, offset: t.storageOffset }).toEqual({
        key,
        dtype: e.dtype,
        shape: e.shape,
        stride: e.stride,
        offset: e.storage_offset,
      });
      if (e.values_c_order_str) expect(values(t), key).toEqual(e.values_c_order_str.map((s) => BigInt(s)));
      else expect(values(t), key).toEqual(e.values_c_order);
    }
    // i64 holds 2^53 + 1, which a double cannot: kept exact and reported as such.
    expect(int64FitsNumber(root.get('i64') as TorchTensor)).toBe(false);
    expect(int64FitsNumber(root.get('scalar_0d_i64') as TorchTensor)).toBe(true);
    const views = ['f32_base', 'f32_view_offset', 'f32_view_3d', 'f32_transposed'].map((k) => (root.get(k) as TorchTensor).storageKey);
    expect(new Set(views).size).toBe(1);
    expect(toFloat32(root.get('f64') as TorchTensor)).toEqual(Float32Array.from([Math.PI, -1e-300, 2.5]));

    const meta = root.get('meta') as Map<string, unknown>;
    expect(meta).toBeInstanceOf(Map);
    expect([...meta.entries()]).toEqual([
      ['epoch', 7],
      ['best_acc_np', 0.875],
      ['py_float', 0.5],
      ['name', 'abc'],
      ['tup', [1, 2.5, null, true]],
      ['lst', [1, 'a']],
    ]);
  });

  it('ckpt-tgan-dummy.pt matches its manifest entry and splits into netG / netD / netSeg', () => {
    const manifest = JSON.parse(readFileSync(fixturePath('manifest.json'), 'utf8'));
    const entries = manifest.files['ckpt-tgan-dummy.pt'].entries as Array<[string, number[], string, number]>;
    const { object } = readTorchCheckpoint(read('ckpt-tgan-dummy.pt'), 'ckpt-tgan-dummy.pt');
    const { stateDict, meta } = findStateDict(object, 'ckpt-tgan-dummy.pt');
    expect(meta).toEqual({ container: 'state_dict', epoch: 99 });
    expect([...stateDict.keys()]).toEqual(entries.map((e) => e[0]));
    for (const [key, shape, dtype, sum] of entries) {
      const t = stateDict.get(key) as TorchTensor;
      expect([key, t.shape, t.dtype]).toEqual([key, shape, dtype]);
      const got = dtype === 'int64' ? Number((t.data as BigInt64Array).reduce((a, b) => a + b, 0n)) : toFloat32(t).reduce((a, b) => a + b, 0);
      expect(Math.abs(got - sum), key).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(sum)));
    }
    const nbt = stateDict.get('netG.down_tr64.ops.0.bn1.num_batches_tracked') as TorchTensor;
    expect(nbt.shape).toEqual([]);
    expect(nbt.data).toEqual(BigInt64Array.from([0n]));

    const { netG, netD, netSeg } = splitTgan(stateDict, 'ckpt-tgan-dummy.pt');
    for (const [part, map] of Object.entries({ netG, netD, netSeg })) {
      const want = entries.filter((e) => e[0].startsWith(`${part}.`)).map((e) => e[0].slice(part.length + 1));
      expect([...map.keys()], part).toEqual(want);
    }
    expect([...netSeg.keys()][0]).toBe('swinViT.patch_embed.proj.weight');
    expect(netD.get('out_tr.final_conv.bias')).toBe(stateDict.get('netD.out_tr.final_conv.bias'));
  });

  it('ckpt-swinunetr-fs12-oc3.pt: epoch, best_acc, every key and shape, formula weights bit for bit', () => {
    const bytes = read('ckpt-swinunetr-fs12-oc3.pt');
    const t0 = performance.now();
    const { object } = readTorchCheckpoint(bytes, 'ckpt-swinunetr-fs12-oc3.pt');
    const { stateDict, meta } = findStateDict(object, 'ckpt-swinunetr-fs12-oc3.pt');
    const ms = performance.now() - t0;
    const views = [...stateDict.values()].filter((t) => t.data.buffer === bytes.buffer).length;
    console.log(`read ckpt-swinunetr-fs12-oc3.pt (${bytes.length} bytes, ${stateDict.size} tensors) in ${ms.toFixed(1)} ms; ${views} tensors are views into the file`);
    expect(ms).toBeLessThan(2000);
    expect(meta).toEqual({ container: 'state_dict', epoch: 19, bestAcc: 0.625 });

    const keys = readKeys('swinunetr-fs12-oc3');
    expect([...stateDict.keys()]).toEqual(keys.map((k) => k[0]));
    for (const [key, shape, dtype] of keys) {
      const t = stateDict.get(key) as TorchTensor;
      expect([key, t.shape, t.dtype]).toEqual([key, shape, dtype]);
    }
    for (const w of formulaWeights(keys)) {
      const got = toFloat32(stateDict.get(w.key) as TorchTensor);
      const same = Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.byteLength), Buffer.from(w.data.buffer)) === 0;
      expect(same, w.key).toBe(true);
    }
    const index = stateDict.get('swinViT.layers1.0.blocks.0.attn.relative_position_index') as TorchTensor;
    expect(int64FitsNumber(index)).toBe(true);
    const idx = index.data as BigInt64Array;
    // 343×343 indices into a (2·7−1)³ = 2197-row bias table; the diagonal is the table's centre.
    expect(idx.reduce((m, v) => (v > m ? v : m), 0n)).toBe(2196n);
    expect(idx[0]).toBe(1098n);
  });
});
