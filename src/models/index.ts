/**
 * src/models: the TensorFlow.js side of FreeTumor, shared unchanged by the browser and Node.
 * Backends are chosen by entry points (src/node/backend.ts in Node), never here.
 */
export * from './config.ts';
export { createUNet, countParams, unetParamShapes, upsample2x, type UNet3D, type Params } from './unet.ts';
export { createGenerator, createClassifier, createSegmentor, assertTrainableBackend, type Network } from './networks.ts';
export { gaussianBlur3d, gaussianKernel3d, gaussianTaps } from './gaussianBlur.ts';
export { organChannelOf, synthesize, synthesizeWithGenerator, tumourLabelOf, type SynthesisInputs } from './synthesis.ts';
export {
  adversarialLoss,
  classifierLoss,
  classSelector,
  diceCELoss,
  diceCEPerSample,
  generatorLoss,
  segmentationLoss,
  tumourProbability,
  type DiceCEOptions,
  type GeneratorLossTerms,
} from './losses.ts';
export { qualityCounts, qualityFromCounts, qualityTest, type QualityResult } from './qualityTest.ts';
export { AdamW, warmupCosineLr, type AdamWOptions, type ScheduleOptions } from './optimizer.ts';
export { applyCutMix, drawCutMix, type CutMixDraw } from './mixup.ts';
export { augmentBatch, drawAugment, type AugmentDraw } from './augment.ts';
export type { Rng } from './rng.ts';
export {
  adversarialOptimizer,
  applySyntheticTumours,
  generatorClassifierStep,
  segmentorOptimizer,
  segmentorStep,
  segmentorSynthesisStep,
  type SegBatch,
  type SegStepResult,
  type Stage2Batch,
  type Stage2Result,
  type Stage3Batch,
  type Stage3Result,
  type SyntheticBatch,
} from './trainSteps.ts';
export { importanceMap, slidingWindowInference, windowStarts, type SlidingWindowInput, type SlidingWindowOptions, type SlidingWindowResult } from './slidingWindow.ts';
export { readSafetensors, writeSafetensors, permuteArray, type SafeTensor, type SafetensorsFile } from './safetensors.ts';
export { fromTorchName, fromTorchTensor, toTorchName, toTorchTensor } from './torchNames.ts';
export {
  CHECKPOINT_FORMAT,
  assertSameArchitecture,
  readCheckpoint,
  restoreNetwork,
  restoreOptimizer,
  saveCheckpoint,
  type CheckpointInput,
  type CheckpointManifest,
  type LoadedCheckpoint,
  type ModelCard,
} from './checkpoint.ts';
export { reverseAnyRank, whereAnyRank } from './ops.ts';
