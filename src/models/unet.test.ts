import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, unetConfig } from './config.ts';
import { countParams, createUNet, upsample2x } from './unet.ts';
import { createClassifier, createGenerator, createSegmentor, assertTrainableBackend } from './networks.ts';
import { gradCheck, randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('3-D U-Net', () => {
  it('paper preset has the measured 19.07 M parameters (PyTorch count of the same architecture)', () => {
    const n = countParams({ ...PRESETS.paper.generator, outChannels: 1 });
    expect(n / 1e6).toBeCloseTo(19.07, 2);
  });

  it('tiny preset runs forward with the right output shape and frees its intermediates', () => {
    const cfg = unetConfig(1, 3, [[2, 4], [4, 8], [8, 8]], { seed: 5 });
    const net = createUNet(cfg);
    const x = tf.tensor5d(randomArray(16 ** 3, 1), [1, 16, 16, 16, 1]);
    const before = tf.memory().numTensors;
    const y = net.apply(x);
    expect(y.shape).toEqual([1, 16, 16, 16, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
  });

  it('upsample2x equals tf.conv3dTranspose (stride 2, kernel 2) and has gradients', async () => {
    const x = tf.tensor5d(randomArray(2 * 3 * 4 * 5 * 3, 21, -1, 1), [2, 3, 4, 5, 3]);
    const k = tf.tensor5d(randomArray(8 * 2 * 3, 22, -1, 1), [2, 2, 2, 2, 3]);
    const want = tf.conv3dTranspose(x, k, [2, 6, 8, 10, 2], 2, 'same');
    const got = upsample2x(x, k);
    expect(got.shape).toEqual([2, 6, 8, 10, 2]);
    const [a, b] = [await got.data(), await want.data()];
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(upsample2x(t as tf.Tensor5D, k))))(x);
    expect(g.shape).toEqual(x.shape);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = createUNet(unetConfig(1, 2, [[2, 4]], { seed: 1 }));
    const b = createUNet(unetConfig(1, 2, [[2, 4]], { seed: 1 }));
    const c = createUNet(unetConfig(1, 2, [[2, 4]], { seed: 2 }));
    const ka = await a.params.get('enc0.conv0.kernel')!.data();
    expect(Array.from(await b.params.get('enc0.conv0.kernel')!.data())).toEqual(Array.from(ka));
    expect(Array.from(await c.params.get('enc0.conv0.kernel')!.data())).not.toEqual(Array.from(ka));
    [a, b, c].forEach((n) => n.dispose());
  });

  it('supports instance norm and no norm, and rejects bad inputs clearly', () => {
    for (const norm of ['instance', 'none'] as const) {
      const net = createUNet(unetConfig(1, 2, [[2], [4]], { norm }));
      const y = net.apply(tf.ones([2, 8, 8, 8, 1]) as tf.Tensor5D);
      expect(y.shape).toEqual([2, 8, 8, 8, 2]);
      expect(() => net.apply(tf.ones([1, 7, 8, 8, 1]) as tf.Tensor5D)).toThrow(/divisible by 2/);
      expect(() => net.apply(tf.ones([1, 8, 8, 8, 2]) as tf.Tensor5D)).toThrow(/input channel/);
      net.dispose();
    }
  });

  it('batch-statistics norm matches a hand computation on a one-level net', async () => {
    const net = createUNet(unetConfig(1, 2, [[3]], { activation: 'elu' }));
    const P = (n: string) => net.params.get(n)!;
    P('enc0.norm0.gamma').assign(tf.tensor1d([0.5, 2, -1]));
    P('enc0.norm0.beta').assign(tf.tensor1d([0.1, -0.3, 0.7]));
    P('enc0.conv0.bias').assign(tf.tensor1d([1, 2, 3]));
    const x = tf.tensor5d(randomArray(2 * 8 ** 3, 3, 0, 5), [2, 8, 8, 8, 1]);
    const got = net.apply(x);
    const want = tf.tidy(() => {
      const c = tf.add(tf.conv3d(x, P('enc0.conv0.kernel') as tf.Tensor5D, 1, 'same'), tf.reshape(P('enc0.conv0.bias'), [1, 1, 1, 1, 3]));
      const cs = tf.unstack(c, 4).map((ch, i) => {
        const { mean, variance } = tf.moments(ch);
        const g = [0.5, 2, -1][i];
        const b = [0.1, -0.3, 0.7][i];
        return tf.add(tf.mul(tf.div(tf.sub(ch, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
      });
      const h = tf.elu(tf.stack(cs, 4)) as tf.Tensor5D;
      return tf.add(tf.conv3d(h, P('head.kernel') as tf.Tensor5D, 1, 'same'), tf.reshape(P('head.bias'), [1, 1, 1, 1, 2]));
    });
    const a = await got.data();
    const b = await want.data();
    let maxErr = 0;
    for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    expect(maxErr).toBeLessThan(1e-4);
    net.dispose();
  });

  it('finite-difference gradients through the whole U-Net (batch and instance norm, pooling, upsampling)', async () => {
    for (const norm of ['batch', 'instance'] as const) {
      const net = createUNet(unetConfig(1, 2, [[2], [3]], { norm, seed: 9, activation: 'elu' }));
      const x = tf.tensor5d(randomArray(2 * 4 ** 3, 8, -1, 1), [2, 4, 4, 4, 1]);
      const w = tf.tensor5d(randomArray(2 * 4 ** 3 * 2, 9, -1, 1), [2, 4, 4, 4, 2]);
      // w.r.t. the input (exercises every layer's input gradient) and one encoder kernel.
      const fx = (t: tf.Tensor) => tf.sum(tf.mul(net.apply(t as tf.Tensor5D), w)) as tf.Scalar;
      const rx = await gradCheck(fx, x, { eps: 1e-2, floor: 1e-2, probes: 8 });
      expect(rx.maxRelErr, `${norm} input: ${JSON.stringify(rx.worst)}`).toBeLessThan(3e-2);
      const k = net.params.get('enc1.conv0.kernel')!;
      const k0 = k.clone();
      const fk = (t: tf.Tensor) => {
        k.assign(t);
        return tf.sum(tf.mul(net.apply(x), w)) as tf.Scalar;
      };
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), w)) as tf.Scalar, [k]);
      const analytic = await grads[k.name].data();
      const base = await k0.data();
      let worst = 0;
      for (const i of [0, 7, 20, 33, 53]) {
        const eval_ = async (d: number) => {
          const a = Float32Array.from(base);
          a[i] += d;
          return (await fk(tf.tensor(a, k.shape)).data())[0];
        };
        const numeric = ((await eval_(1e-2)) - (await eval_(-1e-2))) / 2e-2;
        worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(Math.abs(numeric), 1e-2));
      }
      k.assign(k0);
      expect(worst, `${norm} kernel`).toBeLessThan(3e-2);
      net.dispose();
    }
  });

  it('roles check their heads; wasm is refused for training', () => {
    const g = createGenerator(PRESETS.tiny.generator);
    expect(g.role).toBe('generator');
    g.dispose();
    expect(() => createClassifier(unetConfig(1, 2, [[2]]))).toThrow(/outChannels = 3/);
    const s = createSegmentor(unetConfig(1, 3, [[2]], { norm: 'instance' }), 'specialist');
    expect(s.labelScheme).toBe('specialist');
    s.dispose();
    expect(() => assertTrainableBackend('wasm')).toThrow(/wasm/);
    expect(() => assertTrainableBackend('cpu')).not.toThrow();
  });

  it('takes weights by name and rejects a wrong architecture', () => {
    const cfg = unetConfig(1, 2, [[2, 4], [4, 4]]);
    const a = createUNet(cfg);
    const w = new Map<string, tf.Tensor>([...a.params].map(([k, v]) => [k, v as tf.Tensor]));
    const before = tf.memory().numTensors;
    const b = createUNet(cfg, w);
    expect(tf.memory().numTensors - before).toBe(a.params.size); // only the new variables
    expect([...b.params.keys()]).toEqual([...a.params.keys()]);
    expect(() => createUNet(unetConfig(1, 2, [[2, 8], [8, 4]]), w)).toThrow(/shape/);
    expect(() => createUNet(unetConfig(1, 2, [[2, 4], [4, 4], [4, 4]]), w)).toThrow(/lack parameter "enc2/);
    a.dispose();
    b.dispose();
  });
});
