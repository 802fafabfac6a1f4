import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/node/backend.ts';
import { unetConfig, DEFAULT_STAGE1 } from '../src/models/config.ts';
import { createSegmentor } from '../src/models/networks.ts';
import { segmentorOptimizer, segmentorStep } from '../src/models/trainSteps.ts';
const which = process.argv[2] as 'cpu' | 'webgpu';
await initBackend(which);
for (const [d, enc] of [[32, [[4, 4], [8, 8]]], [24, [[4, 4], [8, 8]]], [16, [[4, 8], [8, 16]]]] as const) {
  const S = createSegmentor(unetConfig(1, 3, enc.map((l) => [...l])), 'specialist');
  const opt = segmentorOptimizer(S, DEFAULT_STAGE1);
  const image = tf.randomUniform([2, d, d, d, 1]) as tf.Tensor5D;
  const label = tf.zeros([2, d, d, d], 'int32') as tf.Tensor4D;
  await segmentorStep(S, opt, { image, label }, DEFAULT_STAGE1);
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) await segmentorStep(S, opt, { image, label }, DEFAULT_STAGE1);
  console.log(which, d, JSON.stringify(enc), ((Date.now() - t0) / 3).toFixed(0), 'ms/step (batch 2)');
}
process.exit(0);
