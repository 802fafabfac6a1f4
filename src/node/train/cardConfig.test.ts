/**
 * Model cards as configuration, with the shipped demo models (public/models): the commands that
 * load a checkpoint take preset, patch, spacing, label scheme, organ and architecture from its
 * card; a flag may repeat a card value, a contradicting one is refused naming both values unless
 * --override-card; two cards that disagree are refused naming both files.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGAN_IDS } from '../../core/labels.ts';
import { Rng } from '../../core/random.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { readCheckpoint, writeLoadedCheckpoint } from '../../models/checkpoint.ts';
import { writeNiftiFile } from '../io.ts';
import { cardDefaults, checkCards } from './cardConfig.ts';
import { openCheckpoint } from './runSetup.ts';
import { REPO, runCli } from './testRun.ts';

const DEMO_S = join(REPO, 'public/models/demo-segmentor.safetensors');
const DEMO_G = join(REPO, 'public/models/demo-generator.safetensors');

let dir: string;
let manifest: string;

/**
 * A 3 mm abdomen-like phantom (soft tissue, a liver ellipsoid with a darker tumour sphere), so the
 * test does not depend on third-party data: the demo models need only a liver to work on.
 */
async function phantom(root: string): Promise<string> {
  const dims: Vec3 = [40, 40, 24];
  const affine: Mat4 = [3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1];
  const n = dims[0] * dims[1] * dims[2];
  const image = new Int16Array(n);
  const label = new Uint8Array(n);
  const rng = new Rng(11);
  for (let z = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++) {
        const i = x + dims[0] * (y + dims[1] * z);
        const body = ((x - 20) / 18) ** 2 + ((y - 20) / 16) ** 2 <= 1;
        const liver = ((x - 18) / 11) ** 2 + ((y - 20) / 9) ** 2 + ((z - 12) / 8) ** 2 <= 1;
        const tumour = (x - 16) ** 2 + (y - 20) ** 2 + (z - 12) ** 2 <= 9;
        const hu = tumour ? 20 : liver ? 60 : body ? 30 : -1000;
        image[i] = Math.round(hu + rng.normal(0, 5));
        label[i] = tumour ? ORGAN_IDS.liver.tumor : liver ? ORGAN_IDS.liver.organ : 0;
      }
  await mkdir(join(root, 'images'), { recursive: true });
  await mkdir(join(root, 'labels'), { recursive: true });
  await writeNiftiFile(join(root, 'images/p.nii.gz'), { dims, affine, data: image }, { datatype: 'int16' });
  await writeNiftiFile(join(root, 'labels/p.nii.gz'), { dims, affine, data: label }, { datatype: 'uint8' });
  const file = join(root, 'manifest.json');
  const m = { version: 1, root: '.', folds: 1, seed: 0, cases: [{ id: 'phantom/p', source: 'phantom', image: 'images/p.nii.gz', label: 'labels/p.nii.gz', labelMap: 'project', labeled: true, fold: 0 }] };
  await writeFile(file, JSON.stringify(m));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-card-'));
  manifest = await phantom(join(dir, 'data'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = async (out: string) => JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));

describe('what a card pins', () => {
  it('the demo segmentor: tiny, 16³ at 3 mm, specialist liver, its U-Net', async () => {
    const c = cardDefaults(await openCheckpoint(DEMO_S), 'S');
    expect(c.presetName).toBe('tiny');
    expect(Object.fromEntries(c.pins)).toMatchObject({
      'preset.name': 'tiny',
      'preset.patch': [16, 16, 16],
      'preset.spacingMm': 3,
      'preset.labelScheme': 'specialist',
      'run.organ': 'liver',
      'preset.segmentor.kind': 'unet3d',
      'preset.segmentor.outChannels': 3,
      'preset.segmentor.encoder': [[4, 8], [8, 16]],
    });
    // The init seed is no part of the architecture.
    expect(c.pins.has('preset.segmentor.seed')).toBe(false);
    // A frozen filter S gives its classes to the run's S, not its architecture.
    const f = cardDefaults(await openCheckpoint(DEMO_S), 'S', { architecture: false });
    expect([...f.pins.keys()].some((k) => k.startsWith('preset.segmentor.'))).toBe(false);
    expect(f.value).toMatchObject({ preset: { segmentor: { outChannels: 3 } } });
  });

  it('a repeated value passes, a contradiction names both, --override-card lets it through', async () => {
    const S = cardDefaults(await openCheckpoint(DEMO_S), 'S');
    expect(checkCards([S], [{ what: '--patch 16', value: { preset: { patch: [16, 16, 16] } } }], false)).toEqual([]);
    expect(() => checkCards([S], [{ what: '--patch 32', value: { preset: { patch: [32, 32, 32] } } }], false)).toThrow(
      `--patch 32 contradicts the model card of ${DEMO_S}: patch 32×32×32 here, 16×16×16 on the card`,
    );
    const notes = checkCards([S], [{ what: '--patch 32', value: { preset: { patch: [32, 32, 32] } } }], true);
    expect(notes).toEqual([`--patch 32 overrides the model card of ${DEMO_S}: patch 32×32×32 here, 16×16×16 on the card`]);
    // A --config file that names another architecture is a contradiction too.
    expect(() => checkCards([S], [{ what: '--config c.json', value: { preset: { segmentor: { encoder: [[2, 4], [4, 8]] } } } }], false)).toThrow(
      /--config c\.json contradicts .*segmentor architecture encoder \[\[2,4\],\[4,8\]\] here, \[\[4,8\],\[8,16\]\] on the card/,
    );
  });

  it('two cards that disagree are refused naming both files, settled only by an explicit value with --override-card', async () => {
    const G = cardDefaults(await openCheckpoint(DEMO_G), 'G');
    const other = await openCheckpoint(DEMO_S);
    other.ck.manifest.card.provenance = { ...other.ck.manifest.card.provenance, spacingMm: 2 };
    other.file = '/x/s2mm.safetensors';
    const S = cardDefaults(other, 'S');
    const msg = `the model cards disagree on the spacing (mm): 3 in ${DEMO_G}, 2 in /x/s2mm.safetensors`;
    expect(() => checkCards([G, S], [], false)).toThrow(msg);
    expect(() => checkCards([G, S], [], true)).toThrow(msg);
    expect(() => checkCards([G, S], [{ what: '--set preset.spacingMm=2', value: { preset: { spacingMm: 2 } } }], false)).toThrow(msg);
    expect(checkCards([G, S], [{ what: '--set preset.spacingMm=2', value: { preset: { spacingMm: 2 } } }], true)).toEqual([`${msg}; --set preset.spacingMm=2 sets 2 (--override-card)`]);
    // The value the config ends with is the last source's.
    const both = checkCards([G, S], [{ what: '--config c.json', value: { preset: { spacingMm: 3 } } }, { what: '--set preset.spacingMm=2', value: { preset: { spacingMm: 2 } } }], true);
    expect(both[0]).toBe(`${msg}; --set preset.spacingMm=2 sets 2 (--override-card)`);
  });
});

describe('the demo models need no guessed flags', () => {
  it('evaluate --checkpoint takes preset, patch, spacing, organ from the card; a repeat is fine, a contradiction is refused', { timeout: 120_000 }, async () => {
    const out = join(dir, 'ev');
    const r = await runCli('evaluate', '--manifest', manifest, '--checkpoint', DEMO_S, '--out', out, '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const cfg = await config(out);
    expect(cfg.preset).toMatchObject({ name: 'tiny', patch: [16, 16, 16], spacingMm: 3, labelScheme: 'specialist', segmentor: { kind: 'unet3d', encoder: [[4, 8], [8, 16]] } });
    expect(cfg.run.organ).toBe('liver');
    // Specialist for the liver: one organ row, one labelled case.
    expect(r.stdout).toMatch(/\| liver \| 1 \|/);
    expect(r.stdout).not.toMatch(/\| pancreas \|/);

    const same = await runCli('evaluate', '--manifest', manifest, '--checkpoint', DEMO_S, '--out', join(dir, 'ev2'), '--backend', 'cpu', '--preset', 'tiny', '--patch', '16', '--organ', 'liver');
    expect(same.code, same.stderr).toBe(0);

    const bad = await runCli('evaluate', '--manifest', manifest, '--checkpoint', DEMO_S, '--out', join(dir, 'ev3'), '--backend', 'cpu', '--patch', '32', '--organ', 'pancreas');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--patch 32 contradicts the model card of ${DEMO_S}: patch 32×32×32 here, 16×16×16 on the card`);
    expect(bad.stderr).toContain(`--organ pancreas contradicts the model card of ${DEMO_S}: organ pancreas here, liver on the card`);
    expect(bad.stderr).toMatch(/--override-card/);

    const over = await runCli('evaluate', '--manifest', manifest, '--checkpoint', DEMO_S, '--out', join(dir, 'ev4'), '--backend', 'cpu', '--patch', '32', '--override-card');
    expect(over.code, over.stderr).toBe(0);
    expect(over.stderr).toContain('note: --patch 32 overrides the model card');
    expect((await config(join(dir, 'ev4'))).preset.patch).toEqual([32, 32, 32]);
  });

  it('synthesize --generator --segmentor takes both cards; a contradiction of either is refused', { timeout: 120_000 }, async () => {
    const out = join(dir, 'syn');
    const r = await runCli('synthesize', '--manifest', manifest, '--generator', DEMO_G, '--segmentor', DEMO_S, '--out', out, '--backend', 'cpu', '--retries', '1', '--cache', join(dir, 'cache'));
    expect(r.code, r.stderr).toBe(0);
    const cfg = await config(out);
    expect(cfg.preset).toMatchObject({ name: 'tiny', patch: [16, 16, 16], spacingMm: 3, labelScheme: 'specialist', generator: { encoder: [[4, 8], [8, 16]] } });
    expect(cfg.run.organ).toBe('liver');
    expect(JSON.parse(r.stdout).cases).toBe(1);

    const bad = await runCli('synthesize', '--manifest', manifest, '--generator', DEMO_G, '--segmentor', DEMO_S, '--out', join(dir, 'syn2'), '--backend', 'cpu', '--preset', 'paper');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--preset paper contradicts the model card of ${DEMO_G}: preset paper here, tiny on the card`);
    expect(bad.stderr).toContain(`--preset paper contradicts the model card of ${DEMO_S}: preset paper here, tiny on the card`);

    // A segmentor card at another spacing than the generator's: refused, both files named.
    const ck = readCheckpoint(new Uint8Array(await readFile(DEMO_S)));
    ck.manifest.card.provenance = { ...ck.manifest.card.provenance, spacingMm: 2 };
    const s2 = join(dir, 's2mm.safetensors');
    await writeFile(s2, writeLoadedCheckpoint(ck));
    const dis = await runCli('synthesize', '--manifest', manifest, '--generator', DEMO_G, '--segmentor', s2, '--out', join(dir, 'syn3'), '--backend', 'cpu');
    expect(dis.code).toBe(2);
    expect(dis.stderr).toContain(`the model cards disagree on the spacing (mm): 3 in ${DEMO_G}, 2 in ${s2}`);
  });

  it('train-synthesis and train-segmentation take the frozen models\' cards', { timeout: 180_000 }, async () => {
    const common = ['--manifest', manifest, '--backend', 'cpu', '--cache', join(dir, 'cache'), '--steps', '1', '--batch', '1', '--workers', '1'];
    const s2 = join(dir, 'stage2');
    const r2 = await runCli('train-synthesis', ...common, '--segmentor', DEMO_S, '--out', s2);
    expect(r2.code, r2.stderr).toBe(0);
    expect((await config(s2)).preset).toMatchObject({ name: 'tiny', patch: [16, 16, 16], spacingMm: 3, labelScheme: 'specialist' });

    const s3 = join(dir, 'stage3');
    const r3 = await runCli('train-segmentation', ...common, '--generator', DEMO_G, '--segmentor', DEMO_S, '--out', s3);
    expect(r3.code, r3.stderr).toBe(0);
    const cfg3 = await config(s3);
    expect(cfg3.preset).toMatchObject({ name: 'tiny', patch: [16, 16, 16], spacingMm: 3, labelScheme: 'specialist', segmentor: { outChannels: 3 } });
    expect(cfg3.run.organ).toBe('liver');
    // The S trained here is the run's own: another architecture than the filter's is not a conflict.
    const r3b = await runCli('train-segmentation', ...common, '--generator', DEMO_G, '--segmentor', DEMO_S, '--out', join(dir, 'stage3b'), '--set', 'preset.segmentor.encoder=[[2,4],[4,8]]');
    expect(r3b.code, r3b.stderr).toBe(0);
  });
});
