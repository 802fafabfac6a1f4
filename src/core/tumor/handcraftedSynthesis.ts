/**
 * Handcrafted synthesis (no generator, SynTumor-like): x̂ = x − M̃·d·T in window units, d ~ U(lo, hi).
 *
 * Units. The method works on the windowed image u = (x_HU − lo)/(hi − lo) (METHOD: −175..250 HU).
 * Export needs HU, so in 'hu' mode we convert the change, not the image:
 *   x̂_HU = x_HU − M̃·d·T·(hi − lo).
 * That is exactly the windowed formula for voxels inside the window, never clips, and leaves every
 * voxel with M̃ = 0 untouched, bit for bit (it is not even read-modified-written). In 'unit' mode
 * (training crops already windowed to [0,1]) the formula is applied as is.
 *
 * One d and one texture crop per call, as in the reference; the crop is laid over the box that
 * holds all of M̃, starting at a random offset in the precomputed texture. The texture (its s, b, β)
 * is the run's: seeded from `texture.seed` when given (a training run passes its run seed), else
 * from the call's own seed, since one `simulate` call or one Synthesize-panel click is one run.
 */
import { Rng, hashSeed, type Seed } from '../random.ts';
import type { ImageVolume, LabelVolume, Vec3 } from '../volume.ts';
import { HU_WINDOW_HI, HU_WINDOW_LO } from '../window.ts';
import { simulateTumourPositions, type PositionOptionsInput, type PositionSimulation } from './positionSimulation.ts';
import { reflectIndex } from './gaussianFilter.ts';
import { DEFAULT_TEXTURE_OPTIONS, drawTextureOffset, getTexture, textureSeedOf, type TextureOptions, type TextureParams } from './texture.ts';

export interface HandcraftedOptions {
  /** d ~ U(lo, hi), the darkening in window units. */
  darkening: [number, number];
  /** The HU window whose width defines "window units". */
  huWindow: { lo: number; hi: number };
  /** 'hu': the image is in HU; 'unit': it is already windowed to [0, 1]. */
  units: 'hu' | 'unit';
  texture: Partial<TextureOptions>;
}

export const DEFAULT_HANDCRAFTED_OPTIONS: HandcraftedOptions = {
  darkening: [0.2, 0.7],
  huWindow: { lo: HU_WINDOW_LO, hi: HU_WINDOW_HI },
  units: 'hu',
  // No seed here: the texture's seed comes from the call's (see applyHandcraftedTumours).
  texture: {},
};

export interface HandcraftedApplied {
  image: ImageVolume;
  darkening: number;
  textureOffset: Vec3;
  textureParams: TextureParams;
}

