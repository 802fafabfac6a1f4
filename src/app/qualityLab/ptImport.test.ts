/**
 * torch.save → FreeTumor checkpoint in the lab's worker code (ptImport): the real fixture
 * checkpoint's card, layouts and round trip; refusals that name the file. No forward pass here
 * (e2e/officialCheckpoint.spec.ts runs it in Chromium against PyTorch's output).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../models/checkpoint.ts';
import { fixturePath, officialFixturesPresent } from '../../node/testing/officialFixtures.ts';
import { swinUnetrParamSpecs } from '../../models/swinUnetr/params.ts';
import type { SwinUNETRConfig } from '../../models/swinUnetr/config.ts';
import { findStateDict, readTorchCheckpoint, toFloat32 } from '../../models/torch/index.ts';
import { PickleWriter, torchZip } from '../../models/torch/testUtil.ts';
import { checkpointBytes } from '../checkpoints/format.ts';
import { selectNetworks } from './modelLoading.ts';
import { importTorchSave, isTorchSave, withOrgan } from './ptImport.ts';
import { loadStudyModel, setStudySegmentorOrgan, unloadStudyModel, type StudyModelSlots } from '../readerStudy/studyModels.ts';
import * as tf from '@tensorflow/tfjs';

const present = officialFixturesPresent('src/app/qualityLab/ptImport.test.ts');
const CKPT = 'ckpt-swinunetr-fs12-oc3.pt';
const bytesOf = (name: string) => new Uint8Array(readFileSync(fixturePath(name)));

describe('importTorchSave', () => {
  it.skipIf(!present)('turns the official fs12 specialist into a FreeTumor checkpoint with its card', async () => {
    const bytes = bytesOf(CKPT);
    expect(isTorchSave(bytes)).toBe(true);
    const imp = await importTorchSave(bytes, CKPT, 'auto');
    expect(imp.models.map((m) => m.slot)).toEqual(['segmentor']);
    const ck = imp.models[0].ck;
    const { manifest, tensors } = ck;
    expect(Object.keys(manifest.networks)).toEqual(['S']);
    const S = manifest.networks.S;
    expect(S.role).toBe('segmentor');
    expect(S.labelScheme).toBe('specialist');
    const cfg = S.config as SwinUNETRConfig;
    expect(cfg).toMatchObject({ kind: 'swinunetr', featureSize: 12, inChannels: 1, outChannels: 3, useV2: true, window: 7, imgSize: [96, 96, 96] });
    // The file does not name the organ: the default (liver) is recorded as a choice.
    expect(imp.organChosen).toBe(true);
    expect(manifest.card.organ).toBe('liver');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(imp.source).toEqual({ fileName: CKPT, sha256, epoch: 19, bestAcc: 0.625 });
    expect(manifest.card.provenance).toMatchObject({ importedFrom: { fileName: CKPT, sha256, epoch: 19, bestAcc: 0.625 }, patch: [96, 96, 96], spacingMm: 1.5 });

    // Every parameter, none else (the index buffers are computed, not stored), in our layouts.
    const specs = swinUnetrParamSpecs(cfg);
    expect([...tensors.keys()].sort()).toEqual(specs.map((p) => `S.${p.key}`).sort());
    for (const p of specs) expect(tensors.get(`S.${p.key}`)!.shape, p.key).toEqual(p.shape);
    // A conv kernel: ours [d,h,w,in,out] = PyTorch [out,in,d,h,w] permuted; a linear: transposed.
    const sd = findStateDict(readTorchCheckpoint(bytes, CKPT).object, CKPT).stateDict;
    const conv = toFloat32(sd.get('swinViT.patch_embed.proj.weight')!); // [12,1,2,2,2]
    const oursConv = tensors.get('S.swinViT.patch_embed.proj.weight')!; // [2,2,2,1,12]
    for (const [o, d, h, w] of [[0, 0, 0, 0], [11, 1, 0, 1], [5, 1, 1, 1]]) {
      expect(oursConv.data[(((d * 2 + h) * 2 + w) * 1 + 0) * 12 + o]).toBe(conv[(o * 1 + 0) * 8 + d * 4 + h * 2 + w]);
    }
    const qkv = sd.get('swinViT.layers1.0.blocks.0.attn.qkv.weight')!; // [36,12]
    const oursQkv = tensors.get('S.swinViT.layers1.0.blocks.0.attn.qkv.weight')!; // [12,36]
    expect(oursQkv.shape).toEqual([12, 36]);
    expect(oursQkv.data[3 * 36 + 20]).toBe(toFloat32(qkv)[20 * 12 + 3]);

    // The lab takes it as S at the official geometry, and the converted file round-trips.
    const [sel] = selectNetworks(ck, CKPT, 'segmentor', {});
    expect(sel.info).toMatchObject({ organ: 'liver', labelScheme: 'specialist', patch: [96, 96, 96], spacingMm: 1.5, params: 4_739_037, architecture: 'SwinUNETR fs12 v2 (MONAI 1.3), 3 classes' });
    const back = readCheckpoint(checkpointBytes(withOrgan(ck, 'pancreas')));
    expect(back.manifest.card.organ).toBe('pancreas');
    expect(back.manifest.card.provenance.organFrom).toBe('chosen in the workbench (the file does not say)');
    expect(manifest.card.provenance.organFrom).toBe('liver by default (the file does not say)');
    expect(back.manifest.networks.S.config).toEqual(S.config);
    expect(back.tensors.get('S.out.conv.conv.bias')!.data).toEqual(tensors.get('S.out.conv.conv.bias')!.data);
  });

  it.skipIf(!present)('refuses what the lab cannot use, naming the file', async () => {
    // TGAN layout but only 16 of its keys: refused whole, whichever slot it was meant for.
    for (const slot of ['auto', 'segmentor'] as const) {
      await expect(importTorchSave(bytesOf('ckpt-tgan-dummy.pt'), 'TGAN.pt', slot)).rejects.toThrow(/^TGAN\.pt: incomplete TGAN checkpoint \(16 keys\): netG: .*missing "down_tr64/);
    }
    // A segmentor asked for as G.
    await expect(importTorchSave(bytesOf(CKPT), CKPT, 'generator')).rejects.toThrow(`${CKPT}: holds a segmentor, not a generator`);
    // Truncated.
    await expect(importTorchSave(bytesOf(CKPT).subarray(0, 1_000_000), 'cut.pt', 'auto')).rejects.toThrow(/^cut\.pt: the zip archive is truncated/);
    // A state dict of something else (the reader's edge-case file holds no tensors dict of a model).
    await expect(importTorchSave(bytesOf('pt-edgecases.pt'), 'edge.pt', 'auto')).rejects.toThrow('edge.pt: key "meta" is not a tensor');
  });

  it('refuses a foreign pickle before running anything', async () => {
    const evil = torchZip(new PickleWriter().global('os', 'system').str('echo hi').raw(0x85).reduce().bytes(), {});
    expect(isTorchSave(evil)).toBe(true);
    await expect(importTorchSave(evil, 'evil.pt', 'auto')).rejects.toThrow('evil.pt: refusing pickle global "os.system"');
  });

  it.skipIf(!present)('loads into the reader study worker, whose organ menu changes the specialist organ', async () => {
    await tf.setBackend('cpu');
    const slots: StudyModelSlots = {};
    const info = await loadStudyModel(slots, 'segmentor', CKPT, bytesOf(CKPT));
    expect(info).toMatchObject({ fileName: CKPT, organ: 'liver', organChosen: true, labelScheme: 'specialist', patch: [96, 96, 96], spacingMm: 1.5 });
    expect(slots.segmentor!.net.config.kind).toBe('swinunetr');
    expect(setStudySegmentorOrgan(slots, 'kidney').organ).toBe('kidney');
    expect(slots.segmentor!.info.organ).toBe('kidney');
    unloadStudyModel(slots, 'segmentor');
    expect(() => setStudySegmentorOrgan(slots, 'liver')).toThrow(/nothing to choose/);
  });
});
