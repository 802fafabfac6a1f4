import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../models/index.ts';
import { defaultConfig, loadConfig, parseSet, preprocessOf } from './config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, value: unknown): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

describe('run config', () => {
  it('holds METHOD.md defaults', () => {
    const c = defaultConfig('paper');
    expect(c.preset).toEqual(PRESETS.paper);
    expect(c.preset.quality.threshold).toBe(0.7);
    expect(c.preset.stage2.lambdaCls).toBe(0.1);
    expect(c.sampling).toMatchObject({ labeledOversample: 10, positiveFraction: 0.5, cropsPerVisit: 4 });
    expect(c.synthesisSampling.sourceOversample).toMatchObject({ lits: 200, 'msd-pancreas': 100, kits: 100 });
    expect(c.preprocess).toEqual({ windowLo: -175, windowHi: 250, marginMm: 24 });
    expect(c.position.blurSigma).toEqual([1, 2]);
    expect(c.position.centre.band).toEqual([0.3, 0.7]);
    expect(c.texture).toMatchObject({ sigmaA: 3, sigmaB: 4, scale: [0.19, 0.21], base: [0.04, 0.06], beta: [0.5, 0.55] });
    expect(c.handcrafted.darkening).toEqual([0.2, 0.7]);
    expect(c.run.offlineRetries).toBe(10);
    expect(preprocessOf(c)).toMatchObject({ spacing: [1.5, 1.5, 1.5], patch: [96, 96, 96] });
  });

  it('file then flags override the preset; the config.json of a run loads back', async () => {
    const f = await file('ok.json', { preset: { name: 'tiny', stage2: { lambdaCls: 0.3 } }, sampling: { sourceOversample: { mine: 7 } } });
    const c = await loadConfig({ file: f, overrides: [{ what: '--set', value: parseSet('preset.quality.threshold=0.5') }] });
    expect(c.preset.patch).toEqual(PRESETS.tiny.patch);
    expect(c.preset.stage2.lambdaCls).toBe(0.3);
    expect(c.preset.quality.threshold).toBe(0.5);
    expect(c.sampling.sourceOversample).toEqual({ mine: 7 });
    const back = await file('back.json', { ...c, command: { name: 'train-segmentor' } });
    expect(await loadConfig({ file: back })).toEqual(c);
  });

  it('rejects unknown keys and wrong types, naming the file and every problem', async () => {
    const f = await file('bad.json', { preset: { stage2: { lambdaCLS: 0.2 } }, run: { batch: '4' }, nonsense: 1 });
    const e = await loadConfig({ file: f }).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    const msg = (e as Error).message;
    expect(msg).toContain(f);
    expect(msg).toMatch(/unknown key 'preset\.stage2\.lambdaCLS'/);
    expect(msg).toMatch(/'run\.batch' must be a number/);
    expect(msg).toMatch(/unknown key 'nonsense'/);
    await expect(loadConfig({ file: await file('notjson.json', '{') })).rejects.toThrow(/notjson\.json: not valid JSON/);
    await expect(loadConfig({ presetName: 'huge' })).rejects.toThrow(/unknown --preset 'huge'/);
    await expect(loadConfig({ presetName: 'tiny', overrides: [{ what: '--set', value: parseSet('preset.patch=[31,31,31]') }] })).rejects.toThrow(/multiple of 2/);
    await expect(loadConfig({ presetName: 'tiny', overrides: [{ what: '--set', value: parseSet('preset.segmentor.norm=batch') }] })).rejects.toThrow(
      /preset\.segmentor\.norm must not be 'batch'/,
    );
  });

  it('--set parses JSON values and keeps plain strings', () => {
    expect(parseSet('run.backend=cpu')).toEqual({ run: { backend: 'cpu' } });
    expect(parseSet('preset.patch=[8,8,8]')).toEqual({ preset: { patch: [8, 8, 8] } });
    expect(() => parseSet('novalue')).toThrow(/key\.path=value/);
  });
});
