/**
 * Official UNet3D ↔ our U-Net: every key of the fixtures' key lists maps, both ways, with the
 * layouts permuted; bad state_dicts are refused by name. Forward parity is unet3dParity.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParams, createUNet, unetParamShapes } from '../unet.ts';
import { PRESETS } from '../config.ts';
import { formulaWeights, officialFixturesPresent, readKeys, type KeyEntry } from '../../node/testing/officialFixtures.ts';
import {
  assertOfficialCompatible,
  matchOfficialKeys,
  officialConfigOf,
  officialNameOf,
  officialSubnet,
  officialUNetConfig,
  officialUNetKeys,
  ourNameOf,
  unetWeightsFromOfficial,
  unetWeightsToOfficial,
  type OfficialTensorLike,
} from './unet3dNames.ts';

const present = officialFixturesPresent('official UNet3D name mapping');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const asShapes = (keys: KeyEntry[]): [string, { shape: number[] }][] => keys.map(([k, s]) => [k, { shape: s }]);

describe('official UNet3D names (no fixtures needed)', () => {
  it('our paper U-Net has the official parameter count, and the table is a bijection onto our names', () => {
    expect(countParams(officialUNetConfig(1, 3))).toBe(19_073_795);
    const table = officialUNetKeys(1, 3);
    expect(table).toHaveLength(106);
    expect(new Set(table.map((e) => e.key)).size).toBe(106);
    const ours = table.filter((e) => e.ours).map((e) => e.ours!);
    expect(new Set(ours).size).toBe(ours.length);
    expect(ours.sort()).toEqual([...unetParamShapes(officialUNetConfig(1, 3)).keys()].sort());
    expect(officialNameOf('enc0.conv0.kernel')).toBe('down_tr64.ops.0.conv1.weight');
    expect(officialNameOf('dec2.up.kernel')).toBe('up_tr256.up_conv.weight');
    expect(officialNameOf('dec0.norm1.gamma')).toBe('up_tr64.ops.1.bn1.weight');
    expect(officialNameOf('head.bias')).toBe('out_tr.final_conv.bias');
    expect(ourNameOf('down_tr512.ops.1.bn1.bias')).toBe('enc3.norm1.beta');
    expect(ourNameOf('down_tr512.ops.1.bn1.running_var')).toBeUndefined();
  });

  it('refuses configs the official UNet3D cannot hold, naming the field', () => {
    expect(() => assertOfficialCompatible(PRESETS.tiny.generator)).toThrow(/encoder .* is not the paper encoder/);
    expect(() => assertOfficialCompatible(officialUNetConfig(1, 3, { norm: 'instance' }))).toThrow(/norm is 'instance'/);
    expect(() => assertOfficialCompatible(officialUNetConfig(1, 3, { normEps: 1e-3 }))).toThrow(/normEps is 0.001/);
    expect(() => assertOfficialCompatible(PRESETS.paper.generator)).not.toThrow();
  });
});

describe.skipIf(!present)('official UNet3D names against the fixtures', () => {
  it('every key of keys-unet3d.json maps, in state_dict order, with the same shapes and dtypes; none is left over', () => {
    const keys = readKeys('unet3d');
    const table = matchOfficialKeys(asShapes(keys), 'keys-unet3d.json');
    expect(table.map((e) => [e.key, e.shape, e.torchDtype])).toEqual(keys);
  });

  it('the netG. and netD. parts of keys-tgan.json map the same way; netSeg. is not a UNet3D', () => {
    const tgan = asShapes(readKeys('tgan'));
    for (const p of ['netG.', 'netD.']) {
      const part = officialSubnet(tgan, p);
      expect(part).toHaveLength(106);
      expect(matchOfficialKeys(part, `TGAN ${p}`).map((e) => e.key)).toEqual(part.map(([k]) => k));
      expect(officialConfigOf(part, `TGAN ${p}`)).toEqual(officialUNetConfig(1, 3));
    }
    // The whole TGAN dict is not one UNet3D: the prefixed keys are refused by name.
    expect(() => matchOfficialKeys(tgan, 'TGAN.pt')).toThrow(/TGAN.pt: not an official UNet3D state_dict: no "down_tr64.ops.0.conv1.weight"/);
    expect(() => matchOfficialKeys([...officialSubnet(tgan, 'netG.'), ...officialSubnet(tgan, 'netSeg.').slice(0, 1)], 'g+seg')).toThrow(
      /g\+seg: .*unexpected key "swinViT/,
    );
  });

  it('refuses missing, unknown, repeated and mis-shaped keys by name', () => {
    const keys = asShapes(readKeys('unet3d'));
    expect(() => matchOfficialKeys(keys.filter(([k]) => k !== 'up_tr128.ops.1.bn1.running_var'), 'a.pt')).toThrow(/a.pt: .*missing "up_tr128.ops.1.bn1.running_var"/);
    expect(() => matchOfficialKeys([...keys, ['down_tr64.ops.2.conv1.weight', { shape: [1] }]], 'b.pt')).toThrow(/b.pt: .*unexpected key "down_tr64.ops.2.conv1.weight"/);
    expect(() => matchOfficialKeys([...keys, keys[3]], 'c.pt')).toThrow(/c.pt: key "down_tr64.ops.0.bn1.bias" appears twice/);
    const bad = keys.map(([k, v]): [string, { shape: number[] }] => [k, k === 'up_tr64.up_conv.weight' ? { shape: [128, 64, 2, 2, 2] } : v]);
    expect(() => matchOfficialKeys(bad, 'd.pt')).toThrow(/d.pt: .*"up_tr64.up_conv.weight" has shape \[128, 64, 2, 2, 2\], UNet3D\(1, 3\) needs \[128, 128, 2, 2, 2\]/);
    // A module. prefix (a DDP-wrapped save) is not silently stripped: the official loader of G/D would refuse it too.
    expect(() => matchOfficialKeys(keys.map(([k, v]) => [`module.${k}`, v]), 'e.pt')).toThrow(/e.pt: not an official UNet3D/);
  });

  it('imports the formula weights with kernels permuted, exports them back bit for bit, running stats as defaults', async () => {
    const keys = readKeys('unet3d');
    const fw = formulaWeights(keys);
    const entries: [string, OfficialTensorLike][] = fw.map((t) => [t.key, { shape: t.shape, data: t.data, dtype: 'float32' }]);
    entries.push(...keys.filter(([, , d]) => d === 'int64').map(([k]): [string, OfficialTensorLike] => [k, { shape: [], data: new BigInt64Array(1), dtype: 'int64' }]));
    const w = unetWeightsFromOfficial(entries, 'formula');
    const byKey = new Map(fw.map((t) => [t.key, t]));
    // Spot-check the permutations: conv [out,in,kd,kh,kw] → [kd,kh,kw,in,out]; transposed [in,out,…] → […,out,in].
    const conv = await w.get('enc1.conv1.kernel')!.array() as number[][][][][];
    const cw = byKey.get('down_tr128.ops.1.conv1.weight')!; // [128, 64, 3, 3, 3]
    expect(conv[2][0][1][5][7]).toBe(cw.data[(((7 * 64 + 5) * 3 + 2) * 3 + 0) * 3 + 1]);
    const up = await w.get('dec1.up.kernel')!.array() as number[][][][][];
    const uw = byKey.get('up_tr128.up_conv.weight')!; // [in 256, out 256, 2, 2, 2]
    expect(up[1][0][1][9][200]).toBe(uw.data[(((200 * 256 + 9) * 2 + 1) * 2 + 0) * 2 + 1]);
    expect(up[1][0][1][9][200]).not.toBe(uw.data[(((9 * 256 + 200) * 2 + 1) * 2 + 0) * 2 + 1]);

    const net = createUNet(officialConfigOf(entries, 'formula'), w);
    tf.dispose([...w.values()]);
    const back = await unetWeightsToOfficial(net);
    net.dispose();
    expect([...back.keys()]).toEqual(keys.map(([k]) => k));
    for (const [k, t] of back) {
      const src = byKey.get(k);
      if (k.endsWith('running_mean')) expect(Array.from(t.data as Float32Array).every((v) => v === 0)).toBe(true);
      else if (k.endsWith('running_var')) expect(Array.from(t.data as Float32Array).every((v) => v === 1)).toBe(true);
      else if (k.endsWith('num_batches_tracked')) expect([t.torchDtype, t.shape, (t.data as BigInt64Array)[0]]).toEqual(['int64', [], 0n]);
      else {
        expect(t.shape, k).toEqual(src!.shape);
        expect(Buffer.from((t.data as Float32Array).buffer).equals(Buffer.from(src!.data.buffer)), k).toBe(true);
      }
    }
  });

  it('refuses integer data for a parameter and a length that does not fit the shape', () => {
    const keys = readKeys('unet3d');
    const entries = keys.map(([k, s, d]): [string, OfficialTensorLike] => {
      const n = s.reduce((a, b) => a * b, 1);
      return [k, d === 'int64' ? { shape: s, data: new BigInt64Array(n), dtype: d } : { shape: s, data: new Float32Array(n), dtype: d }];
    });
    const withInt = entries.map(([k, v]): [string, OfficialTensorLike] => [k, k === 'out_tr.final_conv.bias' ? { shape: [3], data: new Int32Array(3), dtype: 'int32' } : v]);
    expect(() => unetWeightsFromOfficial(withInt, 'int.pt')).toThrow(/int.pt: "out_tr.final_conv.bias" is int32; UNet3D parameters must be float32 or float64/);
    const short = entries.map(([k, v]): [string, OfficialTensorLike] => [k, k === 'down_tr64.ops.0.bn1.weight' ? { shape: [32], data: new Float32Array(31) } : v]);
    expect(() => unetWeightsFromOfficial(short, 'short.pt')).toThrow(/short.pt: "down_tr64.ops.0.bn1.weight" holds 31 values for shape \[32\]/);
  });
});
