/**
 * The cpu fast paths beside the convolutions (channelOps.ts, layoutOps.ts) against tfjs's stock
 * cpu kernels on random shapes (odd sizes, batch > 1, broadcasts both ways), the gradient kernels
 * (Step = ReLU's gradient, MaxPool3DGrad) also through tf.grads and central differences, and a
 * whole U-Net step (batch norm, batch 2) fast against stock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fastKernelsActive, registerFastKernels, restoreStockKernels } from '../index.ts';
import { relErr } from '../testCases.ts';
import { createUNet, upsample2x } from '../../unet.ts';
import { unetConfig } from '../../config.ts';

const TOL = 1e-4;
let worst = 0;

/** Run fn with stock kernels, then with the fast ones; returns both results as plain arrays. */
function both(fn: () => tf.Tensor | tf.Tensor[]): [Float32Array[], Float32Array[], number[][]] {
  const run = () =>
    tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => ({ v: Float32Array.from(t.dataSync() as ArrayLike<number>), s: t.shape }));
    });
  restoreStockKernels();
  const stock = run();
  const res = registerFastKernels({ backends: ['cpu'], stock: false });
  expect(res.registered).toContain('cpu_MaxPool3DGrad');
  const fast = run();
  restoreStockKernels();
  return [stock.map((r) => r.v), fast.map((r) => r.v), fast.map((r, i) => (expect(r.s).toEqual(stock[i].s), r.s))];
}

