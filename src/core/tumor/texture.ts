/**
 * SynTumor's tumour texture T (get_predefined_texture):
 *   uniform noise → Gaussian σ_a → min–max rescale to [b, b+s] → Bernoulli ("salt") sample with
 *   that probability → Gaussian σ_b → multiply by β / mean(values > threshold) → clip to [0, 1].
 * It is expensive (two 3-D blurs), so one large texture is made once per (seed, spacing, options)
 * and every tumour takes a random crop of it. s, b and β are drawn from the texture's seed, so the
 * caller seeds it from the RUN (a training run's seed, a `simulate` call's seed): one seed for all
 * runs would give every run the same s, b, β and the same few crops.
 *
 * Crop offsets are drawn over the whole mirror-tiled plane (period 2·size per axis), not only
 * where the crop fits inside the texture: a 96³ crop of a 128³ texture has 256 offsets per axis
 * instead of 33.
 *
 * σ_a, σ_b are reference voxels (1.5 mm) converted to this volume's voxels per axis, so the grain
 * has the same physical size on every scan. A crop larger than the texture is read through mirror
 * tiling (half-sample reflection), which has no value jumps at the seams.
 */
import { Rng, hashSeed, type Seed } from '../random.ts';
import type { Vec3 } from '../volume.ts';
import { gaussianFilter3d, reflectIndex } from './gaussianFilter.ts';

export interface TextureOptions {
  /** Texture size in voxels (the reference's 420×300×320 is too big for a browser tab). */
  size: Vec3;
  /** Blur of the probability field, reference voxels. */
  sigmaA: number;
  /** Blur of the salt sample, reference voxels. */
  sigmaB: number;
  /** s ~ U(lo, hi): width of the probability range. */
  scale: [number, number];
  /** b ~ U(lo, hi): bottom of the probability range. */
  base: [number, number];
  /** β ~ U(lo, hi): target mean of the bright part. */
  beta: [number, number];
  /** Values above this define "the bright part" whose mean is scaled to β. */
  threshold: number;
  referenceSpacingMm: number;
  /**
   * Seed of the texture itself. Callers derive it from their run's seed (see textureSeedOf); the
   * fixed default remains only for callers that give none (benchmarks).
   */
  seed: Seed;
}

export const DEFAULT_TEXTURE_OPTIONS: TextureOptions = {
  size: [128, 128, 128],
  sigmaA: 3,
  sigmaB: 4,
  scale: [0.19, 0.21],
  base: [0.04, 0.06],
  beta: [0.5, 0.55],
  threshold: 0.12,
  referenceSpacingMm: 1.5,
  seed: 'freetumor-texture',
};

/** The texture parameters drawn for one texture (reported, and checked by the tests). */
export interface TextureParams {
  /** s: width of the probability range. */
  scale: number;
  /** b: bottom of the probability range. */
  base: number;
  /** β: mean of the bright part before clipping. */
  beta: number;
  /** β / mean(values > threshold) that was applied. */
  gain: number;
}

export interface Texture {
  dims: Vec3;
  data: Float32Array;
  /** Voxel spacing (mm) the texture's grain was made for. */
  spacing: Vec3;
  params: TextureParams;
}

/** The texture seed of a run: one texture (s, b, β) per run seed, not one for every run. */
export function textureSeedOf(runSeed: Seed): number {
  return hashSeed(runSeed, 'texture-of-run');
}

