/**
 * The largest-tensor predictions against what a real forward / training step allocates (every
 * tensor the cpu backend writes is recorded), and the refusal message against a small limit —
 * read from a real WebGPU device (Dawn + lavapipe, 128 MiB) where one exists.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWebGPU } from '../node/backend.ts';
import { PRESETS, unetConfig } from './config.ts';
import { activeBufferLimit, assertFitsDevice, DeviceLimitError, deviceLimitRefusal, largestTensor } from './deviceLimits.ts';
import { createSwinUNETR } from './swinUnetr/model.ts';
import { swinUnetrConfig } from './swinUnetr/config.ts';
import { createUNet } from './unet.ts';
import { randomArray } from './testUtil.ts';
import { registerFastKernels } from './kernels/index.ts';
import { ATTENTION_CHUNK_BYTES, attentionChunkWindows, chunkedWindowAttention } from './swinUnetr/attentionChunks.ts';

interface Written {
  bytes: number;
  shape: number[];
}

/**
 * Records every tensor the cpu backend stores (all go through its write()): `during(f)` gives the
 * largest written while f runs; the recorder is removed by stop().
 */
function recorder() {
  const be = tf.backend() as unknown as { write(values: unknown, shape: number[], dtype: string): unknown };
  const original = be.write;
  let best: Written = { bytes: 0, shape: [] };
  be.write = function (values, shape, dtype) {
    const bytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'bool' ? 1 : dtype === 'complex64' ? 8 : 4);
    if (bytes > best.bytes) best = { bytes, shape: [...shape] };
    return original.call(this, values, shape, dtype);
  };
  return {
    during(f: () => void): Written {
      best = { bytes: 0, shape: [] };
      f();
      return best;
    },
    stop: () => {
      be.write = original;
    },
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  // The Node CLI's cpu kernels (their outputs are tensors like any other).
  registerFastKernels({ backends: ['cpu'] });
});

describe('largestTensor against measured allocations (cpu)', () => {
  const unet = unetConfig(1, 3, [[4, 8], [8, 16]], { norm: 'batch' });
  const dims = [16, 8, 16] as const;

  it('U-Net: weights, forward (the decoder concatenation) and training step, exactly', () => {
    const rec = recorder();
    try {
      let net!: ReturnType<typeof createUNet>;
      const created = rec.during(() => (net = createUNet(unet)));
      const x = tf.tensor5d(randomArray(2 * 16 * 8 * 16, 1), [2, ...dims, 1]);
      const forward = rec.during(() => tf.tidy(() => void net.apply(x)));
      const training = rec.during(() => tf.tidy(() => void tf.variableGrads(() => tf.mean(tf.square(net.apply(x))), net.variables())));
      const want = largestTensor(unet, dims, { batch: 2, weights: false });
      expect(want.shape).toEqual([2, 16, 8, 16, 24]);
      expect(forward).toEqual({ bytes: want.bytes, shape: want.shape });
      // Gradients add no tensor larger than the forward's.
      expect(training.bytes).toBe(largestTensor(unet, dims, { batch: 2, pass: 'training', weights: false }).bytes);
      const withWeights = largestTensor(unet, dims, { batch: 2 });
      expect(Math.max(created.bytes, forward.bytes)).toBe(withWeights.bytes);
      x.dispose();
      net.dispose();
    } finally {
      rec.stop();
    }
  });

  it('SwinUNETR forward on cpu (fused attention, mask values only): decoder1 concatenation; the largest weight', () => {
    const swin = swinUnetrConfig({ featureSize: 12, imgSize: [32, 32, 32] });
    const rec = recorder();
    try {
      let net!: ReturnType<typeof createSwinUNETR>;
      const created = rec.during(() => (net = createSwinUNETR(swin)));
      const x = tf.tensor5d(randomArray(32 ** 3, 2, -1, 1), [1, 32, 32, 32, 1]);
      const forward = rec.during(() => tf.tidy(() => void net.apply(x)));
      const want = largestTensor(swin, [32, 32, 32], { backend: 'cpu', weights: false });
      expect(want.what).toMatch(/decoder1/);
      expect(forward).toEqual({ bytes: want.bytes, shape: want.shape });
      const all = largestTensor(swin, [32, 32, 32], { backend: 'cpu' });
      expect(all.what).toBe('the weight encoder10.layer.conv1.conv.weight');
      expect(created).toEqual({ bytes: all.bytes, shape: all.shape });
      x.dispose();
      net.dispose();
    } finally {
      rec.stop();
    }
  });

  it('attention gradient: scores of one chunk of windows at a time, as predicted', () => {
    // Stage 1 of a 32³ input (16³ tokens padded to 21³): 27 windows × 3 heads of 343 tokens.
    const [nW, heads, n, hd] = [27, 3, 343, 4];
    const q = tf.tensor3d(randomArray(nW * heads * n * hd, 3, -1, 1), [nW * heads, n, hd]);
    const k = tf.tensor3d(randomArray(nW * heads * n * hd, 4, -1, 1), [nW * heads, n, hd]);
    const v = tf.tensor3d(randomArray(nW * heads * n * hd, 5, -1, 1), [nW * heads, n, hd]);
    const bias = tf.tensor2d(randomArray(heads * n * n, 6, -0.1, 0.1), [heads, n * n]);
    const budget = 10 * heads * n * n * 4; // ten windows per chunk
    const rec = recorder();
    try {
      const grad = (b: number) =>
        rec.during(() => tf.tidy(() => void tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(chunkedWindowAttention(a as tf.Tensor3D, c as tf.Tensor3D, d as tf.Tensor3D, bias, { heads, windows: nW }, b)))([q, k, v])));
      expect(grad(budget).shape).toEqual([attentionChunkWindows(nW, heads, n, budget) * heads, n, n]);
      expect(grad(budget).shape).toEqual([30, n, n]);
      expect(grad(ATTENTION_CHUNK_BYTES).shape).toEqual([nW * heads, n, n]);
    } finally {
      rec.stop();
      tf.dispose([q, k, v, bias]);
    }
  });
});

