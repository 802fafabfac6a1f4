/**
 * importTorchCheckpoint on a complete TGAN.pt-layout file built here from the fixture key lists and
 * weight formula (the shipped ckpt-tgan-dummy.pt holds only 16 keys): netG → G, netD → C, netSeg
 * → S, every weight bit for bit, cards filled from the file. netSeg is the small fs12 3-class
 * SwinUNETR (the fs48 one would add 73 M values), so it also exercises the organ rules.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { restoreNetwork } from './checkpoint.ts';
import { formulaWeights, officialFixturesPresent, readKeys, type KeyEntry } from '../node/testing/officialFixtures.ts';
import { unetWeightsToOfficial } from './official/unet3dNames.ts';
import { importTorchCheckpoint, writeLoadedCheckpoint } from './officialImport.ts';
import { readCheckpoint } from './checkpoint.ts';
import type { UNetConfig } from './config.ts';
import { PickleWriter, torchZip } from './torch/testUtil.ts';

const present = officialFixturesPresent('officialImport (TGAN layout)');

/** torch.save({"epoch": 7, "state_dict": OrderedDict(prefix + key → tensor, …)}) of the formula weights. */
function tganPt(parts: [string, KeyEntry[]][]): Uint8Array {
  const w = new PickleWriter().emptyDict().mark().str('epoch').int(7).str('state_dict');
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  const storages: Record<string, Uint8Array> = {};
  let n = 0;
  for (const [prefix, keys] of parts) {
    const floats = new Map(formulaWeights(keys).map((f) => [f.key, f.data]));
    for (const [key, shape, dtype] of keys) {
      const id = String(n++);
      const numel = shape.reduce((a, b) => a * b, 1);
      const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      if (dtype === 'int64') {
        // num_batches_tracked (0-d) and relative_position_index: only their shapes matter here.
        storages[id] = new Uint8Array(8 * numel);
        w.str(`${prefix}${key}`).tensor('LongStorage', id, numel, 0, shape, stride);
        continue;
      }
      const data = floats.get(key)!;
      storages[id] = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      w.str(`${prefix}${key}`).tensor('FloatStorage', id, numel, 0, shape, stride);
    }
  }
  w.setItems().setItems();
  return torchZip(w.bytes(), storages, { stem: 'TGAN' });
}

let pt: Uint8Array;
/** fs12 netSeg without its int64 relative_position_index buffers (optional on import; zeros would be refused). */
const segKeys = () => readKeys('swinunetr-fs12-oc3').filter(([k]) => !k.endsWith('relative_position_index'));

beforeAll(async () => {
  await tf.setBackend('cpu');
  if (present) pt = tganPt([['netG.', readKeys('unet3d')], ['netD.', readKeys('unet3d')], ['netSeg.', segKeys()]]);
});

describe.skipIf(!present)('importTorchCheckpoint, TGAN layout', () => {
  it('a 3-class netSeg needs an organ; a 7-class one refuses it', async () => {
    await expect(importTorchCheckpoint(pt, 'TGAN.pt')).rejects.toThrow(/^TGAN\.pt: a 3-class specialist segmentor .*pass --organ liver\|pancreas\|kidney/);
    await expect(importTorchCheckpoint(pt, 'TGAN.pt', { organ: 'brain' as never })).rejects.toThrow(/^TGAN\.pt: organ "brain" is not one of liver, pancreas, kidney/);
    await expect(importTorchCheckpoint(pt, 'TGAN.pt', { organ: 'liver', roi: 40 })).rejects.toThrow(/roi 40 must be a positive multiple of 32/);

    // A bare 7-class segmentor (the baseline's layout, no prefix): universal, and --organ is refused.
    const seven = segKeys().map(([k, shape, dtype]): KeyEntry => [k, k.startsWith('out.conv.conv.') ? [7, ...shape.slice(1)] : shape, dtype]);
    const bare = tganPt([['', seven]]);
    await expect(importTorchCheckpoint(bare, 'baseline.pt', { organ: 'liver' })).rejects.toThrow(/^baseline\.pt: --organ liver was given but the segmentor has 7 classes/);
    const r = await importTorchCheckpoint(bare, 'baseline.pt');
    expect(r.layout).toBe('segmentor');
    expect(r.models).toHaveLength(1);
    expect(r.models[0].checkpoint.manifest.card).toMatchObject({ labelScheme: 'universal', provenance: { importedFrom: { epoch: 7, container: 'state_dict' } } });
    expect(r.models[0].checkpoint.manifest.card.organ).toBeUndefined();
  });

  it('netG → G, netD → C, netSeg → S, bit for bit, with filled cards', { timeout: 120_000 }, async () => {
    const r = await importTorchCheckpoint(pt, 'TGAN.pt', { organ: 'kidney' });
    expect(r.layout).toBe('tgan');
    expect(r.source).toMatchObject({ fileName: 'TGAN.pt', epoch: 7 });
    expect(r.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.models.map((m) => m.role)).toEqual(['generator', 'segmentor']);
    const [gc, s] = r.models.map((m) => readCheckpoint(writeLoadedCheckpoint(m.checkpoint)));

    expect(Object.fromEntries(Object.entries(gc.manifest.networks).map(([n, e]) => [n, e.role]))).toEqual({ G: 'generator', C: 'classifier' });
    expect(gc.manifest.card).toMatchObject({ preset: 'paper', provenance: { patch: [96, 96, 96], spacingMm: 1.5, importedFrom: { fileName: 'TGAN.pt', sha256: r.source.sha256, epoch: 7 } } });
    expect(gc.manifest.networks.G.config).toMatchObject({ kind: 'unet3d', norm: 'batch', encoder: [[32, 64], [64, 128], [128, 256], [256, 512]] });
    const expected = new Map(formulaWeights(readKeys('unet3d')).map((f) => [f.key, f.data]));
    for (const name of ['G', 'C']) {
      const net = restoreNetwork(gc, name);
      const back = await unetWeightsToOfficial(net as { config: UNetConfig; params: typeof net.params });
      net.dispose();
      let compared = 0;
      for (const [key, t] of back) {
        if (/running_|num_batches/.test(key)) continue;
        expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(expected.get(key)!.buffer)), `${name} ${key}`).toBe(true);
        compared++;
      }
      expect(compared).toBe(64); // 106 entries less 14 BNs × (running_mean, running_var, num_batches_tracked)
    }

    expect(s.manifest.networks.S).toMatchObject({ role: 'segmentor', labelScheme: 'specialist', config: { kind: 'swinunetr', featureSize: 12, outChannels: 3 } });
    expect(s.manifest.card).toMatchObject({ preset: 'paper', labelScheme: 'specialist', organ: 'kidney' });
    expect(s.manifest.card.description).toMatch(/netSeg/);
    // S's tensors are the formula's, in our layout: a bias (no permutation) compared directly.
    const bias = s.tensors.get('S.out.conv.conv.bias')!;
    expect(Array.from(bias.data)).toEqual(Array.from(formulaWeights(segKeys()).find((f) => f.key === 'out.conv.conv.bias')!.data));
  });
});
