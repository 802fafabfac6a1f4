/**
 * The segmentor's architecture as a config choice: `--segmentor-arch swinunetr|unet` and
 * `preset.segmentor.kind` in a config file; a tiny SwinUNETR S trains through the CLI and its
 * checkpoint restores as one.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePreset, PRESETS, readCheckpoint, restoreNetwork } from '../../models/index.ts';
import { loadConfig } from '../config.ts';
import { demoPairs, jsonLines, runCli, TINY_TEST_CONFIG, writeJson } from '../train/testRun.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-segarch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('segmentor architecture choice', () => {
  it('paper S is the paper\'s SwinUNETR, tiny S a U-Net; switching keeps the classes', () => {
    expect(PRESETS.paper.segmentor).toMatchObject({ kind: 'swinunetr', featureSize: 48, outChannels: 7, useV2: true, imgSize: [96, 96, 96] });
    expect(PRESETS.tiny.segmentor.kind).toBe('unet3d');
    const p = makePreset('tiny', { labelScheme: 'specialist', segmentor: { kind: 'swinunetr', outChannels: 3 } });
    expect(p.segmentor).toMatchObject({ kind: 'swinunetr', featureSize: 12, window: 3, outChannels: 3, imgSize: [32, 32, 32] });
    expect(makePreset('paper', { segmentor: { kind: 'unet3d' } }).segmentor).toMatchObject({ kind: 'unet3d', norm: 'instance', encoder: PRESETS.paper.generator.encoder });
  });

  it('a config file chooses the kind and its fields; bad kinds and crops are refused naming the source', async () => {
    const file = join(dir, 'swin.json');
    await writeJson(file, { preset: { name: 'tiny', segmentor: { kind: 'swinunetr', featureSize: 24 } } });
    const c = await loadConfig({ file });
    expect(c.preset.segmentor).toMatchObject({ kind: 'swinunetr', featureSize: 24, outChannels: 7 });

    const bad = join(dir, 'bad.json');
    await writeJson(bad, { preset: { segmentor: { kind: 'vit' } } });
    await expect(loadConfig({ file: bad })).rejects.toThrow(new RegExp(`${bad}: preset.segmentor.kind must be unet3d or swinunetr, got "vit"`));

    await expect(loadConfig({ presetName: 'tiny', overrides: [{ what: '--segmentor-arch', value: { preset: { patch: [16, 16, 16], segmentor: { kind: 'swinunetr' } } } }] })).rejects.toThrow(
      /preset.patch 16×16×16 must be a multiple of 32 for the SwinUNETR segmentor/,
    );
  });

  it('--segmentor-arch swinunetr trains a tiny SwinUNETR S for two steps; the checkpoint restores it', { timeout: 180_000 }, async () => {
    await demoPairs(join(dir, 'pairs'), ['a']);
    const config = join(dir, 'config.json');
    await writeJson(config, TINY_TEST_CONFIG);
    const manifest = join(dir, 'manifest.json');
    expect((await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '1')).code).toBe(0);
    const common = ['--manifest', manifest, '--preset', 'tiny', '--config', config, '--backend', 'cpu', '--cache', join(dir, 'cache')];

    const wrong = await runCli('train-segmentor', ...common, '--out', join(dir, 'x'), '--segmentor-arch', 'vit');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--segmentor-arch must be swinunetr or unet, got 'vit'/);

    const out = join(dir, 's1');
    const r = await runCli('train-segmentor', ...common, '--out', out, '--segmentor-arch', 'swinunetr', '--patch', '32', '--batch', '1', '--steps', '2', '--handcrafted-tumours');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const metrics = jsonLines<{ step: number; loss: number }>(await readFile(join(out, 'metrics.jsonl'), 'utf8'));
    expect(metrics.map((l) => l.step)).toEqual([1, 2]);
    expect(metrics.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
    const saved = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(saved.preset.segmentor).toMatchObject({ kind: 'swinunetr', featureSize: 12 });

    const ck = readCheckpoint(new Uint8Array(await readFile(join(out, 'checkpoints/step-00000002/model.safetensors'))));
    expect(ck.manifest.networks.S.config).toMatchObject({ kind: 'swinunetr', featureSize: 12, outChannels: 7 });
    expect(ck.tensors.has('S.swinViT.patch_embed.proj.weight')).toBe(true);
    expect(ck.manifest.optimizers.S.step).toBe(2);
    const S = restoreNetwork(ck, 'S', { role: 'segmentor', config: saved.preset.segmentor });
    expect(S.config.kind).toBe('swinunetr');
    S.dispose();
    // A U-Net is not this S: the architecture check names the kind.
    expect(() => restoreNetwork(ck, 'S', { config: PRESETS.tiny.segmentor })).toThrow(/architecture differs in kind — checkpoint has swinunetr .* expected unet3d/);
  });
});
