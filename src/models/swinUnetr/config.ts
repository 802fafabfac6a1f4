/**
 * The configuration of our SwinUNETR: MONAI 1.3.0's `SwinUNETR` as FreeTumor calls it
 * (`use_v2=True`, `normalize=True`, `downsample="merging"`, drop rates 0, instance norm). Only
 * what FreeTumor varies is configurable; everything else is a fixed constant of MONAI 1.3.0.
 */

export interface SwinUNETRConfig {
  /** Tells a segmentor's config apart from a U-Net's (config.ts NetworkConfig). */
  kind: 'swinunetr';
  /** MONAI feature_size: 48 in the paper, a multiple of 12. */
  featureSize: number;
  inChannels: number;
  /** 7 (universal segmentor / TGAN netSeg) or 3 (FreeTumor-trained specialist). */
  outChannels: number;
  /** Swin blocks per stage; MONAI's default (2, 2, 2, 2). */
  depths: [number, number, number, number];
  /** Attention heads per stage; MONAI's default (3, 6, 12, 24). */
  heads: [number, number, number, number];
  /** Attention window edge (MONAI fixes it at 7). */
  window: number;
  /** SwinUNETR-v2: a residual conv block (layersNc) before each Swin stage. */
  useV2: boolean;
  /** The training ROI (MONAI's img_size, only checked); forward accepts any multiple of 32. */
  imgSize: [number, number, number];
  /** Seed of the random initial weights (ignored when weights are given). */
  seed: number;
}

/** The paper's segmentor: fs48, v2, 96³ ROI; `outChannels` 7 or 3. */
export function swinUnetrConfig(overrides: Partial<SwinUNETRConfig> = {}): SwinUNETRConfig {
  const cfg: SwinUNETRConfig = {
    kind: 'swinunetr',
    featureSize: 48,
    inChannels: 1,
    outChannels: 7,
    depths: [2, 2, 2, 2],
    heads: [3, 6, 12, 24],
    window: 7,
    useV2: true,
    imgSize: [96, 96, 96],
    seed: 0,
    ...overrides,
  };
  validateSwinUnetrConfig(cfg);
  return cfg;
}

/** Throws a message naming the first field MONAI would refuse (or we cannot build). */
export function validateSwinUnetrConfig(cfg: SwinUNETRConfig): void {
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!posInt(cfg.featureSize) || cfg.featureSize % 12 !== 0) {
    throw new Error(`SwinUNETR featureSize must be a positive multiple of 12 (MONAI), got ${cfg.featureSize}`);
  }
  if (!posInt(cfg.inChannels)) throw new Error(`SwinUNETR inChannels must be a positive integer, got ${cfg.inChannels}`);
  if (!posInt(cfg.outChannels)) throw new Error(`SwinUNETR outChannels must be a positive integer, got ${cfg.outChannels}`);
  if (cfg.depths.length !== 4 || !cfg.depths.every(posInt)) {
    throw new Error(`SwinUNETR depths must be 4 positive integers, got [${cfg.depths}]`);
  }
  if (cfg.heads.length !== 4 || !cfg.heads.every(posInt)) {
    throw new Error(`SwinUNETR heads must be 4 positive integers, got [${cfg.heads}]`);
  }
  cfg.heads.forEach((h, i) => {
    const dim = cfg.featureSize * 2 ** i;
    if (dim % h !== 0) throw new Error(`SwinUNETR stage ${i + 1}: ${dim} channels are not divisible by ${h} heads`);
  });
  if (!posInt(cfg.window)) throw new Error(`SwinUNETR window must be a positive integer, got ${cfg.window}`);
  if (cfg.imgSize.length !== 3 || !cfg.imgSize.every((s) => posInt(s) && s % 32 === 0)) {
    throw new Error(`SwinUNETR imgSize must be 3 positive multiples of 32 (patch 2 × four merges), got [${cfg.imgSize}]`);
  }
}
