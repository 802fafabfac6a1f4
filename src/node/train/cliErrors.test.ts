/**
 * Bad input to the training commands fails fast with exit 2 and a message naming the file: a bad
 * config, a bad manifest, a checkpoint of another architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentor, makePreset, saveCheckpoint } from '../../models/index.ts';
import { demoPairs, runCli, TINY_TEST_CONFIG, writeJson } from './testRun.ts';

let dir: string;
let manifest: string;
let config: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ftw-clierr-'));
  await demoPairs(join(dir, 'pairs'), ['a']);
  manifest = join(dir, 'manifest.json');
  config = join(dir, 'config.json');
  await writeJson(config, TINY_TEST_CONFIG);
  expect((await runCli('manifest', '--out', manifest, '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo`, '--folds', '1', '--check', 'none')).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = () => ['--preset', 'tiny', '--backend', 'cpu', '--cache', join(dir, 'cache')];

describe('training commands refuse bad input with exit 2', () => {
  it('a config with an unknown key', async () => {
    const bad = join(dir, 'bad-config.json');
    await writeJson(bad, { ...TINY_TEST_CONFIG, run: { ...TINY_TEST_CONFIG.run, bacth: 4 } });
    const r = await runCli('train-segmentor', ...base(), '--manifest', manifest, '--config', bad, '--out', join(dir, 'o1'), '--handcrafted-tumours');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toMatch(/unknown key 'run\.bacth'/);
  });

  it('a manifest that is not valid', async () => {
    const bad = join(dir, 'bad-manifest.json');
    await writeFile(bad, JSON.stringify({ version: 1, root: '.', folds: 1, seed: 0, cases: [{ id: 'x', source: 's', image: 'i.nii.gz', label: 'l.nii.gz', labeled: false, fold: 3 }] }));
    const r = await runCli('train-segmentor', ...base(), '--manifest', bad, '--config', config, '--out', join(dir, 'o2'), '--handcrafted-tumours');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toMatch(/labelMap is required/);
    expect(r.stderr).toMatch(/fold must be an integer in 0\.\.0/);
    const missing = await runCli('evaluate', ...base(), '--manifest', join(dir, 'nope.json'), '--checkpoint', bad, '--out', join(dir, 'o3'));
    expect(missing.code).toBe(2);
  });

  it('a stage-1 checkpoint of another architecture', async () => {
    const other = makePreset('tiny', { segmentor: { encoder: [[2, 2], [2, 4]] } });
    const S = createSegmentor(other.segmentor, 'universal');
    const ckDir = join(dir, 'other');
    await mkdir(ckDir, { recursive: true });
    const file = join(ckDir, 'model.safetensors');
    await writeFile(file, await saveCheckpoint({ networks: { S }, step: 0, card: { preset: 'tiny', provenance: {} } }));
    S.dispose();
    const r = await runCli('train-synthesis', ...base(), '--manifest', manifest, '--config', config, '--segmentor', ckDir, '--out', join(dir, 'o4'), '--steps', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--config ${config} contradicts the model card of ${file}: segmentor architecture encoder [[2,4],[4,8]] here, [[2,2],[2,4]] on the card`);
    // Overriding the card cannot make the weights another architecture.
    const forced = await runCli('train-synthesis', ...base(), '--manifest', manifest, '--config', config, '--segmentor', ckDir, '--out', join(dir, 'o4b'), '--steps', '1', '--override-card');
    expect(forced.code).toBe(2);
    expect(forced.stderr).toContain(file);
    expect(forced.stderr).toMatch(/architecture differs in encoder/);
    const wrongRole = await runCli('train-segmentation', ...base(), '--manifest', manifest, '--config', config, '--generator', file, '--segmentor', file, '--out', join(dir, 'o5'));
    expect(wrongRole.code).toBe(2);
    expect(wrongRole.stderr).toContain(file);
    expect(wrongRole.stderr).toMatch(/no network "G"/);
  });
});
