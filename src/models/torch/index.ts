/**
 * PyTorch checkpoint (torch.save ≥ 1.6) reader: pure TypeScript, no tfjs and no Node built-ins,
 * so page-free Web Workers and the CLI can both import it.
 */
export { readTorchCheckpoint, type TorchFile } from './checkpoint.ts';
export { TorchReadError } from './errors.ts';
export { findStateDict, normaliseKey, splitTgan, type StateDictContainer, type StateDictMeta, type TganParts } from './stateDict.ts';
export { int64FitsNumber, isTorchTensor, toFloat32, type TorchArray, type TorchDtype, type TorchTensor } from './tensor.ts';
