import * as tf from '@tensorflow/tfjs';
import { initBackend } from '/work/main/src/node/backend.ts';
import { makePreset, createSegmentor, createGenerator, createClassifier, segmentorOptimizer, segmentorStep, adversarialOptimizer, generatorClassifierStep } from '/work/main/src/models/index.ts';
console.log(await initBackend('cpu'));
for (const enc of [[[2,4],[4,8]],[[4,8],[8,16]]]) for (const p of [24,32]) {
  const pr = makePreset('tiny', { segmentor: { encoder: enc } as any, generator: {encoder: enc} as any, classifier: {encoder: enc} as any });
  const S = createSegmentor(pr.segmentor, 'universal');
  const opt = segmentorOptimizer(S, pr.stage1);
  const B=2;
  const image = tf.randomUniform([B,p,p,p,1]) as tf.Tensor5D;
  const label = tf.randomUniform([B,p,p,p],0,7,'int32') as tf.Tensor4D;
  let t0=performance.now();
  for (let i=0;i<2;i++) await segmentorStep(S,opt,{image,label},pr.stage1);
  const t1=(performance.now()-t0)/2;
  const G=createGenerator(pr.generator), C=createClassifier(pr.classifier);
  const oG=adversarialOptimizer(G,pr.stage2), oC=adversarialOptimizer(C,pr.stage2);
  const m = tf.cast(tf.randomUniform([B,p,p,p,1]).greater(0.9),'float32') as tf.Tensor5D;
  t0=performance.now();
  for (let i=0;i<2;i++) await generatorClassifierStep(G,C,S,oG,oC,{image, softMask:m, texture:m, organChannel:[0,0], synthMask:m, realMask: tf.zerosLike(m) as tf.Tensor5D},pr.stage2);
  console.log(JSON.stringify(enc), p, 'stage1', t1.toFixed(0), 'ms; stage2', ((performance.now()-t0)/2).toFixed(0),'ms');
}