function expectSame(fn: () => tf.Tensor | tf.Tensor[], tol = TOL): void {
  const [stock, fast] = both(fn);
  expect(fast.length).toBe(stock.length);
  fast.forEach((f, i) => {
    const e = relErr(f, stock[i]);
    worst = Math.max(worst, e);
    expect(e).toBeLessThan(tol);
  });
}

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('fast cpu elementwise / reduction / layout / pooling kernels', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    restoreStockKernels();
  });
  afterAll(() => {
    restoreStockKernels();
    console.log(`[cpu ops kernels] max relative error vs stock: ${worst.toExponential(2)}`);
  });

  const pairs: [number[], number[]][] = [
    [[2, 5, 6, 7, 3], [1, 1, 1, 1, 3]],
    [[1, 1, 1, 1, 3], [2, 5, 6, 7, 3]],
    [[2, 5, 6, 7, 3], [2, 5, 6, 7, 3]],
    [[2, 5, 6, 7, 3], []],
    [[], [3, 4]],
    [[2, 1, 1, 1, 3], [2, 4, 5, 3, 3]],
    [[3], [2, 4, 3]],
    [[5, 1], [1, 4]],
    [[1, 1, 1, 1, 1], [2, 3, 4, 5, 7]],
    [[3, 1, 5], [3, 4, 1]],
    [[1], [1]],
  ];
  it.each(pairs.map((p, i) => [i, p] as const))('binary ops with broadcast, case %i', (i, [sa, sb]) => {
    expectSame(() => {
      const a = rnd(sa, 100 + i);
      const b = rnd(sb, 200 + i);
      const bz = tf.add(tf.abs(b), 0.5); // keep divisors away from 0
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, bz), tf.div(bz, tf.add(tf.abs(a), 0.5))];
    });
  });

  it('binary ops on int32 still go to the stock kernels', () => {
    expectSame(() => [tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(2, 'int32')), tf.mul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor1d([3, 4], 'int32'))]);
  });

  const reductions: [number[], number[] | number, boolean][] = [
    [[2, 5, 6, 7, 3], [0, 1, 2, 3], false],
    [[2, 5, 6, 7, 3], [1, 2, 3], true],
    [[2, 5, 6, 7, 3], [1, 2, 3], false],
    [[2, 5, 6, 7, 3], -1, false],
    [[2, 5, 6, 7, 3], [0, 1, 2, 3, 4], false],
    [[2, 5, 6, 7, 3], [1, 2], true],
    [[2, 5, 6, 7, 3], [0, 2], false],
    [[1, 9, 1, 7, 1], [0, 1, 2, 3], true],
    [[4, 1, 3], [2, 0], false],
  ];
  it.each(reductions.map((r, i) => [i, r] as const))('Sum and Mean, case %i', (i, [shape, axis, keep]) => {
    expectSame(() => {
      const x = rnd(shape, 300 + i);
      return [tf.sum(x, axis, keep), tf.mean(x, axis, keep), tf.moments(x, axis, keep).variance];
    });
  });

  it('Relu, Step and the ReLU gradient (with zeros, NaN-free)', () => {
    expectSame(() => {
      const x = tf.relu(rnd([2, 5, 6, 7, 3], 5)).sub(0.3); // negatives, positives and exact −0.3
      const z = tf.concat([x.flatten(), tf.zeros([5])]);
      const dy = rnd(z.shape, 6);
      return [tf.relu(z), tf.step(z), tf.step(z, 0.25), tf.step(z, 0.1), tf.grad((t: tf.Tensor) => tf.relu(t).mul(dy).sum())(z)];
    });
    // Special values, bit for bit (−0 → +0, ±∞, NaN, float32 extremes).
    const special = [-0, 0, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-45, -1e-45, 1, -1];
    const [s0, f0] = both(() => {
      const z = tf.tensor1d(special);
      return [tf.relu(z), tf.step(z), tf.step(z, 0.1), tf.step(z, -2)];
    });
    f0.forEach((f, i) => expect(Array.from(f).map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(Array.from(s0[i]).map((v) => Object.is(v, -0) ? '-0' : String(v))));
    // Central differences of ReLU away from its kink, with the fast kernels.
    registerFastKernels({ backends: ['cpu'], stock: false });
    const x = tf.tensor1d([-1.5, -0.2, 0.3, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.relu(t).mul(tf.tensor1d([1, 2, 3, 4])).sum())(x).dataSync();
    restoreStockKernels();
    expect(Array.from(g)).toEqual([0, 0, 3, 4]);
    x.dispose();
  });

  it('SplitV and Concat on any axis, float32 and int32', () => {
    expectSame(() => {
      const x = rnd([2, 5, 6, 7, 24], 7);
      const xi = tf.cast(tf.mul(x, 10), 'int32');
      return [
        ...tf.split(x, [16, 8], 4), ...tf.split(x, [1, 4], 1), ...tf.split(x, 3, -1), ...tf.split(x, 2, 0),
        ...tf.split(xi, [5, 19], 4).map((t) => tf.cast(t, 'float32')),
        tf.concat([x, rnd([2, 5, 6, 7, 3], 8)], 4), tf.concat([x, x, x], 1), tf.concat([x, x], 0),
        tf.cast(tf.concat([xi, xi], -1), 'float32'),
      ];
    });
    // concat's gradient is SplitV.
    expectSame(() => {
      const a = rnd([2, 3, 4, 5, 16], 9);
      const b = rnd([2, 3, 4, 5, 8], 10);
      const w = rnd([2, 3, 4, 5, 24], 11);
      return tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.concat([p, q], 4).mul(w).sum())([a, b]);
    });
  });

  it('Transpose of any rank (rank 6 as in upsample2x, size-1 axes, int32)', () => {
    expectSame(() => {
      const x6 = rnd([3, 4, 5, 2, 2, 6], 12);
      const x5 = rnd([2, 1, 5, 3, 7], 13);
      return [
        tf.transpose(x6, [0, 3, 1, 4, 2, 5]), tf.transpose(x6, [5, 4, 3, 2, 1, 0]), tf.transpose(x5, [4, 0, 1, 2, 3]),
        tf.transpose(x5, [0, 2, 1, 3, 4]), tf.transpose(rnd([7, 9], 14)), tf.cast(tf.transpose(tf.cast(tf.mul(x5, 9), 'int32'), [3, 1, 4, 0, 2]), 'float32'),
      ];
    });
  });

  const pools: [number[], number | [number, number, number], number | [number, number, number], 'valid' | 'same'][] = [
    [[2, 8, 6, 10, 3], 2, 2, 'valid'],
    [[2, 7, 9, 5, 4], 2, 2, 'valid'],
    [[1, 9, 8, 7, 5], 3, 2, 'same'],
    [[3, 6, 6, 6, 2], 2, 1, 'valid'],
    [[1, 7, 6, 5, 1], [3, 2, 2], [1, 2, 2], 'same'],
  ];
  it.each(pools.map((p, i) => [i, p] as const))('MaxPool3D and MaxPool3DGrad, case %i (ties from ReLU and rounding)', (i, [shape, k, s, pad]) => {
    expectSame(() => {
      // Rounded, ReLU'd values: many equal maxima (all-zero windows), where tfjs's tie rule matters.
      const x = tf.relu(tf.round(tf.mul(rnd(shape, 400 + i), 2))) as tf.Tensor5D;
      const y = tf.maxPool3d(x, k, s, pad);
      const dy = rnd(y.shape, 500 + i);
      const dx = tf.grad((t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, k, s, pad).mul(dy).sum())(x);
      const xr = rnd(shape, 600 + i) as tf.Tensor5D;
      return [y, dx, tf.maxPool3d(xr, k, s, pad), tf.grad((t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, k, s, pad).mul(dy).sum())(xr)];
    });
  });

  it('MaxPool3DGrad agrees with central differences', () => {
    registerFastKernels({ backends: ['cpu'], stock: false });
    const x = tf.tensor5d(Float32Array.from({ length: 2 * 4 * 4 * 4 * 2 }, (_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3), [2, 4, 4, 4, 2]);
    const w = rnd([2, 2, 2, 2, 2], 21);
    const f = (t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, 2, 2, 'valid').mul(w).sum();
    const g = tf.grad(f)(x).dataSync();
    const xv = x.dataSync();
    const eps = 1e-2;
    for (const i of [0, 5, 17, 40, 63, 64, 100, 127]) {
      const p = Float32Array.from(xv);
      const m = Float32Array.from(xv);
      p[i] += eps;
      m[i] -= eps;
      const fd = ((f(tf.tensor5d(p, x.shape)).dataSync()[0] - f(tf.tensor5d(m, x.shape)).dataSync()[0]) / (2 * eps));
      expect(Math.abs(fd - g[i])).toBeLessThan(1e-3);
    }
    restoreStockKernels();
    tf.dispose([x, w]);
  });

  it('a U-Net training step (batch norm, batch 2) gives the stock outputs and gradients', () => {
    const cfg = unetConfig(2, 3, [[4, 6], [6, 8], [8, 8]], { seed: 4 });
    const net = createUNet(cfg);
    try {
      const [stock, fast] = both(() => {
        const x = rnd([2, 8, 12, 8, 2], 30) as tf.Tensor5D;
        const target = rnd([2, 8, 12, 8, 3], 31);
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x), target))) as tf.Scalar, net.variables());
        return [net.apply(x), value, ...Object.values(grads)];
      });
      // A conv bias followed by batch norm has a zero gradient (|g| ~ 1e-9 of rounding noise):
      // such tensors (max < 1e-4 of the largest gradient) are compared on the largest gradient's
      // scale, all others on their own.
      let gmax = 0;
      for (const g of stock.slice(2)) for (const v of g) gmax = Math.max(gmax, Math.abs(v));
      stock.forEach((b, i) => {
        let d = 0;
        let m = 0;
        for (let j = 0; j < b.length; j++) {
          d = Math.max(d, Math.abs(fast[i][j] - b[j]));
          m = Math.max(m, Math.abs(b[j]));
        }
        const e = d / (i >= 2 && m < 1e-4 * gmax ? gmax : m);
        worst = Math.max(worst, e);
        expect(e).toBeLessThan(1e-5);
      });
    } finally {
      net.dispose();
    }
  });

  it('the stock flag keeps every stock kernel and unet.ts on its matMul upsampling', async () => {
    const names = ['Multiply', 'Sum', 'Mean', 'SplitV', 'Concat', 'Transpose', 'MaxPool3D', 'MaxPool3DGrad', 'Relu', 'Step'];
    const before = names.map((n) => tf.getKernel(n, 'cpu'));
    const r = registerFastKernels({ backends: ['cpu'], stock: true });
    expect(r.registered).toHaveLength(0);
    expect(names.map((n) => tf.getKernel(n, 'cpu'))).toEqual(before);
    expect(fastKernelsActive('cpu')).toBe(false);
    const x = rnd([2, 3, 2, 3, 4], 40) as tf.Tensor5D;
    const k = rnd([2, 2, 2, 5, 4], 41) as tf.Tensor5D;
    const kernelsOf = async () => (await tf.profile(() => upsample2x(x, k))).kernels.map((e) => e.name);
    const stockKernels = await kernelsOf();
    expect(stockKernels).toContain('BatchMatMul');
    expect(stockKernels).not.toContain('Conv3DBackpropInputV2');
    const stockY = upsample2x(x, k);
    registerFastKernels({ backends: ['cpu'], stock: false });
    expect(fastKernelsActive('cpu')).toBe(true);
    expect(names.map((n) => tf.getKernel(n, 'cpu'))).not.toEqual(before);
    expect(await kernelsOf()).toContain('Conv3DBackpropInputV2');
    const fastY = upsample2x(x, k);
    restoreStockKernels();
    expect(names.map((n) => tf.getKernel(n, 'cpu'))).toEqual(before);
    expect(relErr(fastY.dataSync(), stockY.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, k, stockY, fastY]);
  });
});
