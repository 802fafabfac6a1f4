import * as tf from '@tensorflow/tfjs';
import { registerFastKernels } from '../src/models/kernels/index.ts';
import { createUNet } from '../src/models/unet.ts';
await tf.setBackend('cpu');
registerFastKernels({ backends: ['cpu'], stock: false });
const S = Number(process.argv[2] ?? 24);
const net = createUNet({ kind: 'unet3d', inChannels: 1, outChannels: 2, encoder: [[16, 16], [32, 32]], norm: 'none', normEps: 1e-5, activation: 'relu', leakySlope: 0.01, seed: 1 });
const xs = tf.randomNormal([1, S, S, S, 1]) as tf.Tensor5D;
const target = tf.randomNormal([1, S, S, S, 2]);
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const g = tf.tidy(() => Object.values(tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(xs), target))) as tf.Scalar, net.variables()).grads));
  await Promise.all(g.map((x) => x.data()));
  tf.dispose(g);
  console.log('step', (performance.now() - t).toFixed(0), 'ms');
}
