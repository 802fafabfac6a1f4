/**
 * What Eq. 1 needs for one synthetic tumour in a (windowed, RAS, target-spacing) volume or crop:
 * M, M̃, the texture crop T, the organ mask and G's organ channel — all drawn from the run's
 * seeded stream. Also the handcrafted (SynTumor-like) variant stage 1 uses when no real tumour
 * label exists.
 *
 * The texture is the run's (seeded from cfg.run.seed, so two runs get different s, b, β); each
 * tumour draws its crop offset from the stream. On a training crop, the centre band is the whole
 * organ's (`siRanges`, from `WholeOrganBands`), as `synthesize` has it on the whole scan.
 */
import { readFile } from 'node:fs/promises';
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import { hashSeed, Rng } from '../../core/random.ts';
import {
  cropTexture,
  drawTextureOffset,
  getTexture,
  labelExtent,
  simulateTumourPositions,
  superiorInferiorAxis,
  synthesizeHandcrafted,
  textureSeedOf,
  TumourSimulationError,
  type PositionSimulation,
} from '../../core/tumor/index.ts';
import { decodeCase, type CacheEntry } from '../data/cache.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { organChannelOf, tumourLabelOf, type LabelScheme } from '../../models/index.ts';
import type { PositionSection, RunConfig } from '../config.ts';
import { organsPresent } from './labelScheme.ts';

export interface TumourInputs {
  organ: Organ;
  organChannel: number;
  /** Label id painted on M in the model's scheme. */
  tumourLabel: number;
  /** M (0/1), M̃, T and the organ mask (organ voxels, existing tumours excluded), voxel order of the volume. */
  mask: Float32Array;
  softMask: Float32Array;
  texture: Float32Array;
  organMask: Float32Array;
  simulation: PositionSimulation;
}

export const diagonalAffine = (spacing: number): Mat4 => [spacing, 0, 0, 0, 0, spacing, 0, 0, 0, 0, spacing, 0, 0, 0, 0, 1];

/** Per organ, the whole organ's superior–inferior voxel extent [first, last] (see centre.ts). */
export type SiRanges = Partial<Record<Organ, [number, number]>>;

function positionOptions(p: PositionSection, organs: Organ[], seed: number, siRanges?: SiRanges) {
  const { sizeClass, ...rest } = p;
  return { ...rest, ...(sizeClass ? { sizeClass } : {}), organs, seed, ...(siRanges ? { siRanges } : {}) };
}

/** The run's texture options: cfg.texture with the seed of this run. */
export const runTexture = (cfg: RunConfig) => ({ ...cfg.texture, seed: textureSeedOf(cfg.run.seed) });

/** Whole-volume superior–inferior extents of the organs present in a project-label volume. */
export function organSiRanges(label: Uint8Array, dims: Vec3, affine: Mat4): SiRanges {
  const z = superiorInferiorAxis(affine);
  const out: SiRanges = {};
  for (const org of Object.keys(ORGAN_IDS) as Organ[]) {
    const e = labelExtent(label, dims, [ORGAN_IDS[org].organ, ORGAN_IDS[org].tumor]);
    if (e.count > 0) out[org] = [e.lo[z], e.hi[z]];
  }
  return out;
}

/**
 * Whole-case ranges in the coordinates of a crop starting at `start` (size nz along the SI axis
 * `axis`), flipped along that axis when the crop was (stage-3 augmentation flips z).
 */
export function siRangesInCrop(whole: SiRanges, start: Vec3, size: Vec3, axis = 2, flipped = false): SiRanges {
  const out: SiRanges = {};
  for (const [org, r] of Object.entries(whole) as [Organ, [number, number]][]) {
    const lo = r[0] - start[axis];
    const hi = r[1] - start[axis];
    out[org] = flipped ? [size[axis] - 1 - hi, size[axis] - 1 - lo] : [lo, hi];
  }
  return out;
}

/**
 * The whole-organ bands of the cases a run crops from, read once per case from the cache (on the
 * first crop of that case) and kept: a crop then places its tumour in the whole organ's band.
 */
export class WholeOrganBands {
  private readonly byId: Map<string, CacheEntry>;
  private readonly ranges = new Map<string, Promise<SiRanges>>();

