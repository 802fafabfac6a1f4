/**
 * Architecture and training configuration. Everything here is JSON-able so a checkpoint's model
 * card can carry it and a UI or CLI can override any field; the numbers are METHOD.md's defaults.
 */

export type NormKind = 'batch' | 'instance' | 'none';
export type ActivationKind = 'relu' | 'leakyRelu' | 'elu';

/** A Models-Genesis-style 3-D U-Net. Tensors are channels-last: [batch, z, y, x, channels]. */
export interface UNetConfig {
  kind: 'unet3d';
  inChannels: number;
  outChannels: number;
  /**
   * Conv widths per encoder level, top (full resolution) to bottom. Each level is a list of 3×3×3
   * convs; levels are separated by 2×2×2 max-pooling. The decoder mirrors it: 2×2×2 transposed conv
   * stride 2 (keeps the channel count), concat with the level's skip, two convs to the skip's width.
   */
  encoder: number[][];
  /**
   * 'batch' uses the batch statistics in training and inference alike (Models Genesis'
   * ContBatchNorm3d, the reference generator); 'instance' normalises each sample separately.
   */
  norm: NormKind;
  normEps: number;
  activation: ActivationKind;
  /** Slope for leakyRelu. */
  leakySlope: number;
  /** Seed of the weight initialisation (He normal). */
  seed: number;
}

export type LabelScheme = 'universal' | 'specialist';

/** Tumour class ids per label scheme (METHOD.md: universal 0..6, specialist 0 bg, 1 organ, 2 tumour). */
export const TUMOUR_CLASSES: Record<LabelScheme, number[]> = {
  universal: [2, 4, 6],
  specialist: [2],
};
export const NUM_CLASSES: Record<LabelScheme, number> = { universal: 7, specialist: 3 };

export type ModelRole = 'generator' | 'classifier' | 'segmentor';

/** Classifier output classes (per voxel). */
export const CLASSIFIER_CLASSES = { background: 0, real: 1, synthetic: 2 } as const;

export interface BlurConfig {
  /** Kernel edge length (odd). */
  size: number;
  sigma: number;
}

export type SegLossForm = 'reference' | 'euclidean';
export type QualityMode = 'threshold' | 'adaptive' | 'none';

export interface Stage1Config {
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the cosine schedule, as a fraction of lr. */
  minLrFraction: number;
  diceWeight: number;
  ceWeight: number;
  /** MONAI DiceCELoss settings the reference uses (squared_pred, smooth_nr 0, smooth_dr 1e-6). */
  squaredPred: boolean;
  smoothNr: number;
  smoothDr: number;
}

export interface Stage2Config {
  lr: number;
  betas: [number, number];
  eps: number;
  lambdaCls: number;
  segLoss: SegLossForm;
}

export interface QualityConfig {
  threshold: number;
  mode: QualityMode;
}

export interface MixupConfig {
  /** Beta(alpha, alpha) split fraction. */
  alpha: number;
  /** Probability of splitting along x (else y). */
  xProbability: number;
  /** Probability that a batch is mixed at all. */
  probability: number;
}

export interface AugmentConfig {
  flipP: number;
  rot90P: number;
  scale: number;
  scaleP: number;
  shift: number;
  shiftP: number;
}

export interface InferenceConfig {
  overlap: number;
  blend: 'gaussian' | 'uniform';
  /** Gaussian σ as a fraction of the window edge (MONAI's sigma_scale). */
  sigmaScale: number;
  /** Windows per forward pass. */
  batch: number;
}

export interface Preset {
  name: string;
  /** Crop edge in voxels, [z, y, x]. */
  patch: [number, number, number];
  spacingMm: number;
  generator: UNetConfig;
  classifier: UNetConfig;
  segmentor: UNetConfig;
  labelScheme: LabelScheme;
  blur: BlurConfig;
  stage1: Stage1Config;
  stage2: Stage2Config;
  stage3: Stage1Config;
  quality: QualityConfig;
  mixup: MixupConfig;
  augment: AugmentConfig;
  inference: InferenceConfig;
}

