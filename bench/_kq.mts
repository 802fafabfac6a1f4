import * as tf from '@tensorflow/tfjs';
import { registerFastKernels, restoreStockKernels } from '../src/models/kernels/index.ts';
await tf.setBackend('cpu');
function rel(a: tf.Tensor, b: tf.Tensor) { const d = tf.sub(a, b).abs().max().dataSync()[0]; const m = b.abs().max().dataSync()[0]; return d / Math.max(m, 1e-30); }
const cases: [number[], number[], number, 'same' | 'valid'][] = [
  [[2, 7, 6, 5, 3], [3, 3, 3, 3, 5], 1, 'same'], [[1, 9, 8, 7, 4], [3, 3, 3, 4, 6], 2, 'same'], [[1, 9, 8, 7, 4], [3, 3, 3, 4, 6], 2, 'valid'],
  [[1, 6, 6, 6, 16], [2, 2, 2, 16, 16], 2, 'valid'], [[2, 5, 7, 6, 1], [1, 1, 1, 1, 2], 1, 'same'], [[1, 8, 8, 8, 17], [3, 3, 3, 17, 9], 1, 'valid']];
for (const [xs, fs, s, pad] of cases) {
  const x = tf.randomNormal(xs) as tf.Tensor5D, w = tf.randomNormal(fs) as tf.Tensor5D;
  const f = (x: tf.Tensor5D, w: tf.Tensor5D) => tf.conv3d(x, w, s, pad).square().sum();
  const y0 = tf.conv3d(x, w, s, pad); const [gx0, gw0] = tf.grads(f)([x, w]);
  registerFastKernels({ backends: ['cpu'] });
  const y1 = tf.conv3d(x, w, s, pad); const [gx1, gw1] = tf.grads(f)([x, w]);
  restoreStockKernels();
  const dy = tf.randomNormal(y0.shape) as tf.Tensor5D;
  const t0 = tf.conv3dTranspose(dy, w, xs as any, s, pad);
  registerFastKernels({ backends: ['cpu'] }); const t1 = tf.conv3dTranspose(dy, w, xs as any, s, pad); restoreStockKernels();
  console.log(xs, fs, s, pad, 'fwd', rel(y1, y0).toExponential(2), 'dx', rel(gx1, gx0).toExponential(2), 'dw', rel(gw1, gw0).toExponential(2), 'T', rel(t1, t0).toExponential(2));
}