/** Apply x̂ = x − M̃·d·T to a copy of `image` (geometry must match the simulation). */
export function applyHandcraftedTumours(
  image: ImageVolume,
  sim: PositionSimulation,
  rng: Rng,
  options: Partial<HandcraftedOptions> = {},
): HandcraftedApplied {
  const o = { ...DEFAULT_HANDCRAFTED_OPTIONS, ...options };
  const { dims } = image;
  if (dims[0] !== sim.dims[0] || dims[1] !== sim.dims[1] || dims[2] !== sim.dims[2]) {
    throw new RangeError(`image dims ${dims.join('×')} differ from the simulation's ${sim.dims.join('×')}`);
  }
  const out = new Float32Array(image.data);
  const darkening = rng.uniform(o.darkening[0], o.darkening[1]);
  const tex = getTexture(sim.spacing, { ...DEFAULT_TEXTURE_OPTIONS, seed: textureSeedOf(sim.seed), ...o.texture });
  const box = sim.softBox;
  if (!box) return { image: { dims: [...dims] as Vec3, affine: [...image.affine], data: out }, darkening, textureOffset: [0, 0, 0], textureParams: tex.params };
  const size = [0, 1, 2].map((a) => box.hi[a] - box.lo[a] + 1) as Vec3;
  const offset = drawTextureOffset(tex, rng);
  const gain = o.units === 'hu' ? darkening * (o.huWindow.hi - o.huWindow.lo) : darkening;
  const m = sim.softMask;
  // Texture coordinates per axis, mirror tiling resolved once instead of per voxel.
  const [tx, ty, tz] = [0, 1, 2].map((a) => {
    const map = new Int32Array(size[a]);
    for (let x = 0; x < size[a]; x++) map[x] = reflectIndex(offset[a] + x, tex.dims[a]);
    return map;
  });
  const tnx = tex.dims[0];
  const tnxy = tex.dims[0] * tex.dims[1];
  for (let k = box.lo[2]; k <= box.hi[2]; k++) {
    const tk = tz[k - box.lo[2]] * tnxy;
    for (let j = box.lo[1]; j <= box.hi[1]; j++) {
      const row = dims[0] * (j + dims[1] * k);
      const tjk = tk + ty[j - box.lo[1]] * tnx;
      for (let i = box.lo[0]; i <= box.hi[0]; i++) {
        const idx = row + i;
        const w = m[idx];
        if (w === 0) continue;
        out[idx] = image.data[idx] - w * gain * tex.data[tjk + tx[i - box.lo[0]]];
      }
    }
  }
  return { image: { dims: [...dims] as Vec3, affine: [...image.affine], data: out }, darkening, textureOffset: offset, textureParams: tex.params };
}

/** `label` with each tumour voxel set to its organ's tumour id (project scheme). */
export function labelWithTumours(label: LabelVolume, sim: PositionSimulation): LabelVolume {
  const data = new Uint8Array(label.data);
  const t = sim.tumourLabel;
  const d = label.dims;
  for (const tumour of sim.tumours) {
    const { lo, hi } = tumour.bbox;
    for (let k = lo[2]; k <= hi[2]; k++) {
      for (let j = lo[1]; j <= hi[1]; j++) {
        const row = d[0] * (j + d[1] * k);
        for (let i = lo[0]; i <= hi[0]; i++) if (t[row + i]) data[row + i] = t[row + i];
      }
    }
  }
  return { dims: [...label.dims] as Vec3, affine: [...label.affine], data };
}

export interface HandcraftedSynthesisOptions extends PositionOptionsInput {
  handcrafted?: Partial<HandcraftedOptions>;
}

export interface HandcraftedSynthesis {
  image: ImageVolume;
  label: LabelVolume;
  simulation: PositionSimulation;
  darkening: number;
  textureOffset: Vec3;
  textureParams: TextureParams;
}

/**
 * Position simulation + handcrafted texture in one call. `image` in HU (or window units with
 * handcrafted.units 'unit'), `label` in the project scheme, same geometry.
 */
export function synthesizeHandcrafted(
  image: ImageVolume,
  label: LabelVolume,
  options: HandcraftedSynthesisOptions = {},
): HandcraftedSynthesis {
  const { handcrafted, ...position } = options;
  const seedIn: Seed | Rng = position.seed ?? 0;
  // A plain seed goes through unchanged so this call places the same tumours as
  // simulateTumourPositions with that seed.
  const seed: Seed = seedIn instanceof Rng ? seedIn.nextUint32() : seedIn;
  const units = handcrafted?.units ?? DEFAULT_HANDCRAFTED_OPTIONS.units;
  if (position.avoidVessels?.enabled && units !== 'hu') {
    throw new RangeError('vessel avoidance compares HU: give the image in HU (units "hu")');
  }
  const simulation = simulateTumourPositions(label, { ...position, seed }, image);
  const rng = new Rng(hashSeed(simulation.seed, 'handcrafted'));
  const applied = applyHandcraftedTumours(image, simulation, rng, handcrafted);
  return {
    image: applied.image,
    label: labelWithTumours(label, simulation),
    simulation,
    darkening: applied.darkening,
    textureOffset: applied.textureOffset,
    textureParams: applied.textureParams,
  };
}
