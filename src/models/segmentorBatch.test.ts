/**
 * S's prediction for one sample must not depend on its batch (issue 14 item 2): S normalises per
 * sample (norm 'instance'), a batch-statistics S is refused, and sliding-window output does not
 * depend on how windows are grouped into forward passes. Each "same" check is paired with the
 * batch-statistics network it replaces, which does differ, so the checks can fail.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, TUMOUR_CLASSES, unetConfig, type UNetConfig } from './config.ts';
import { readCheckpoint, restoreNetwork, saveCheckpoint } from './checkpoint.ts';
import { createSegmentor, type Network } from './networks.ts';
import { qualityTest } from './qualityTest.ts';
import { slidingWindowInference } from './slidingWindow.ts';
import { createUNet } from './unet.ts';
import { randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 12;
const N = D ** 3;
const cfg: UNetConfig = unetConfig(1, 3, [[4, 8], [8, 16]], { seed: 5, norm: 'instance' });
const TUMOUR = TUMOUR_CLASSES.specialist;

/** Sample 0's logits and its P for mask M, with `others` (each N values) batched after it. */
async function predictSample0(net: { apply(x: tf.Tensor5D): tf.Tensor5D }, x0: Float32Array, others: Float32Array[], M: Float32Array) {
  const B = 1 + others.length;
  const x = new Float32Array(B * N);
  x.set(x0);
  others.forEach((o, i) => x.set(o, (i + 1) * N));
  const m = new Float32Array(B * N);
  for (let b = 0; b < B; b++) m.set(M, b * N);
  const xt = tf.tensor5d(x, [B, D, D, D, 1]);
  const mt = tf.tensor5d(m, [B, D, D, D, 1]);
  const logits = net.apply(xt);
  const first = tf.slice(logits, [0, 0, 0, 0, 0], [1, -1, -1, -1, -1]);
  const argmax = tf.argMax(first, 4);
  const out = {
    logits: (await first.data()) as Float32Array,
    argmax: (await argmax.data()) as Int32Array,
    P: (await qualityTest(logits, mt, TUMOUR)).P[0],
  };
  tf.dispose([xt, mt, logits, first, argmax]);
  return out;
}

describe('segmentor normalisation', () => {
  it('every preset gives S instance norm and keeps batch statistics for G and C (as the reference)', () => {
    for (const p of Object.values(PRESETS)) {
      // A SwinUNETR S normalises per sample by construction (LayerNorm, InstanceNorm3d).
      if (p.segmentor.kind === 'unet3d') expect(p.segmentor.norm, p.name).toBe('instance');
      else expect(p.segmentor.kind, p.name).toBe('swinunetr');
      expect(p.generator.norm, p.name).toBe('batch');
      expect(p.classifier.norm, p.name).toBe('batch');
    }
  });

  it("refuses an S with norm 'batch', also when a checkpoint holds one", async () => {
    expect(() => createSegmentor({ ...cfg, norm: 'batch' }, 'specialist')).toThrow(
      /segmentor S with norm 'batch' refused: .*depend on the other samples in its batch; use norm 'instance'/,
    );
    // A checkpoint written before this change: a batch-statistics segmentor.
    const old: Network = Object.assign(createUNet({ ...cfg, norm: 'batch' }), { role: 'segmentor' as const, labelScheme: 'specialist' as const });
    const ck = readCheckpoint(await saveCheckpoint({ networks: { S: old }, step: 1, card: { preset: 'tiny', provenance: {} } }));
    old.dispose();
    expect(() => restoreNetwork(ck, 'S', { role: 'segmentor' })).toThrow(/norm 'batch' refused/);
  });

  it('P and argmax of one sample are identical at batch 1 and batch 4; with batch statistics they are not', async () => {
    const x0 = randomArray(N, 1);
    // Three different companions: other intensity ranges, so batch statistics would move a lot.
    const others = [randomArray(N, 2, -1, 0), randomArray(N, 3, 0, 3), randomArray(N, 4, 0.4, 0.6)];
    const S = createSegmentor(cfg, 'specialist');
    // M: every voxel S calls tumour at batch 1 plus as many it does not, so 0 < P < 1 and any
    // change of the prediction inside M changes P.
    const alone0 = await predictSample0(S, x0, [], new Float32Array(N));
    const M = new Float32Array(N);
    let tumour = 0;
    alone0.argmax.forEach((k, v) => {
      if (TUMOUR.includes(k)) {
        M[v] = 1;
        tumour++;
      }
    });
    expect(tumour).toBeGreaterThan(30);
    let added = 0;
    for (let v = 0; v < N && added < tumour; v++) if (!M[v]) (M[v] = 1), added++;

    const alone = await predictSample0(S, x0, [], M);
    const batched = await predictSample0(S, x0, others, M);
    expect(alone.P).toBeCloseTo(0.5, 2);
    expect(batched.P).toBe(alone.P);
    expect(Array.from(batched.argmax)).toEqual(Array.from(alone.argmax));
    let maxDiff = 0;
    for (let i = 0; i < alone.logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(batched.logits[i] - alone.logits[i]));
    expect(maxDiff).toBeLessThanOrEqual(1e-6);

    // The same weights with batch statistics (the old S): the companions change sample 0's answer.
    const w = new Map<string, tf.Tensor>([...S.params].map(([k, v]) => [k, v as tf.Tensor]));
    const B = createUNet({ ...cfg, norm: 'batch' }, w);
    const bAlone = await predictSample0(B, x0, [], M);
    const bBatched = await predictSample0(B, x0, others, M);
    expect(bBatched.P).not.toBe(bAlone.P);
    B.dispose();
    S.dispose();
  });
});

describe('sliding window and batch grouping', () => {
  const dims: [number, number, number] = [14, 12, 10];
  const vol = { data: randomArray(dims[0] * dims[1] * dims[2], 9, -0.5, 1.5), dims };
  const opts = { patch: [8, 8, 8] as [number, number, number], overlap: 0.5, keepProbabilities: true };

  it('gives the same labels and probabilities whatever the number of windows per forward pass', async () => {
    const S = createSegmentor({ ...cfg, seed: 6 }, 'specialist');
    const one = await slidingWindowInference(S, vol, { ...opts, batch: 1 });
    expect(one.windows).toBe(12);
    expect(new Set(one.labels).size).toBeGreaterThan(1);
    for (const batch of [5, 12]) {
      const r = await slidingWindowInference(S, vol, { ...opts, batch });
      expect(Array.from(r.labels), `batch ${batch}`).toEqual(Array.from(one.labels));
      let maxDiff = 0;
      r.probabilities!.forEach((p, k) => p.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - one.probabilities![k][i])))));
      expect(maxDiff, `batch ${batch}`).toBeLessThanOrEqual(1e-6);
    }
    S.dispose();
  });

  it('refuses a batch-statistics network, whose windows would depend on their grouping', async () => {
    const B = createUNet({ ...cfg, norm: 'batch' });
    await expect(slidingWindowInference(B, vol, { ...opts, batch: 1 })).rejects.toThrow(/refuses a network with norm 'batch'/);
    B.dispose();
  });
});
