import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { unetConfig } from './config.ts';
import { importanceMap, slidingWindowInference, windowStarts } from './slidingWindow.ts';
import { createUNet } from './unet.ts';
import { randomArray } from './testUtil.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A voxel-wise "network": its logits depend only on the voxel's intensity, so tiling cannot matter. */
const pointwise = {
  config: { outChannels: 3 },
  apply: (x: tf.Tensor5D) =>
    tf.tidy(() => tf.concat([tf.zerosLike(x), tf.mul(tf.sub(x, 0.3), 10), tf.mul(tf.sub(x, 0.7), 20)], 4) as tf.Tensor5D),
};
const pointLabel = (v: number) => {
  const l = [0, (v - 0.3) * 10, (v - 0.7) * 20];
  return l.indexOf(Math.max(...l));
};

describe('sliding-window inference', () => {
  it('window starts cover the axis with the requested overlap', () => {
    expect(windowStarts(8, 8, 0.75)).toEqual([0]);
    expect(windowStarts(5, 8, 0.75)).toEqual([0]);
    expect(windowStarts(16, 8, 0.75)).toEqual([0, 2, 4, 6, 8]);
    expect(windowStarts(20, 8, 0.5)).toEqual([0, 4, 8, 12]);
    expect(windowStarts(17, 8, 0.5)).toEqual([0, 4, 8, 9]);
  });

  it('Gaussian map peaks at the centre, uniform is flat', () => {
    const g = importanceMap([5, 5, 5], { blend: 'gaussian', sigmaScale: 0.125 });
    expect(g[(2 * 5 + 2) * 5 + 2]).toBe(1);
    expect(g[0]).toBeGreaterThan(0);
    expect(g[0]).toBeLessThan(0.01);
    expect(Array.from(importanceMap([2, 2, 2], { blend: 'uniform', sigmaScale: 0 }))).toEqual(new Array(8).fill(1));
  });

  it('equals the voxel-wise answer on odd dims, smaller-than-window axes, both blends; no tensor leak', async () => {
    const dims: [number, number, number] = [13, 20, 5]; // nx, ny, nz (z smaller than the window)
    const data = randomArray(13 * 20 * 5, 4);
    for (const blend of ['gaussian', 'uniform'] as const) {
      const start = tf.memory().numTensors;
      const r = await slidingWindowInference(pointwise, { data, dims }, { patch: [8, 8, 8], overlap: 0.5, blend, batch: 2, keepProbabilities: true });
      expect(tf.memory().numTensors).toBe(start);
      for (let v = 0; v < data.length; v++) expect(r.labels[v]).toBe(pointLabel(data[v]));
      const p0 = r.probabilities!;
      expect(p0[0][7] + p0[1][7] + p0[2][7]).toBeCloseTo(1, 5);
      expect(r.windows).toBe(1 * 4 * 3); // z: [0]; y: 0,4,8,12; x: 0,4,5
    }
  });

  it('runs a tiny U-Net over a volume larger than the window', async () => {
    const net = createUNet(unetConfig(1, 3, [[2], [2]], { norm: 'instance' }));
    const start = tf.memory().numTensors;
    let calls = 0;
    const r = await slidingWindowInference(net, { data: randomArray(24 * 16 * 12, 5), dims: [24, 16, 12] }, { patch: [8, 8, 8], overlap: 0.5, onProgress: () => calls++ });
    expect(r.labels.length).toBe(24 * 16 * 12);
    expect(calls).toBe(r.windows);
    expect(tf.memory().numTensors).toBe(start);
    net.dispose();
  });
});
