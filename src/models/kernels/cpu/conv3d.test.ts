import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fastKernelsActive, registerConv3dTransposeGradient, registerFastKernels, restoreStockKernels } from '../index.ts';
import { fastConv3dAvailable } from './conv3d.ts';
import { CONV_CASES, relErr, type ConvCase } from '../testCases.ts';

const TOL = 1e-4;
const worst = [0, 0, 0];

/** Seeds must be non-zero: tfjs treats seed 0 as "unseeded". */
function runAll(c: ConvCase, seed: number) {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor5D;
    const w = tf.randomNormal(c.f, 0, 1, 'float32', seed + 1) as tf.Tensor5D;
    const y = tf.conv3d(x, w, c.stride, c.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2) as tf.Tensor5D;
    const dx = tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, { strides: c.stride, pad: c.pad, inputShape: c.x }) as tf.Tensor;
    const dw = tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides: c.stride, pad: c.pad, filterShape: c.f }) as tf.Tensor;
    return [y, dx, dw].map((t) => t.dataSync().slice());
  });
}

describe('fast cpu conv3d kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    restoreStockKernels();
  });
  afterAll(() => {
    restoreStockKernels();
    console.log(`[cpu conv3d kernels] max relative error vs stock: fwd ${worst[0].toExponential(2)}, dx ${worst[1].toExponential(2)}, dw ${worst[2].toExponential(2)}`);
  });

  it('has WebAssembly SIMD in this engine', () => {
    expect(fastConv3dAvailable()).toBe(true);
  });

  it.each(CONV_CASES.map((c, i) => [i, c] as const))('case %i matches the stock kernels (fwd, dx, dw)', (i, c) => {
    const stock = runAll(c, 10 * i + 1);
    const res = registerFastKernels({ backends: ['cpu'], stock: false });
    expect(res.registered).toContain('cpu_Conv3D');
    const fast = runAll(c, 10 * i + 1);
    restoreStockKernels();
    fast.forEach((f, k) => {
      const e = relErr(f, stock[k]);
      worst[k] = Math.max(worst[k], e);
      expect(e).toBeLessThan(TOL);
    });
  });

  it('gives the stock gradients through tf.grads (two layers, stride 2 then 1)', () => {
    const loss = (...[x, w1, w2]: tf.Tensor[]) =>
      tf.conv3d(tf.relu(tf.conv3d(x as tf.Tensor5D, w1 as tf.Tensor5D, 2, 'same')), w2 as tf.Tensor5D, 1, 'same').square().mean();
    const grads = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 8, 7, 3], 0, 1, 'float32', 5) as tf.Tensor5D;
        const w1 = tf.randomNormal([3, 3, 3, 3, 8], 0, 0.3, 'float32', 6) as tf.Tensor5D;
        const w2 = tf.randomNormal([3, 3, 3, 8, 4], 0, 0.3, 'float32', 7) as tf.Tensor5D;
        return tf.grads(loss)([x, w1, w2]).map((g) => g.dataSync().slice());
      });
    const stock = grads();
    registerFastKernels({ backends: ['cpu'], stock: false });
    const fast = grads();
    restoreStockKernels();
    for (let k = 0; k < 3; k++) expect(relErr(fast[k], stock[k])).toBeLessThan(TOL);
  });

  it('agrees with central differences of the loss (float64 reference arithmetic is not available, so loose)', () => {
    registerFastKernels({ backends: ['cpu'], stock: false });
    try {
      const x = tf.randomNormal([1, 5, 4, 6, 2], 0, 1, 'float32', 11) as tf.Tensor5D;
      const w = tf.randomNormal([3, 3, 3, 2, 3], 0, 0.5, 'float32', 12) as tf.Tensor5D;
      const f = (...[xx, ww]: tf.Tensor[]) => tf.conv3d(xx as tf.Tensor5D, ww as tf.Tensor5D, [2, 1, 2], 'same').square().sum();
      const [gx, gw] = tf.grads(f)([x, w]);
      const xv = x.dataSync() as Float32Array;
      const wv = w.dataSync() as Float32Array;
      const h = 1e-2;
      const fd = (vals: Float32Array, which: 'x' | 'w', i: number) => {
        const at = (d: number) => {
          const v = vals.slice();
          v[i] += d;
          return tf.tidy(() => (which === 'x' ? f(tf.tensor5d(v, x.shape), w) : f(x, tf.tensor5d(v, w.shape))).dataSync()[0]);
        };
        return (at(h) - at(-h)) / (2 * h);
      };
      const gxv = gx.dataSync();
      const gwv = gw.dataSync();
      for (const i of [0, 7, 33, 101, 200]) expect(Math.abs(fd(xv, 'x', i) - gxv[i])).toBeLessThan(2e-2 * (1 + Math.abs(gxv[i])));
      for (const i of [0, 13, 29, 53]) expect(Math.abs(fd(wv, 'w', i) - gwv[i])).toBeLessThan(2e-2 * (1 + Math.abs(gwv[i])));
      tf.dispose([x, w, gx, gw]);
    } finally {
      restoreStockKernels();
    }
  });

  it('keeps the stock kernels reachable: restore, the stock flag, and dilated convs fall back', () => {
    const before = tf.getKernel('Conv3D', 'cpu');
    registerFastKernels({ backends: ['cpu'], stock: false });
    expect(fastKernelsActive('cpu')).toBe(true);
    expect(tf.getKernel('Conv3D', 'cpu')).not.toBe(before);
    restoreStockKernels();
    expect(tf.getKernel('Conv3D', 'cpu')).toBe(before);
    expect(fastKernelsActive('cpu')).toBe(false);

    const r = registerFastKernels({ backends: ['cpu'], stock: true });
    expect(r.registered).toHaveLength(0);
    expect(tf.getKernel('Conv3D', 'cpu')).toBe(before);

    const dil = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([1, 7, 7, 7, 2], 0, 1, 'float32', 3) as tf.Tensor5D;
        const w = tf.randomNormal([3, 3, 3, 2, 3], 0, 1, 'float32', 4) as tf.Tensor5D;
        return tf.conv3d(x, w, 1, 'same', 'NDHWC', 2).dataSync().slice();
      });
    const s = dil();
    registerFastKernels({ backends: ['cpu'], stock: false });
    const fst = dil();
    restoreStockKernels();
    expect(relErr(fst, s)).toBe(0);
  });
});

