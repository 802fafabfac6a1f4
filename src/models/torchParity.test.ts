/**
 * Parity with PyTorch: fixtures/torchParity.safetensors is written by tools/torch_parity.py (the
 * same U-Net, Eq. 1 synthesis, losses and autograd gradients in PyTorch 1.13). This replays it.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TUMOUR_CLASSES, unetConfig } from './config.ts';
import { classifierLoss, diceCELoss, generatorLoss, segmentationLoss } from './losses.ts';
import { readSafetensors } from './safetensors.ts';
import { synthesize } from './synthesis.ts';
import { fromTorchTensor, toTorchName, toTorchTensor } from './torchNames.ts';
import { createUNet, unetParamShapes } from './unet.ts';
import { relErr } from './testUtil.ts';

const fx = readSafetensors(new Uint8Array(readFileSync(new URL('./fixtures/torchParity.safetensors', import.meta.url))));
const get = (n: string) => {
  const t = fx.tensors.get(n);
  if (!t) throw new Error(`fixture lacks ${n}`);
  return t;
};
const encoder = JSON.parse(fx.metadata.encoder) as number[][];

function net(tag: string, out: number) {
  const cfg = unetConfig(1, out, encoder);
  const w = new Map<string, tf.Tensor>();
  for (const [name, shape] of unetParamShapes(cfg)) {
    const t = get(`weight.${tag}.${toTorchName(name)}`);
    const ours = fromTorchTensor(name, t.data as Float32Array, t.shape);
    expect(ours.shape).toEqual(shape);
    w.set(name, tf.tensor(ours.data, ours.shape));
  }
  return createUNet(cfg, w);
}
const t5 = (n: string) => tf.tensor5d(get(n).data as Float32Array, get(n).shape as [number, number, number, number, number]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe(`PyTorch parity (fixture from torch ${fx.metadata.torch})`, () => {
  const TOL = 1e-4;
  it('U-Net forward, synthesis, segmentor/classifier logits, every loss and dL_G/dθ_G agree', async () => {
    const G = net('G', 3);
    const S = net('S', 7);
    const C = net('C', 3);
    const image = t5('input.image');
    const synthMask = t5('input.synthMask');
    const realMask = t5('input.realMask');
    const inputs = { image, softMask: t5('input.softMask'), texture: t5('input.texture'), organChannel: Array.from(get('input.organChannel').data as Int32Array) };
    const labels = tf.tensor4d(get('input.labels').data as Int32Array, get('input.labels').shape as [number, number, number, number], 'int32');
    const U = TUMOUR_CLASSES.universal;
    const g = G.apply(image);
    const xhat = synthesize(g, inputs);
    const s = S.apply(xhat);
    const c = C.apply(xhat);
    const t = generatorLoss(s, c, synthMask, U, 0.1);
    const losses = tf.stack([t.seg, t.adv, t.total, segmentationLoss(s, synthMask, U, 'euclidean'), classifierLoss(c, synthMask, realMask), diceCELoss(s, labels), diceCELoss(s, labels, undefined, [0.4, 1])]);
    const report: Record<string, number> = {};
    const cmp = async (name: string, got: tf.Tensor, want: string) => {
      report[name] = relErr(await got.data(), get(want).data as Float32Array);
    };
    await cmp('generator', g, 'output.generator');
    await cmp('synthesis', xhat, 'output.synthesis');
    await cmp('segmentor', s, 'output.segmentor');
    await cmp('classifier', c, 'output.classifier');
    await cmp('losses', losses, 'output.losses');
    const { grads } = tf.variableGrads(() => generatorLoss(S.apply(synthesize(G.apply(image), inputs)), C.apply(synthesize(G.apply(image), inputs)), synthMask, U, 0.1).total, G.variables());
    // Conv biases that feed batch norm have a true gradient of 0 (the norm removes the mean): both
    // sides return float noise there, so each parameter is compared relative to the largest
    // gradient of the whole network rather than to its own.
    const all: number[] = [];
    const ref: number[] = [];
    for (const [name, v] of G.params) {
      const want = get(`grad.G.${toTorchName(name)}`);
      const ours = toTorchTensor(name, (await grads[v.name].data()) as Float32Array, v.shape);
      all.push(...ours.data);
      ref.push(...(want.data as Float32Array));
    }
    report.generatorGrads = relErr(all, ref);
    console.log('[torchParity] max relative errors', JSON.stringify(Object.fromEntries(Object.entries(report).map(([k, v]) => [k, Number(v.toExponential(2))]))));
    for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(TOL);
  });
});