export function generateTexture(spacing: Vec3, options: Partial<TextureOptions> = {}): Texture {
  const o = { ...DEFAULT_TEXTURE_OPTIONS, ...options };
  const rng = new Rng(hashSeed(o.seed, 'texture'));
  const dims: Vec3 = [o.size[0], o.size[1], o.size[2]];
  const n = dims[0] * dims[1] * dims[2];
  if (!(n > 0)) throw new RangeError(`texture size must be positive, got ${dims.join('×')}`);
  const perAxis = (sigmaRef: number): Vec3 =>
    [0, 1, 2].map((a) => (sigmaRef * o.referenceSpacingMm) / spacing[a]) as Vec3;

  const noise = new Float32Array(n);
  for (let v = 0; v < n; v++) noise[v] = rng.nextUint32() / 4294967296;
  const a2 = gaussianFilter3d(noise, dims, perAxis(o.sigmaA));
  let min = Infinity;
  let max = -Infinity;
  for (let v = 0; v < n; v++) {
    if (a2[v] < min) min = a2[v];
    if (a2[v] > max) max = a2[v];
  }
  const scale = rng.uniform(o.scale[0], o.scale[1]);
  const base = rng.uniform(o.base[0], o.base[1]);
  const range = max - min || 1;
  const salt = noise; // reuse the buffer: the noise is no longer needed
  for (let v = 0; v < n; v++) {
    const p = (scale * (a2[v] - min)) / range + base;
    salt[v] = p > rng.nextUint32() / 4294967296 ? 1 : 0;
  }
  const b = gaussianFilter3d(salt, dims, perAxis(o.sigmaB));
  let sum = 0;
  let cnt = 0;
  for (let v = 0; v < n; v++) {
    if (b[v] > o.threshold) {
      sum += b[v];
      cnt++;
    }
  }
  const beta = rng.uniform(o.beta[0], o.beta[1]);
  // No bright voxel at all (absurd options): leave the texture unscaled rather than divide by 0.
  const gain = cnt > 0 ? beta / (sum / cnt) : 1;
  for (let v = 0; v < n; v++) {
    const t = gain * b[v];
    b[v] = t < 0 ? 0 : t > 1 ? 1 : t;
  }
  return { dims, data: b, spacing: [spacing[0], spacing[1], spacing[2]], params: { scale, base, beta, gain } };
}

const cache = new Map<string, Texture>();
const CACHE_LIMIT = 4;

/** The texture for these options and spacing, generated on first use and kept (a few at most). */
export function getTexture(spacing: Vec3, options: Partial<TextureOptions> = {}): Texture {
  const o = { ...DEFAULT_TEXTURE_OPTIONS, ...options };
  // Spacing rounded to 1 µm so float noise in affines does not defeat the cache.
  const key = JSON.stringify({ ...o, spacing: spacing.map((s) => Math.round(s * 1000) / 1000) });
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const tex = generateTexture(spacing.map((s) => Math.round(s * 1000) / 1000) as Vec3, o);
  cache.set(key, tex);
  while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return tex;
}

/**
 * A random crop origin, uniform over one period (2·size) of the mirror-tiled texture per axis:
 * every offset reads seamless texture, and the choice no longer shrinks as the crop grows.
 */
export function drawTextureOffset(tex: Texture, rng: Rng): Vec3 {
  return [0, 1, 2].map((a) => rng.int(0, 2 * tex.dims[a] - 1)) as Vec3;
}

/** Texture value at crop coordinate (i, j, k) of a crop starting at `offset` (mirror tiling). */
export function textureAt(tex: Texture, offset: Vec3, i: number, j: number, k: number): number {
  const x = reflectIndex(offset[0] + i, tex.dims[0]);
  const y = reflectIndex(offset[1] + j, tex.dims[1]);
  const z = reflectIndex(offset[2] + k, tex.dims[2]);
  return tex.data[x + tex.dims[0] * (y + tex.dims[1] * z)];
}

/** A crop as its own volume, e.g. to feed a generator (T of Eq. 1). */
export function cropTexture(tex: Texture, offset: Vec3, size: Vec3): Float32Array {
  const out = new Float32Array(size[0] * size[1] * size[2]);
  let n = 0;
  for (let k = 0; k < size[2]; k++) {
    for (let j = 0; j < size[1]; j++) {
      for (let i = 0; i < size[0]; i++) out[n++] = textureAt(tex, offset, i, j, k);
    }
  }
  return out;
}