describe('cpu channel-bias fast paths (Add, Sum)', () => {
  it('match the stock kernels, including fallbacks for other shapes', async () => {
    await tf.setBackend('cpu');
    const run = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 3, 4, 5, 6], 0, 1, 'float32', 31);
        const b5 = tf.randomNormal([1, 1, 1, 1, 6], 0, 1, 'float32', 32);
        const b1 = tf.randomNormal([6], 0, 1, 'float32', 33);
        const other = tf.randomNormal([2, 1, 4, 1, 6], 0, 1, 'float32', 34);
        return [
          tf.add(x, b5), tf.add(b5, x), tf.add(x, b1), tf.add(x, other), tf.add(x, x),
          tf.sum(x, [0, 1, 2, 3]), tf.sum(x, [3, 1, 0, 2], true), tf.sum(x, [-5, -4, -3, -2]), tf.sum(x, [1, 2]), tf.sum(x),
          tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32')),
        ].map((t) => ({ shape: t.shape, v: t.dataSync().slice() }));
      });
    const stock = run();
    registerFastKernels({ backends: ['cpu'], stock: false });
    const fast = run();
    restoreStockKernels();
    fast.forEach((f, i) => {
      expect(f.shape).toEqual(stock[i].shape);
      expect(relErr(f.v, stock[i].v)).toBeLessThan(1e-6);
    });
  });
});

describe('Conv3DBackpropInputV2 gradient (conv3dTranspose in training)', () => {
  it('matches finite differences and the equivalent conv3d adjoint identity', async () => {
    await tf.setBackend('cpu');
    registerConv3dTransposeGradient();
    registerFastKernels({ backends: ['cpu'], stock: false });
    try {
      const dy = tf.randomNormal([2, 3, 4, 3, 4], 0, 1, 'float32', 21) as tf.Tensor5D;
      const w = tf.randomNormal([2, 2, 2, 3, 4], 0, 0.5, 'float32', 22) as tf.Tensor5D;
      const r = tf.randomNormal([2, 6, 8, 6, 3], 0, 1, 'float32', 23) as tf.Tensor5D;
      const f = (...[a, b]: tf.Tensor[]) => tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, [2, 6, 8, 6, 3], 2, 'same').mul(r).sum();
      const [gdy, gw] = tf.grads(f)([dy, w]);
      // L = <convᵀ(dy, W), r> = <dy, conv3d(r, W)>, so ∂L/∂dy = conv3d(r, W) exactly.
      expect(relErr(gdy.dataSync(), tf.conv3d(r, w, 2, 'same').dataSync())).toBeLessThan(TOL);
      const wv = w.dataSync() as Float32Array;
      const gwv = gw.dataSync();
      const h = 1e-2;
      for (const i of [0, 5, 17, 40, 95]) {
        const at = (d: number) => {
          const v = wv.slice();
          v[i] += d;
          return tf.tidy(() => f(dy, tf.tensor5d(v, w.shape)).dataSync()[0]);
        };
        expect(Math.abs((at(h) - at(-h)) / (2 * h) - gwv[i])).toBeLessThan(1e-2 * (1 + Math.abs(gwv[i])));
      }
      tf.dispose([dy, w, r, gdy, gw]);
    } finally {
      restoreStockKernels();
    }
  });
});
