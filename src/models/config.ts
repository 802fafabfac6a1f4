/**
 * Architecture and training configuration. Everything here is JSON-able so a checkpoint's model
 * card can carry it and a UI or CLI can override any field; the numbers are METHOD.md's defaults.
 */

import { swinUnetrConfig, type SwinUNETRConfig } from './swinUnetr/config.ts';

export type { SwinUNETRConfig };

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
   * The segmentor S must use 'instance' (createSegmentor refuses 'batch'): with batch statistics a
   * tumour's P would depend on the other samples of its batch.
   */
  norm: NormKind;
  normEps: number;
  activation: ActivationKind;
  /** Slope for leakyRelu. */
  leakySlope: number;
  /** Seed of the weight initialisation (He normal). */
  seed: number;
}

/**
 * Any network's architecture, told apart by `kind`. G and C are always U-Nets; S is a U-Net or,
 * as in the paper, a SwinUNETR (createSegmentor builds either).
 */
export type NetworkConfig = UNetConfig | SwinUNETRConfig;
export type NetworkKind = NetworkConfig['kind'];
export const NETWORK_KINDS: NetworkKind[] = ['unet3d', 'swinunetr'];

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

/** What sets a schedule's length: a number of epochs (see core/sampling.ts stepsPerEpoch) or of steps. */
export type LengthUnit = 'epochs' | 'steps';

