/**
 * `freetumor import-checkpoint` on the official fixtures (../shared/fixtures/official-freetumor):
 * the real torch.save of a small SwinUNETR segmentor becomes a specialist S that reproduces
 * PyTorch's output; the partial TGAN.pt is refused naming its missing keys; and an imported S
 * runs through `evaluate --checkpoint DIR` with no other flag.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, restoreNetwork } from '../../models/index.ts';
import { fixtureInput, fixturePath, formulaWeights, ndhwcToNcdhw, officialFixturesPresent, readF32, readKeys, relativeMaxError } from '../testing/officialFixtures.ts';
import { swinUnetrWeightsToTorch } from '../../models/swinUnetr/index.ts';
import type { SwinUNETRConfig } from '../../models/config.ts';
import { initBackend } from '../backend.ts';
import { writeNiftiFile } from '../io.ts';
import { runCliProcess } from '../testing/cliProcess.ts';
import { runCli } from '../testing/runCli.ts';

const present = officialFixturesPresent('freetumor import-checkpoint');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-import-'));
  // With the fast cpu kernels, as the CLI runs: the stock conv3d takes minutes at 64³.
  await initBackend('cpu');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('freetumor import-checkpoint', () => {
  it('--help', async () => {
    const r = await runCli('import-checkpoint', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: freetumor import-checkpoint FILE\.pt --out DIR/);
    expect(r.stdout).toContain('--organ');
  });

  it('refuses a file that is not a torch.save archive, naming it', async () => {
    const bad = join(dir, 'notes.pt');
    await writeFile(bad, 'not a zip at all');
    const r = await runCli('import-checkpoint', bad, '--out', join(dir, 'bad'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(bad);
  });

  it.skipIf(!present)('a SwinUNETR segmentor .pt: 3 classes need --organ; imported, it reproduces PyTorch', { timeout: 60_000 }, async () => {
    const pt = fixturePath('ckpt-swinunetr-fs12-oc3.pt');
    const noOrgan = await runCli('import-checkpoint', pt, '--out', join(dir, 'x'));
    expect(noOrgan.code).toBe(2);
    expect(noOrgan.stderr).toContain(pt);
    expect(noOrgan.stderr).toMatch(/3-class specialist segmentor .* pass --organ liver\|pancreas\|kidney/);

    const out = join(dir, 'fs12');
    const r = await runCli('import-checkpoint', pt, '--out', out, '--organ', 'liver');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const sha = createHash('sha256').update(await readFile(pt)).digest('hex');
    expect(summary.source).toMatchObject({ fileName: 'ckpt-swinunetr-fs12-oc3.pt', sha256: sha, epoch: 19, bestAcc: 0.625 });
    expect(summary.checkpoints).toHaveLength(1);
    expect(summary.checkpoints[0].file).toBe(join(out, 'model.safetensors'));

    const ck = readCheckpoint(new Uint8Array(await readFile(join(out, 'model.safetensors'))));
    expect(ck.manifest.card).toMatchObject({ preset: 'paper', labelScheme: 'specialist', organ: 'liver' });
    expect(ck.manifest.card.provenance).toMatchObject({ patch: [96, 96, 96], spacingMm: 1.5, importedFrom: { fileName: 'ckpt-swinunetr-fs12-oc3.pt', sha256: sha, epoch: 19, bestAcc: 0.625 } });
    const entry = ck.manifest.networks.S;
    expect(entry).toMatchObject({ role: 'segmentor', labelScheme: 'specialist', config: { kind: 'swinunetr', featureSize: 12, outChannels: 3, useV2: true } });

    // The weights back in PyTorch's layout equal the fixture formula bit for bit.
    const S = restoreNetwork(ck, 'S', { role: 'segmentor' });
    try {
      const back = new Map((await swinUnetrWeightsToTorch(S.params, entry.config as SwinUNETRConfig)).map((e) => [e.key, e]));
      const expected = formulaWeights(readKeys('swinunetr-fs12-oc3'));
      expect(expected.length).toBeGreaterThan(100);
      for (const w of expected) {
        const got = back.get(w.key);
        expect(got?.shape, w.key).toEqual(w.shape);
        expect(Buffer.from((got!.data as Float32Array).buffer).equals(Buffer.from(w.data.buffer)), w.key).toBe(true);
      }
      // And the forward pass gives PyTorch's stored output.
      const n = 64;
      const x = tf.tensor5d(fixtureInput(n), [1, n, n, n, 1]);
      const y = S.apply(x);
      const ours = ndhwcToNcdhw((await y.data()) as Float32Array, 3, n, n, n);
      tf.dispose([x, y]);
      const err = relativeMaxError(ours, readF32('out-swinunetr-fs12-oc3-64.f32'));
      expect(err.maxRef).toBeGreaterThan(0.1);
      expect(err.rel).toBeLessThanOrEqual(1e-3);
    } finally {
      S.dispose();
    }
  });

  it.skipIf(!present)('in its own process, as a user runs it: no tfjs-node banner on stderr', { timeout: 90_000 }, async () => {
    // In-process the backend was quieted by beforeAll already; a fresh process is the real check.
    const r = await runCliProcess(['import-checkpoint', fixturePath('ckpt-swinunetr-fs12-oc3.pt'), '--out', join(dir, 'proc'), '--organ', 'liver'], { timeoutMs: 80_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.skipIf(!present)('refuses the partial TGAN.pt, naming missing keys of each part', async () => {
    const pt = fixturePath('ckpt-tgan-dummy.pt');
    const out = join(dir, 'tgan');
    const r = await runCli('import-checkpoint', pt, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(pt);
    expect(r.stderr).toMatch(/incomplete TGAN checkpoint \(16 keys\)/);
    expect(r.stderr).toMatch(/netG: .*missing "down_tr64\.ops\.1\.conv1\.weight"/);
    expect(r.stderr).toMatch(/netD: .*missing "down_tr64\.ops\.0\.conv1\.bias"/);
    expect(r.stderr).toMatch(/netSeg: SwinUNETR \(feature size 48\) misses 155 parameter\(s\): "swinViT\.layers1\.0\.blocks\.0\.norm1\.weight"/);
    // Nothing half-imported is left behind.
    await expect(readFile(join(out, 'generator', 'model.safetensors'))).rejects.toThrow();
  });

  it.skipIf(!present)('round trip: import → evaluate --checkpoint DIR with no other flag', { timeout: 60_000 }, async () => {
    // Trained at a 32³ ROI (--roi), so one window covers the 32³ scan below and the test stays quick.
    const out = join(dir, 'rt');
    const imp = await runCli('import-checkpoint', fixturePath('ckpt-swinunetr-fs12-oc3.pt'), '--out', out, '--organ', 'liver', '--roi', '32');
    expect(imp.code).toBe(0);
    // A 32³ scan at 1.5 mm in LiTS labels: liver (1) with a tumour (2).
    const n = 32;
    const affine = [1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1];
    const image = new Float32Array(n ** 3);
    const label = new Uint8Array(n ** 3);
    for (let z = 0; z < n; z++)
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          const i = x + n * (y + n * z);
          const liver = (x - 16) ** 2 + (y - 16) ** 2 + (z - 16) ** 2 < 100;
          const tumour = (x - 18) ** 2 + (y - 16) ** 2 + (z - 16) ** 2 < 9;
          label[i] = tumour ? 2 : liver ? 1 : 0;
          image[i] = tumour ? 20 : liver ? 90 : -60;
        }
    const pairs = join(dir, 'pairs');
    await mkdir(join(pairs, 'images'), { recursive: true });
    await mkdir(join(pairs, 'labels'), { recursive: true });
    await writeNiftiFile(join(pairs, 'images', 'c1.nii.gz'), { dims: [n, n, n], affine, data: image } as never);
    await writeNiftiFile(join(pairs, 'labels', 'c1.nii.gz'), { dims: [n, n, n], affine, data: label } as never);
    const manifest = join(dir, 'manifest.json');
    const m = await runCli('manifest', '--out', manifest, '--pairs', `${pairs}:lits:lits`, '--folds', '1');
    expect(m.stderr).not.toMatch(/problem/i);
    expect(m.code).toBe(0);

    const evalDir = join(dir, 'eval');
    const r = await runCli('evaluate', '--manifest', manifest, '--checkpoint', out, '--out', evalDir, '--backend', 'cpu');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/c1 1 windows/);
    const cfg = JSON.parse(await readFile(join(evalDir, 'config.json'), 'utf8'));
    // Everything came from the card: the paper preset, its 32³ crop at 1.5 mm, the specialist
    // liver scheme and the imported SwinUNETR.
    expect(cfg.preset).toMatchObject({ name: 'paper', patch: [32, 32, 32], spacingMm: 1.5, labelScheme: 'specialist', segmentor: { kind: 'swinunetr', featureSize: 12, outChannels: 3 } });
    expect(cfg.run.organ).toBe('liver');
    const ev = JSON.parse(await readFile(join(evalDir, 'evaluation.json'), 'utf8'));
    expect(JSON.stringify(ev)).toContain('liver');
  });
});
