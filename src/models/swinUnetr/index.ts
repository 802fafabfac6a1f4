/** SwinUNETR (MONAI 1.3.0, FreeTumor's segmentor) for tfjs: config, parameters, model, PyTorch weights. */
export { swinUnetrConfig, validateSwinUnetrConfig, type SwinUNETRConfig } from './config.ts';
export { countSwinUnetrParams, swinUnetrParamShapes, swinUnetrParamSpecs, swinUnetrStateDict, type ParamSpec } from './params.ts';
export { ACTIVATION_NAMES, createSwinUNETR, type ActivationName, type SwinUNETR } from './model.ts';
export { inferSwinUnetrConfig, swinUnetrWeightsFromTorch, swinUnetrWeightsToTorch, type TorchEntry } from './torchWeights.ts';
