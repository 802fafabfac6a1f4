/**
 * What Eq. 1 needs for one synthetic tumour in a (windowed, RAS, target-spacing) volume or crop:
 * M, M̃, the texture crop T, the organ mask and G's organ channel — all drawn from the run's
 * seeded stream. Also the handcrafted (SynTumor-like) variant stage 1 uses when no real tumour
 * label exists.
 */
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import type { Rng } from '../../core/random.ts';
import {
  cropTexture,
  drawTextureOffset,
  getTexture,
  simulateTumourPositions,
  synthesizeHandcrafted,
  TumourSimulationError,
  type PositionSimulation,
} from '../../core/tumor/index.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { organChannelOf, tumourLabelOf, type LabelScheme } from '../../models/index.ts';
import type { PositionSection, RunConfig } from '../config.ts';
import { organsPresent } from './labelScheme.ts';

export interface TumourInputs {
  organ: Organ;
  organChannel: number;
  /** Label id painted on M in the model's scheme. */
  tumourLabel: number;
  /** M (0/1), M̃, T and the organ mask, voxel order of the volume. */
  mask: Float32Array;
  softMask: Float32Array;
  texture: Float32Array;
  organMask: Float32Array;
  simulation: PositionSimulation;
}

export const diagonalAffine = (spacing: number): Mat4 => [spacing, 0, 0, 0, 0, spacing, 0, 0, 0, 0, spacing, 0, 0, 0, 0, 1];

function positionOptions(p: PositionSection, organs: Organ[], seed: number) {
  const { sizeClass, ...rest } = p;
  return { ...rest, ...(sizeClass ? { sizeClass } : {}), organs, seed };
}

/**
 * Place one tumour (position simulation; count from the config) in a project-label volume.
 * Returns null when no wanted organ is present or placement fails (a crop at an organ's edge),
 * which training treats as "no synthetic tumour here".
 */
export function tumourInputs(label: Uint8Array, dims: Vec3, affine: Mat4, cfg: RunConfig, rng: Rng, organs?: Organ[]): TumourInputs | null {
  const wanted = organs ?? (cfg.preset.labelScheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : cfg.run.organs);
  const present = organsPresent(label, wanted);
  // The seed is drawn even when nothing can be placed, so the stream does not depend on success.
  const seed = rng.nextUint32();
  const texRng = rng.fork();
  if (!present.length) return null;
  let simulation: PositionSimulation;
  try {
    simulation = simulateTumourPositions({ dims, affine, data: label }, positionOptions(cfg.position, present, seed));
  } catch (e) {
    if (e instanceof TumourSimulationError) return null;
    throw e;
  }
  const organ = simulation.tumours[0].organ;
  const n = label.length;
  const mask = new Float32Array(n);
  const organMask = new Float32Array(n);
  const { organ: oid, tumor: tid } = ORGAN_IDS[organ];
  for (let v = 0; v < n; v++) {
    if (simulation.tumourLabel[v]) mask[v] = 1;
    if (label[v] === oid || label[v] === tid) organMask[v] = 1;
  }
  const tex = getTexture(simulation.spacing, cfg.texture);
  const texture = cropTexture(tex, drawTextureOffset(tex, dims, texRng), dims);
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
export function handcraftedTumour(image: Float32Array, label: Uint8Array, dims: Vec3, affine: Mat4, cfg: RunConfig, rng: Rng): { image: Float32Array; label: Uint8Array } | null {
  const wanted = cfg.preset.labelScheme === 'specialist' && cfg.run.organ ? [cfg.run.organ] : cfg.run.organs;
  const present = organsPresent(label, wanted);
  const seed = rng.nextUint32();
  if (!present.length) return null;
  try {
    const r = synthesizeHandcrafted(
      { dims, affine, data: image },
      { dims, affine, data: label },
      { ...positionOptions(cfg.position, present, seed), handcrafted: { units: 'unit', darkening: cfg.handcrafted.darkening, texture: cfg.texture } },
    );
    return { image: r.image.data, label: r.label.data };
  } catch (e) {
    if (e instanceof TumourSimulationError) return null;
    throw e;
  }
}