export interface Stage1Config {
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** AMSGrad variant of AdamW; the reference's stage-1/3 optimiser is AdamW(amsgrad=True). */
  amsgrad: boolean;
  /** Whether `epochs` or `totalSteps` gives the length. */
  lengthUnit: LengthUnit;
  /** Length in epochs (reference: 100 for the baseline S, 20 in its FreeTumor run script). */
  epochs: number;
  /** Length in steps, used when lengthUnit is 'steps' (flag --steps). */
  totalSteps: number;
  /** Whether `warmupEpochs` or `warmupSteps` gives the linear warm-up. */
  warmupUnit: LengthUnit;
  /** METHOD.md: 2 warm-up epochs, then cosine, stepped per iteration. */
  warmupEpochs: number;
  warmupSteps: number;
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
  /** S: a U-Net or a SwinUNETR (`kind`); see withSegmentorKind to switch. */
  segmentor: NetworkConfig;
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
  amsgrad: true,
  lengthUnit: 'epochs',
  epochs: 100,
  totalSteps: 1000,
  warmupUnit: 'epochs',
  warmupEpochs: 2,
  warmupSteps: 0,
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

/**
 * S of either kind for a preset. The U-Net's width follows the preset's encoder; the SwinUNETR is
 * MONAI's as FreeTumor calls it (fs48, v2, window 7) for the paper and, for tiny runs, 12 features
 * and window 3 (27-token windows: a cpu training step at 32³ takes seconds; with window 7 it took
 * over two minutes on 2 shared cores). Its training ROI is the preset's patch.
 */
function segmentorOf(kind: NetworkKind, name: string, patch: number, encoder: number[][], outChannels: number): NetworkConfig {
  // G and C keep batch statistics as the reference does; S (SwinUNETR's conv blocks use
  // InstanceNorm3d in the reference) normalises per sample so its prediction for one sample
  // does not depend on its batch.
  if (kind === 'unet3d') return unetConfig(1, outChannels, encoder, { seed: 3, norm: 'instance' });
  const paper = name === 'paper';
  return swinUnetrConfig({ featureSize: paper ? 48 : 12, window: paper ? 7 : 3, outChannels, imgSize: [patch, patch, patch], seed: 3 });
}

/** Patch edge and encoder of each named preset, for withSegmentorKind. */
const PRESET_SHAPES = { paper: { patch: 96, encoder: PAPER_ENCODER }, tiny: { patch: 32, encoder: TINY_ENCODER } };

function preset(name: string, patch: number, spacingMm: number, encoder: number[][], scheme: LabelScheme, segmentor: NetworkKind): Preset {
  return {
    name,
    patch: [patch, patch, patch],
    spacingMm,
    generator: unetConfig(1, GENERATOR_ORGANS, encoder, { seed: 1 }),
    classifier: unetConfig(1, 3, encoder, { seed: 2 }),
    segmentor: segmentorOf(segmentor, name, patch, encoder, NUM_CLASSES[scheme]),
    labelScheme: scheme,
    blur: { ...DEFAULT_BLUR },
    stage1: { ...DEFAULT_STAGE1 },
    stage2: { ...DEFAULT_STAGE2 },
    // The reference's FreeTumor run (Free_train.sh) trains stage 3 for 20 epochs.
    stage3: { ...DEFAULT_STAGE1, epochs: 20 },
    quality: { ...DEFAULT_QUALITY },
    mixup: { ...DEFAULT_MIXUP },
    augment: { ...DEFAULT_AUGMENT },
    inference: { ...DEFAULT_INFERENCE },
  };
}

export const PRESETS: Record<'paper' | 'tiny', Preset> = {
  // The paper's S is MONAI's SwinUNETR; tiny runs keep the fast U-Net (--segmentor-arch switches).
  paper: preset('paper', PRESET_SHAPES.paper.patch, 1.5, PAPER_ENCODER, 'universal', 'swinunetr'),
  tiny: preset('tiny', PRESET_SHAPES.tiny.patch, 3, TINY_ENCODER, 'universal', 'unet3d'),
};

export type PresetName = keyof typeof PRESETS;

/** A deep copy of a preset with shallow per-section overrides. */
export function makePreset(name: PresetName, over: DeepPartial<Preset> = {}): Preset {
  const base = structuredClone(PRESETS[name]);
  const kind = (over.segmentor as { kind?: unknown } | undefined)?.kind;
  if (kind !== undefined && kind !== base.segmentor.kind) withSegmentorKind(base, kind);
  return mergeDeep(base, over);
}

/**
 * Switch `p.segmentor` (in place) to the default S of `kind` for the preset's size ('paper' gives
 * the paper's SwinUNETR / U-Net, anything else the tiny ones), keeping its in/out channels, so a
 * config that names only the kind (--segmentor-arch) gets a complete, valid architecture.
 */
export function withSegmentorKind(p: Preset, kind: unknown): Preset {
  if (!NETWORK_KINDS.includes(kind as NetworkKind)) {
    throw new Error(`preset.segmentor.kind must be ${NETWORK_KINDS.join(' or ')}, got ${JSON.stringify(kind)}`);
  }
  const size = p.name === 'paper' ? 'paper' : 'tiny';
  const { patch, encoder } = PRESET_SHAPES[size];
  const next = segmentorOf(kind as NetworkKind, size, patch, encoder, p.segmentor.outChannels);
  next.inChannels = p.segmentor.inChannels;
  p.segmentor = next;
  return p;
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

/**
 * Minimum spatial edge: 2^(levels−1) for a U-Net so pooling and transposed convs line up; 32 for
 * a SwinUNETR (patch 2, then four 2× merges, as MONAI checks).
 */
export function spatialMultiple(cfg: NetworkConfig): number {
  return cfg.kind === 'swinunetr' ? 32 : 2 ** (cfg.encoder.length - 1);
}

/** A config's architecture in a few words, for messages and model cards. */
export function describeArchitecture(c: NetworkConfig): string {
  if (c.kind === 'swinunetr') {
    return `swinunetr in ${c.inChannels} out ${c.outChannels} featureSize ${c.featureSize} depths [${c.depths}] heads [${c.heads}] window ${c.window}${c.useV2 ? ' v2' : ''}`;
  }
  return `${c.kind} in ${c.inChannels} out ${c.outChannels} encoder ${JSON.stringify(c.encoder)} norm ${c.norm} act ${c.activation}`;
}