describe('paper-size predictions', () => {
  it('paper G at 96³ needs the 192-channel full-resolution concatenation (679 MB)', () => {
    const need = largestTensor(PRESETS.paper.generator, [96, 96, 96]);
    expect(need.shape).toEqual([1, 96, 96, 96, 192]);
    expect(need.bytes).toBe(96 ** 3 * 192 * 4);
  });

  it('SwinUNETR fs48 at 96³: attention is chunked below the full-resolution tensors', () => {
    const fwd = largestTensor(PRESETS.paper.segmentor, [96, 96, 96], { backend: 'webgpu' });
    expect(fwd.what).toMatch(/decoder1/);
    expect(fwd.bytes).toBe(96 ** 3 * 96 * 4);
    const train = largestTensor(PRESETS.paper.segmentor, [96, 96, 96], { pass: 'training', backend: 'webgpu' });
    expect(train.bytes).toBe(fwd.bytes);
  });

  it('refuses bad input with a clear message', () => {
    expect(() => largestTensor(PRESETS.paper.generator, [96, 96])).toThrow(/patch must be 3 positive integers/);
    expect(() => largestTensor(PRESETS.paper.generator, [96, 96, 96], { batch: 0 })).toThrow(/batch must be a positive integer/);
  });
});

describe('refusal', () => {
  const lavapipe = { bytes: 128 * 2 ** 20, device: 'lavapipe: llvmpipe' };
  const advice = 'use --backend cpu, a smaller patch, or a GPU with larger limits';

  it('names the tensor, the need, the limit and the way out', () => {
    const err = deviceLimitRefusal([{ label: 'generator G', config: PRESETS.paper.generator, patch: [96, 96, 96] }], lavapipe, advice);
    expect(err).toBeInstanceOf(DeviceLimitError);
    expect(err!.message).toMatch(/^generator G \(unet3d\) at 96×96×96: its forward needs a 679 MB tensor \(decoder level 0 concatenation/);
    expect(err!.message).toMatch(/allows 128 MiB per buffer \(lavapipe: llvmpipe\).*use --backend cpu, a smaller patch, or a GPU with larger limits$/);
  });

  it('passes what fits, and the first pass that does not is the one named', () => {
    const small = { label: 'generator G', config: PRESETS.paper.generator, patch: [32, 32, 32] };
    expect(deviceLimitRefusal([small], lavapipe, advice)).toBeNull();
    const err = deviceLimitRefusal([small, { label: 'segmentor S', config: PRESETS.paper.segmentor, patch: [96, 96, 96] }], lavapipe, advice);
    expect(err!.message).toMatch(/^segmentor S \(swinunetr\) at 96×96×96: its forward needs a 340 MB tensor/);
    // SwiftShader's 1 GiB takes both.
    expect(deviceLimitRefusal([small, { label: 'S', config: PRESETS.paper.segmentor, patch: [96, 96, 96] }], { bytes: 2 ** 30, device: 'SwiftShader' }, advice)).toBeNull();
  });

  it('has nothing to refuse on cpu (no per-buffer limit)', () => {
    expect(activeBufferLimit()).toBeNull();
    expect(() => assertFitsDevice([{ label: 'G', config: PRESETS.paper.generator, patch: [96, 96, 96] }], advice)).not.toThrow();
  });
});

const probe = process.env.FREETUMOR_SKIP_WEBGPU === '1' ? { ok: false as const, reason: 'disabled by FREETUMOR_SKIP_WEBGPU=1' } : await probeWebGPU();
if (!probe.ok) console.warn(`[deviceLimits] SKIPPING the real-device test: ${probe.reason}`);

describe.skipIf(!probe.ok)('on a real WebGPU device (Dawn)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reads the device limit and refuses the paper G at 96³ before running it', () => {
    const limit = activeBufferLimit();
    expect(limit).not.toBeNull();
    const bindable = (tf.backend() as unknown as { device: GPUDevice }).device.limits;
    expect(limit!.bytes).toBe(Math.min(bindable.maxStorageBufferBindingSize, bindable.maxBufferSize));
    const before = tf.memory().numTensors;
    const pass = { label: 'generator G', config: PRESETS.paper.generator, patch: [96, 96, 96] };
    if (limit!.bytes < 96 ** 3 * 192 * 4) {
      expect(() => assertFitsDevice([pass], 'use --backend cpu')).toThrow(/needs a 679 MB tensor.*this WebGPU device allows/);
    } else {
      expect(() => assertFitsDevice([pass], 'use --backend cpu')).not.toThrow();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