export function unetConfig(
  inChannels: number,
  outChannels: number,
  encoder: number[][],
  over: Partial<UNetConfig> = {},
): UNetConfig {
  return {
    kind: 'unet3d',
    inChannels,
    outChannels,
    encoder: encoder.map((l) => [...l]),
    norm: 'batch',
    normEps: 1e-5,
    activation: 'relu',
    leakySlope: 0.01,
    seed: 0,
    ...over,
  };
}

const PAPER_ENCODER = [
  [32, 64],
  [64, 128],
  [128, 256],
  [256, 512],
];
const TINY_ENCODER = [
  [4, 8],
  [8, 16],
];

export const DEFAULT_BLUR: BlurConfig = { size: 7, sigma: 1 };

export const DEFAULT_STAGE1: Stage1Config = {
  lr: 3e-4,
  weightDecay: 0.01,
  betas: [0.9, 0.999],
  eps: 1e-8,
  warmupSteps: 0,
  totalSteps: 1000,
  minLrFraction: 0,
  diceWeight: 1,
  ceWeight: 1,
  squaredPred: true,
  smoothNr: 0,
  smoothDr: 1e-6,
};

export const DEFAULT_STAGE2: Stage2Config = {
  lr: 1e-4,
  betas: [0, 0.999],
  eps: 1e-8,
  lambdaCls: 0.1,
  segLoss: 'reference',
};

export const DEFAULT_QUALITY: QualityConfig = { threshold: 0.7, mode: 'threshold' };
export const DEFAULT_MIXUP: MixupConfig = { alpha: 0.2, xProbability: 0.5, probability: 1 };
export const DEFAULT_AUGMENT: AugmentConfig = {
  flipP: 0.2,
  rot90P: 0.2,
  scale: 0.1,
  scaleP: 0.1,
  shift: 0.1,
  shiftP: 0.1,
};
export const DEFAULT_INFERENCE: InferenceConfig = {
  overlap: 0.75,
  blend: 'gaussian',
  sigmaScale: 0.125,
  batch: 1,
};

/** The number of organ channels of G (liver, pancreas, kidney), in core/labels ORGANS order. */
export const GENERATOR_ORGANS = 3;

function preset(name: string, patch: number, spacingMm: number, encoder: number[][], scheme: LabelScheme): Preset {
  return {
    name,
    patch: [patch, patch, patch],
    spacingMm,
    generator: unetConfig(1, GENERATOR_ORGANS, encoder, { seed: 1 }),
    classifier: unetConfig(1, 3, encoder, { seed: 2 }),
    segmentor: unetConfig(1, NUM_CLASSES[scheme], encoder, { seed: 3 }),
    labelScheme: scheme,
    blur: { ...DEFAULT_BLUR },
    stage1: { ...DEFAULT_STAGE1 },
    stage2: { ...DEFAULT_STAGE2 },
    stage3: { ...DEFAULT_STAGE1 },
    quality: { ...DEFAULT_QUALITY },
    mixup: { ...DEFAULT_MIXUP },
    augment: { ...DEFAULT_AUGMENT },
    inference: { ...DEFAULT_INFERENCE },
  };
}

export const PRESETS: Record<'paper' | 'tiny', Preset> = {
  paper: preset('paper', 96, 1.5, PAPER_ENCODER, 'universal'),
  tiny: preset('tiny', 32, 3, TINY_ENCODER, 'universal'),
};

export type PresetName = keyof typeof PRESETS;

/** A deep copy of a preset with shallow per-section overrides. */
export function makePreset(name: PresetName, over: DeepPartial<Preset> = {}): Preset {
  const base = structuredClone(PRESETS[name]);
  return mergeDeep(base, over);
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends number[] | number[][] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function mergeDeep<T>(base: T, over: DeepPartial<T>): T {
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    const cur = (base as Record<string, unknown>)[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      mergeDeep(cur, v as DeepPartial<typeof cur>);
    } else if (v !== undefined) {
      (base as Record<string, unknown>)[k] = structuredClone(v);
    }
  }
  return base;
}

/** Minimum spatial edge divisible by 2^(levels−1) so pooling and transposed convs line up. */
export function spatialMultiple(cfg: UNetConfig): number {
  return 2 ** (cfg.encoder.length - 1);
}
