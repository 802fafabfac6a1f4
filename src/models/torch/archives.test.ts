/** Hand-built archives and pickles: layouts and opcodes the fixtures do not cover. */
import { describe, expect, it } from 'vitest';
import { readTorchCheckpoint, toFloat32, type TorchTensor } from './index.ts';
import { f32Bytes, PickleWriter, torchZip } from './testUtil.ts';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function tensorFile(size: number[], stride: number[], offset: number, numel: number, opts: Parameters<typeof torchZip>[2] = {}): TorchTensor {
  const pkl = new PickleWriter().emptyDict().mark().str('t').tensor('FloatStorage', '0', numel, offset, size, stride).setItems().bytes();
  const file = readTorchCheckpoint(torchZip(pkl, { '0': f32Bytes(iota(numel)) }, opts), 'synthetic.pt');
  return (file.object as Map<string, TorchTensor>).get('t') as TorchTensor;
}

describe('torch archives beyond the fixtures', () => {
  it('reads zip64 records and storages at unaligned positions (copied, not viewed)', () => {
    for (const opts of [{ zip64: true }, { lead: 1 }, { lead: 3, zip64: true }]) {
      const t = tensorFile([2, 3], [3, 1], 0, 6, opts);
      expect(Array.from(t.data as Float32Array), JSON.stringify(opts)).toEqual(iota(6));
      if (opts.lead) expect(t.data.byteOffset % 4).toBe(0);
    }
  });

  it('materialises permuted 3-D views with an offset and broadcast (stride 0) views in C order', () => {
    // Storage 0..30; view [2,3,2] with strides [1,10,4] from offset 5: value = 5 + a + 10b + 4c.
    const t = tensorFile([2, 3, 2], [1, 10, 4], 5, 31);
    const want: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) want.push(5 + a + 10 * b + 4 * c);
    expect(Array.from(t.data as Float32Array)).toEqual(want);
    const expanded = tensorFile([3, 2], [0, 1], 1, 3);
    expect(Array.from(expanded.data as Float32Array)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('int64 storages, Parameters, OrderedDict _metadata, LONG1 and protocol-4 opcodes', () => {
    const enc = new TextEncoder();
    const w = new PickleWriter().global('collections', 'OrderedDict').emptyTuple().reduce();
    w.mark().str('p').global('torch._utils', '_rebuild_parameter').mark();
    w.tensor('LongStorage', '0', 2, 0, [2], [1]).bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    // LONG1 of 9 bytes: 2^64 + 1, beyond a double, comes back as a bigint.
    w.str('big').raw(0x8a, 9, 1, 0, 0, 0, 0, 0, 0, 0, 1);
    // Protocol 4: SHORT_BINUNICODE key, MEMOIZE, STACK_GLOBAL for OrderedDict, BINGET of the memo.
    w.raw(0x8c, 1, ...enc.encode('q'), 0x94).raw(0x8c, 11, ...enc.encode('collections'), 0x8c, 11, ...enc.encode('OrderedDict'), 0x93).emptyTuple().reduce();
    w.str('again').raw(0x68, 0);
    w.setItems();
    w.emptyDict().mark().str('_metadata').emptyDict().setItems().build();
    const longs = new Uint8Array(BigInt64Array.from([-(2n ** 62n), 9007199254740993n]).buffer);
    const root = readTorchCheckpoint(torchZip(w.bytes(), { '0': longs }), 'mixed.pt').object as Map<string, unknown>;
    const p = root.get('p') as TorchTensor;
    expect(p.dtype).toBe('int64');
    expect(Array.from(p.data as BigInt64Array)).toEqual([-(2n ** 62n), 9007199254740993n]);
    expect(root.get('big')).toBe(2n ** 64n + 1n);
    expect(root.get('q')).toEqual(new Map());
    expect(root.get('again')).toBe('q');
  });

  it('widens half and bfloat16 specials exactly, refuses integer tensors', () => {
    const half = (bits: number[]): TorchTensor => ({ dtype: 'float16', shape: [bits.length], data: Uint16Array.from(bits), savedStrides: [1], storageOffset: 0, storageKey: '0' });
    // +inf, -0, NaN, smallest subnormal 2^-24, largest subnormal, 1/3 rounded.
    const f = toFloat32(half([0x7c00, 0x8000, 0x7e00, 0x0001, 0x03ff, 0x3555]));
    expect([f[0], Object.is(f[1], -0), Number.isNaN(f[2]), f[3], f[4], f[5]]).toEqual([Infinity, true, true, 2 ** -24, 1023 * 2 ** -24, 0.333251953125]);
    const bf = toFloat32({ ...half([0xff80, 0x3f80, 0xc2f7]), dtype: 'bfloat16' });
    expect(Array.from(bf)).toEqual([-Infinity, 1, -123.5]);
    expect(() => toFloat32({ ...half([1]), dtype: 'int16', data: Int16Array.from([1]) }, 'conv.weight')).toThrow('conv.weight is int16, not a floating-point tensor');
  });
});
