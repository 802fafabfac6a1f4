/**
 * The WGSL kernels against tfjs's stock webgpu kernels and the cpu backend, in Node through Dawn
 * (npm "webgpu"; on a CPU-only machine Mesa's lavapipe). Without an adapter the suite is skipped
 * with the reason printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { probeWebGPU } from '../../../node/backend.ts';
import { registerFastKernels, restoreStockKernels } from '../index.ts';
import { CONV_CASES, relErr, type ConvCase } from '../testCases.ts';

const TOL = 1e-4;
const probe = await probeWebGPU();
if (!probe.ok) console.warn(`[webgpu conv3d kernels] SKIPPED: ${probe.reason}`);

/** Async reads: webgpu's dataSync needs OffscreenCanvas, which Node lacks. */
async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const out = await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(ts);
  return out;
}

function runAll(c: ConvCase, seed: number): Promise<Float32Array[]> {
  return read(tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', seed) as tf.Tensor5D;
    const w = tf.randomNormal(c.f, 0, 1, 'float32', seed + 1) as tf.Tensor5D;
    const y = tf.conv3d(x, w, c.stride, c.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 2) as tf.Tensor5D;
    const dx = tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, { strides: c.stride, pad: c.pad, inputShape: c.x }) as tf.Tensor;
    const dw = tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides: c.stride, pad: c.pad, filterShape: c.f }) as tf.Tensor;
    return [y, dx, dw];
  }));
}

const worst = [0, 0, 0];

describe.skipIf(!probe.ok)('fast webgpu conv3d kernels (Dawn)', () => {
  beforeAll(async () => {
    restoreStockKernels();
    // Reference: the cpu backend's stock kernels (tfjs's webgpu Conv3D grads are the naive ones,
    // equally a valid reference, but cpu is the one every other test trusts).
    await tf.setBackend('webgpu');
  });
  afterAll(async () => {
    restoreStockKernels();
    console.log(`[webgpu conv3d kernels] max relative error vs cpu stock: fwd ${worst[0].toExponential(2)}, dx ${worst[1].toExponential(2)}, dw ${worst[2].toExponential(2)} (${probe.ok ? probe.adapter : ''})`);
    await tf.setBackend('cpu');
  });

  it.each(CONV_CASES.map((c, i) => [i, c] as const))('case %i matches the cpu reference (fwd, dx, dw)', async (i, c) => {
    await tf.setBackend('cpu');
    const ref = await runAll(c, 10 * i + 1);
    await tf.setBackend('webgpu');
    const res = registerFastKernels({ backends: ['webgpu'], stock: false });
    expect(res.registered).toHaveLength(3);
    const fast = await runAll(c, 10 * i + 1);
    restoreStockKernels();
    fast.forEach((f, k) => {
      const e = relErr(f, ref[k]);
      worst[k] = Math.max(worst[k], e);
      expect(e).toBeLessThan(TOL);
    });
  });

  it('gives the cpu gradients through tf.grads (two layers, stride 2 then 1)', async () => {
    const grads = () =>
      read(tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 8, 7, 3], 0, 1, 'float32', 5) as tf.Tensor5D;
        const w1 = tf.randomNormal([3, 3, 3, 3, 8], 0, 0.3, 'float32', 6) as tf.Tensor5D;
        const w2 = tf.randomNormal([3, 3, 3, 8, 4], 0, 0.3, 'float32', 7) as tf.Tensor5D;
        const loss = (...[a, b, c]: tf.Tensor[]) =>
          tf.conv3d(tf.relu(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 2, 'same')), c as tf.Tensor5D, 1, 'same').square().mean();
        return tf.grads(loss)([x, w1, w2]);
      }));
    await tf.setBackend('cpu');
    const ref = await grads();
    await tf.setBackend('webgpu');
    registerFastKernels({ backends: ['webgpu'], stock: false });
    const fast = await grads();
    restoreStockKernels();
    for (let k = 0; k < 3; k++) expect(relErr(fast[k], ref[k])).toBeLessThan(TOL);
  });
});
