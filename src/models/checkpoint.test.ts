import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STAGE1, unetConfig } from './config.ts';
import { readCheckpoint, restoreNetwork, restoreOptimizer, saveCheckpoint } from './checkpoint.ts';
import { createSegmentor } from './networks.ts';
import { Rng } from '../core/random.ts';
import { permuteArray, readSafetensors, writeSafetensors } from './safetensors.ts';
import { fromTorchTensor, toTorchName, toTorchTensor } from './torchNames.ts';
import { segmentorOptimizer, segmentorStep } from './trainSteps.ts';
import { randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('safetensors', () => {
  it('round-trips tensors and metadata; header length is 8-byte LE and data 8-aligned', () => {
    const t = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['b', { shape: [3], data: Int32Array.from([7, -8, 9]) }],
      ['c', { shape: [1], data: Uint8Array.from([255]) }],
    ]);
    const bytes = writeSafetensors(t, { note: 'hello' });
    const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + hlen) % 8).toBe(0);
    const r = readSafetensors(bytes);
    expect(r.metadata.note).toBe('hello');
    expect(Array.from(r.tensors.get('a.weight')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.tensors.get('b')!.dtype).toBe('I32');
    expect(Array.from(r.tensors.get('b')!.data as Int32Array)).toEqual([7, -8, 9]);
    expect(r.tensors.get('a.weight')!.shape).toEqual([2, 3]);
  });

  it('reads a hand-built file with F16 and BF16 (widened to F32) and rejects garbage', () => {
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, g: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const hb = new TextEncoder().encode(header);
    const buf = new Uint8Array(8 + hb.length + 6);
    new DataView(buf.buffer).setBigUint64(0, BigInt(hb.length), true);
    buf.set(hb, 8);
    const dv = new DataView(buf.buffer, 8 + hb.length);
    dv.setUint16(0, 0x3c00, true); // 1.0
    dv.setUint16(2, 0xc000, true); // -2.0
    dv.setUint16(4, 0x4040, true); // bf16 3.0
    const r = readSafetensors(buf);
    expect(Array.from(r.tensors.get('h')!.data as Float32Array)).toEqual([1, -2]);
    expect(Array.from(r.tensors.get('g')!.data as Float32Array)).toEqual([3]);
    expect(() => readSafetensors(new Uint8Array([255, 255, 0, 0, 0, 0, 0, 0, 1]))).toThrow(/header length/);
  });

  it('maps names and kernel layouts to PyTorch and back', () => {
    expect(toTorchName('enc0.conv1.kernel')).toBe('enc0.conv1.weight');
    expect(toTorchName('enc0.norm1.gamma')).toBe('enc0.norm1.weight');
    expect(toTorchName('dec0.up.bias')).toBe('dec0.up.bias');
    const data = randomArray(3 * 3 * 3 * 2 * 4, 1);
    const t = toTorchTensor('enc0.conv0.kernel', data, [3, 3, 3, 2, 4]);
    expect(t.shape).toEqual([4, 2, 3, 3, 3]);
    // ours[kd=1,kh=2,kw=0,in=1,out=3] == torch[out=3,in=1,kd=1,kh=2,kw=0]
    expect(t.data[(((3 * 2 + 1) * 3 + 1) * 3 + 2) * 3 + 0]).toBe(data[(((1 * 3 + 2) * 3 + 0) * 2 + 1) * 4 + 3]);
    const back = fromTorchTensor('enc0.conv0.kernel', t.data, t.shape);
    expect(back.shape).toEqual([3, 3, 3, 2, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(permuteArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]).data).toEqual(Float32Array.from([1, 4, 2, 5, 3, 6]));
  });
});

describe('checkpoint', () => {
  it('round-trips weights, optimiser state, step, RNG state and card; training resumes identically', async () => {
    const cfg = unetConfig(1, 3, [[2], [4]], { seed: 4, norm: 'instance' });
    const S = createSegmentor(cfg, 'specialist');
    const opt = segmentorOptimizer(S, DEFAULT_STAGE1);
    const image = tf.tensor5d(randomArray(2 * 8 ** 3, 1), [2, 8, 8, 8, 1]);
    const label = tf.tensor4d(Int32Array.from(randomArray(2 * 8 ** 3, 2, 0, 2.999), Math.floor), [2, 8, 8, 8], 'int32');
    await segmentorStep(S, opt, { image, label }, DEFAULT_STAGE1);
    const rng = new Rng(42);
    rng.uniform();
    const bytes = await saveCheckpoint({
      networks: { segmentor: S },
      optimizers: { segmentor: opt },
      step: 1,
      rngState: rng.getState(),
      card: { preset: 'tiny', labelScheme: 'specialist', provenance: { stage: 1, data: 'synthetic test' } },
    });
    const ck = readCheckpoint(bytes);
    expect(ck.manifest.step).toBe(1);
    expect(ck.manifest.card.provenance.stage).toBe(1);
    const S2 = restoreNetwork(ck, 'segmentor', { config: cfg, role: 'segmentor' });
    const opt2 = restoreOptimizer(ck, 'segmentor', S2);
    expect(opt2.step).toBe(1);
    const rng2 = new Rng(0);
    rng2.setState(ck.manifest.rngState as ReturnType<Rng['getState']>);
    expect(rng2.uniform()).toBe(rng.uniform());
    const a = await segmentorStep(S, opt, { image, label }, DEFAULT_STAGE1);
    const b = await segmentorStep(S2, opt2, { image, label }, DEFAULT_STAGE1);
    expect(b.loss).toBe(a.loss);
    expect(Array.from(await S2.params.get('head.kernel')!.data())).toEqual(Array.from(await S.params.get('head.kernel')!.data()));
  });

  it('refuses another architecture or role with a clear error', async () => {
    const S = createSegmentor(unetConfig(1, 3, [[2], [4]], { norm: 'instance' }), 'specialist');
    const ck = readCheckpoint(await saveCheckpoint({ networks: { s: S }, step: 0, card: { preset: 'tiny', provenance: {} } }));
    expect(() => restoreNetwork(ck, 's', { config: unetConfig(1, 3, [[2], [8]]) })).toThrow(/architecture differs in encoder/);
    expect(() => restoreNetwork(ck, 's', { config: unetConfig(1, 3, [[2], [4]], { norm: 'none' }) })).toThrow(/norm/);
    expect(() => restoreNetwork(ck, 's', { role: 'generator' })).toThrow(/is a segmentor, expected a generator/);
    expect(() => restoreNetwork(ck, 'g')).toThrow(/no network "g"/);
    expect(() => readCheckpoint(writeSafetensors(new Map()))).toThrow(/not a FreeTumor checkpoint/);
  });
});