  constructor(entries: readonly CacheEntry[]) {
    this.byId = new Map(entries.map((e) => [e.id, e]));
  }

  /** SI ranges for a crop of case `caseId` at `start` (preprocessed grid: RAS, SI axis k). */
  async forCrop(caseId: string, start: Vec3, size: Vec3, flippedZ = false): Promise<SiRanges> {
    let r = this.ranges.get(caseId);
    if (!r) {
      const e = this.byId.get(caseId);
      if (!e) throw new Error(`whole-organ bands: case '${caseId}' is not one of this run's cache entries`);
      r = readFile(e.file).then((bytes) => {
        const c = decodeCase(new Uint8Array(bytes), e.file);
        return organSiRanges(c.label, c.header.dims, c.header.affine);
      });
      this.ranges.set(caseId, r);
    }
    return siRangesInCrop(await r, start, size, 2, flippedZ);
  }
}

/**
 * Place one tumour (position simulation; count from the config) in a project-label volume.
 * Returns null when no wanted organ is present or placement fails (a crop at an organ's edge),
 * which training treats as "no synthetic tumour here".
 */
export function tumourInputs(label: Uint8Array, dims: Vec3, affine: Mat4, cfg: RunConfig, rng: Rng, organs?: Organ[], siRanges?: SiRanges): TumourInputs | null {
  const wanted = organs ?? (cfg.preset.labelScheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : cfg.run.organs);
  const present = organsPresent(label, wanted);
  // The seed is drawn even when nothing can be placed, so the stream does not depend on success.
  const seed = rng.nextUint32();
  const texRng = rng.fork();
  if (!present.length) return null;
  // Eq. 1 takes one organ channel of G per sample (and one organ mask), so the tumours of one call
  // share one organ: with several, it is drawn once for the call (from the call's seed).
  const callOrgans = cfg.position.count > 1 && present.length > 1 ? [new Rng(hashSeed(seed, 'organ')).choice(present)] : present;
  let simulation: PositionSimulation;
  try {
    simulation = simulateTumourPositions({ dims, affine, data: label }, positionOptions(cfg.position, callOrgans, seed, siRanges));
  } catch (e) {
    if (e instanceof TumourSimulationError) return null;
    throw e;
  }
  const organ = simulation.tumours[0].organ;
  const n = label.length;
  const mask = new Float32Array(n);
  const organMask = new Float32Array(n);
  // Eq. 1 changes organ voxels only; an existing tumour is not organ (it is never synthesised on).
  const oid = ORGAN_IDS[organ].organ;
  for (let v = 0; v < n; v++) {
    if (simulation.tumourLabel[v]) mask[v] = 1;
    if (label[v] === oid) organMask[v] = 1;
  }
  const tex = getTexture(simulation.spacing, runTexture(cfg));
  const texture = cropTexture(tex, drawTextureOffset(tex, texRng), dims);
  return {
    organ,
    organChannel: organChannelOf(organ),
    tumourLabel: tumourLabelOf(organ, cfg.preset.labelScheme as LabelScheme),
    mask,
    softMask: simulation.softMask,
    texture,
    organMask,
    simulation,
  };
}

/**
 * A handcrafted tumour (x̂ = x − M̃·d·T, window units) on an organ-only crop, for stage 1 without
 * real tumour labels. Returns the new image and project labels, or null when nothing was placed.
 */
export function handcraftedTumour(image: Float32Array, label: Uint8Array, dims: Vec3, affine: Mat4, cfg: RunConfig, rng: Rng, siRanges?: SiRanges): { image: Float32Array; label: Uint8Array } | null {
  const wanted = cfg.preset.labelScheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : cfg.run.organs;
  const present = organsPresent(label, wanted);
  const seed = rng.nextUint32();
  if (!present.length) return null;
  try {
    const r = synthesizeHandcrafted(
      { dims, affine, data: image },
      { dims, affine, data: label },
      { ...positionOptions(cfg.position, present, seed, siRanges), handcrafted: { units: 'unit', darkening: cfg.handcrafted.darkening, texture: runTexture(cfg) } },
    );
    return { image: r.image.data, label: r.label.data };
  } catch (e) {
    if (e instanceof TumourSimulationError) return null;
    throw e;
  }
}
