/**
 * Tumour position simulation (FreeTumor Stage 2, after SynTumor): the hard mask M and the soft
 * mask M̃ for one or more tumours, in the voxel space of whatever volume is given (a crop or a
 * whole scan), with physical sizes taken from its affine.
 *
 * Per tumour, every draw comes from that tumour's own generator, seeded from (seed, index), so
 * tumour n is the same whether or not other tumours are asked for, in Node and in the browser.
 * Draw order: organ, size class, semi-axes, elastic σ, centre, deformation grids, blur σ.
 *
 * Only the tumour's box (4 r) and its blur margin are ever touched; the volume-sized outputs are
 * allocated zeroed and written inside those boxes.
 *
 * Existing tumours are not organ here: a centre, and M, keep `tumourMarginMm` away from every voxel
 * labelled tumour (any organ's), and M̃ never covers one, so a new tumour is never drawn on a real
 * lesion (whose voxels would add nothing to the label and would pass the quality test for free).
 * Each tumour keeps its own M and M̃ (`parts`), so a caller can score tumours one by one and keep
 * only some (`keepTumours`).
 */
import { ORGAN_IDS, type Organ } from '../labels.ts';
import { Rng, hashSeed, type Seed } from '../random.ts';
import { spacingOf, voxelToWorld, type ImageVolume, type LabelVolume, type Mat4, type Vec3 } from '../volume.ts';
import {
  DEFAULT_CENTRE_OPTIONS,
  chooseTumourCentre,
  labelExtent,
  type CentreOptions,
  type OrganExtent,
} from './centre.ts';
import { DEFAULT_ELASTIC_OPTIONS, elasticDeform, type ElasticOptions } from './elasticDeformation.ts';
import { ellipsoidBox } from './ellipsoid.ts';
import { TumourSimulationError } from './errors.ts';
import { DEFAULT_GAUSSIAN_TRUNCATE, gaussianFilter3d, gaussianRadius } from './gaussianFilter.ts';
import {
  DEFAULT_SIZE_CLASS_CONFIG,
  SIZE_CLASSES,
  drawElasticSigmaMm,
  drawSemiAxesMm,
  drawSizeClass,
  type SizeClass,
  type SizeClassConfig,
} from './sizeClasses.ts';

export interface VesselAvoidance {
  enabled: boolean;
  /** Candidate centres brighter than this (HU) are skipped: contrast-filled vessels. */
  huThreshold: number;
}

export interface PositionSimulationOptions {
  /** Base seed, or a generator to draw the base seed from (training streams). */
  seed: Seed | Rng;
  /** Tumours per call. */
  count: number;
  /** Organs to place tumours in; each tumour picks one uniformly. */
  organs: Organ[];
  /** Force one size class for every tumour (otherwise drawn with `classProbabilities`). */
  sizeClass?: SizeClass;
  /** Relative class weights; missing classes keep the config's weight. */
  classProbabilities?: Partial<Record<SizeClass, number>>;
  sizeClasses: SizeClassConfig;
  /** User-given centre voxels: tumour n uses centres[n] when present (must lie in the organ). */
  centres?: Vec3[];
  centre: CentreOptions;
  /** Elastic deformation; `enabled: false` leaves the ellipsoid as drawn (tests, previews). */
  elastic: ElasticOptions & { enabled: boolean };
  /** Box half-width in semi-axes (2 = the reference's 4r box). */
  boxFactor: number;
  /** M̃ blur σ ~ U(lo, hi), reference voxels (1.5 mm) → per-axis voxels of this volume. */
  blurSigma: [number, number];
  gaussianTruncate: number;
  avoidVessels: VesselAvoidance;
  /** Keep M̃ inside the organ (the reference changes organ voxels only). */
  softMaskInOrganOnly: boolean;
  /** Redraws of a tumour whose M came out empty (deformation pushed it off the organ). */
  maxAttempts: number;
  /**
   * Distance (mm) a new tumour's centre and M keep from existing tumour voxels (which are never
   * part of M or M̃, whatever this is). 3 mm = the centre erosion's half-width.
   */
  tumourMarginMm: number;
  /**
   * Per organ, the whole organ's superior–inferior extent in this volume's voxel coordinates, when
   * the volume is a crop: the centre band is then the whole organ's (see centre.ts).
   */
  siRanges?: Partial<Record<Organ, [number, number]>>;
}

export const DEFAULT_POSITION_OPTIONS: PositionSimulationOptions = {
  seed: 0,
  count: 1,
  organs: ['liver'],
  sizeClasses: DEFAULT_SIZE_CLASS_CONFIG,
  centre: DEFAULT_CENTRE_OPTIONS,
  elastic: { ...DEFAULT_ELASTIC_OPTIONS, enabled: true },
  boxFactor: 2,
  blurSigma: [1, 2],
  gaussianTruncate: DEFAULT_GAUSSIAN_TRUNCATE,
  avoidVessels: { enabled: false, huThreshold: 180 },
  softMaskInOrganOnly: true,
  maxAttempts: 10,
  tumourMarginMm: 3,
};

export interface Box {
  /** Inclusive lower corner (voxels). */
  lo: Vec3;
  /** Inclusive upper corner (voxels). */
  hi: Vec3;
}

export interface SimulatedTumour {
  index: number;
  /** Seed of this tumour's own generator. */
  seed: number;
  organ: Organ;
  /** Project label id written for this tumour (liver 2, pancreas 4, kidney 6). */
  tumourLabel: number;
  sizeClass: SizeClass;
  centreVoxel: Vec3;
  centreWorldMm: Vec3;
  userCentre: boolean;
  /** Semi-axes of the undeformed ellipsoid. */
  semiAxesMm: Vec3;
  semiAxesVoxels: Vec3;
  elasticSigmaMm: number;
  blurSigmaMm: number;
  /** Voxels of M for this tumour (tumour ∩ organ). */
  voxelCount: number;
  volumeMm3: number;
  /** Bounding box of this tumour's M. */
  bbox: Box;
  /** Centre band actually used (null for a user-given centre). */
  centreBand: { band: [number, number]; widened: number; siAxis: number } | null;
  attempts: number;
}

/** One tumour's own masks: M as voxel indices, M̃ inside its box (max-folded into softMask). */
export interface TumourPart {
  voxels: Int32Array;
  softBox: Box | null;
  soft: Float32Array;
}

export interface PositionSimulation {
  dims: Vec3;
  affine: Mat4;
  spacing: Vec3;
  /** M with each voxel's tumour label id (2/4/6), 0 elsewhere: M = tumourLabel > 0. */
  tumourLabel: Uint8Array;
  /** M̃ in [0, 1] (the max over tumours of each blurred mask). */
  softMask: Float32Array;
  /** Box holding every non-zero voxel of softMask (null when there is none). */
  softBox: Box | null;
  tumours: SimulatedTumour[];
  /** parts[n] belongs to tumours[n]. */
  parts: TumourPart[];
  /** Voxels of M (the union over tumours): every one was organ, none was tumour before. */
  newTumourVoxels: number;
  /** The base seed the tumour seeds were derived from. */
  seed: number;
}

export type PositionOptionsInput = Partial<Omit<PositionSimulationOptions, 'centre' | 'elastic' | 'avoidVessels' | 'sizeClasses'>> & {
  centre?: Partial<CentreOptions>;
  elastic?: Partial<PositionSimulationOptions['elastic']>;
  avoidVessels?: Partial<VesselAvoidance>;
  sizeClasses?: Partial<SizeClassConfig>;
};

export function resolvePositionOptions(input: PositionOptionsInput = {}): PositionSimulationOptions {
  const d = DEFAULT_POSITION_OPTIONS;
  const sizeClasses: SizeClassConfig = { ...d.sizeClasses, ...input.sizeClasses };
  if (input.classProbabilities) sizeClasses.probabilities = { ...sizeClasses.probabilities, ...input.classProbabilities };
  const o: PositionSimulationOptions = {
    ...d,
    ...input,
    sizeClasses,
    centre: { ...d.centre, ...input.centre },
    elastic: { ...d.elastic, ...input.elastic },
    avoidVessels: { ...d.avoidVessels, ...input.avoidVessels },
  } as PositionSimulationOptions;
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`count must be an integer >= 1, got ${o.count}`);
  if (!o.organs.length) throw new RangeError('at least one organ is needed');
  for (const org of o.organs) if (!(org in ORGAN_IDS)) throw new RangeError(`unknown organ '${org}'`);
  if (!(o.blurSigma[0] >= 0 && o.blurSigma[1] >= o.blurSigma[0])) throw new RangeError(`bad blurSigma [${o.blurSigma}]`);
  if (!(o.tumourMarginMm >= 0 && Number.isFinite(o.tumourMarginMm))) throw new RangeError(`tumourMarginMm must be a finite number >= 0, got ${o.tumourMarginMm}`);
  return o;
}

/** Voxel volume in mm³ (|det| of the affine's 3×3, so sheared affines are right too). */
export function voxelVolumeMm3(affine: Mat4): number {
  const [a, b, c, , d, e, f, , g, h, i] = affine;
  return Math.abs(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g));
}

/**
 * Simulate tumour masks in `label` (project scheme: organ ids 1/3/5; an organ's tumour id counts
 * as organ too). `image` (HU, same geometry) is needed only for vessel avoidance.
 */
export function simulateTumourPositions(
  label: LabelVolume,
  input: PositionOptionsInput = {},
  image?: ImageVolume,
): PositionSimulation {
  const o = resolvePositionOptions(input);
  const { dims, affine } = label;
  const n = dims[0] * dims[1] * dims[2];
  if (label.data.length !== n) throw new TumourSimulationError(`label has ${label.data.length} voxels, dims say ${n}`);
  if (o.avoidVessels.enabled) {
    if (!image) throw new TumourSimulationError('vessel avoidance needs the CT image (HU)');
    if (image.data.length !== n) throw new TumourSimulationError('image and label differ in size');
  }
  const spacing = spacingOf(affine);
  const baseSeed = o.seed instanceof Rng ? o.seed.nextUint32() : hashSeed(o.seed);
  const lab = label.data;
  const tumourLabel = new Uint8Array(n);
  const softMask = new Float32Array(n);
  let softBox: Box | null = null;
  const extents = new Map<Organ, OrganExtent>();
  const blocked = existingTumourZone(label, o.tumourMarginMm);
  // Where a new tumour may go: the organ, minus existing tumours and their margin.
  const isOrganOf = (org: Organ) => {
    const oid = ORGAN_IDS[org].organ;
    return blocked ? (idx: number): boolean => lab[idx] === oid && !blocked[idx] : (idx: number): boolean => lab[idx] === oid;
  };
  // Where M̃ may reach: the organ proper (softMaskInOrganOnly), and never an existing tumour.
  const tumourIds = new Uint8Array(256);
  for (const org of Object.keys(ORGAN_IDS) as Organ[]) tumourIds[ORGAN_IDS[org].tumor] = 1;
  const softAllowedOf = (org: Organ) => {
    const oid = ORGAN_IDS[org].organ;
    return o.softMaskInOrganOnly ? (idx: number): boolean => lab[idx] === oid : (idx: number): boolean => !tumourIds[lab[idx]];
  };
  const extentOf = (org: Organ): OrganExtent => {
    let e = extents.get(org);
    if (!e) {
      e = labelExtent(lab, dims, [ORGAN_IDS[org].organ, ORGAN_IDS[org].tumor]);
      extents.set(org, e);
    }
    return e;
  };
  // Missing organs are an error up front, not a surprise on the n-th tumour.
  for (const org of o.organs) {
    if (extentOf(org).count === 0) {
      throw new TumourSimulationError(`the label has no ${org} voxel (project id ${ORGAN_IDS[org].organ}): cannot place a tumour`);
    }
  }
  const accept = o.avoidVessels.enabled && image
    ? (idx: number): boolean => image.data[idx] <= o.avoidVessels.huThreshold
    : undefined;

  const tumours: SimulatedTumour[] = [];
  const parts: TumourPart[] = [];
  for (let t = 0; t < o.count; t++) {
    const seed = hashSeed(baseSeed, 'tumour', t);
    const rng = new Rng(seed);
    const organ = o.organs.length === 1 ? o.organs[0] : rng.choice(o.organs);
    const isOrgan = isOrganOf(organ);
    const softAllowed = softAllowedOf(organ);
    const cls = o.sizeClass ?? drawSizeClass(rng, o.sizeClasses.probabilities);
    if (!SIZE_CLASSES.includes(cls)) throw new RangeError(`unknown size class '${cls}'`);
    const given = o.centres?.[t];
    let placed: ReturnType<typeof placeOne> | null = null;
    let attempts = 0;
    while (!placed && attempts < o.maxAttempts) {
      attempts++;
      placed = placeOne();
      if (placed && placed.count === 0) placed = given ? placed : null;
    }
    if (!placed) {
      throw new TumourSimulationError(`tumour ${t} in the ${organ}: ${o.maxAttempts} attempts all gave an empty mask`);
    }
    tumours.push({ ...placed.info, attempts });
    parts.push(placed.part);

    function placeOne() {
      const semiAxesMm = drawSemiAxesMm(rng, cls, o.sizeClasses);
      const elasticSigmaMm = drawElasticSigmaMm(rng, cls, o.sizeClasses);
      let centre: Vec3;
      let centreBand: SimulatedTumour['centreBand'] = null;
      if (given) {
        centre = checkCentre(given, dims, isOrgan, organ, blocked ? (idx) => blocked[idx] === 1 : null, o.tumourMarginMm);
      } else {
        const c = chooseTumourCentre(
          { dims, affine, isOrgan, extent: extentOf(organ), accept, organName: organ, ...(o.siRanges?.[organ] ? { siRange: o.siRanges[organ] } : {}) },
          rng,
          o.centre,
        );
        centre = c.voxel;
        centreBand = { band: c.band, widened: c.widened, siAxis: c.siAxis };
      }
      const radii = [0, 1, 2].map((a) => semiAxesMm[a] / spacing[a]) as Vec3;
      const shape = ellipsoidBox(radii, o.boxFactor);
      const sigmaVox = [0, 1, 2].map((a) => elasticSigmaMm / spacing[a]) as Vec3;
      const deformed = o.elastic.enabled
        ? elasticDeform(shape.data, shape.dims, sigmaVox, rng, o.elastic, shape.bounds)
        : { data: shape.data, bounds: shape.bounds };
      const blurSigmaMm = rng.uniform(o.blurSigma[0], o.blurSigma[1]) * o.sizeClasses.referenceSpacingMm;

      // M for this tumour: deformed shape ∩ organ, written into the volume.
      const origin = [0, 1, 2].map((a) => centre[a] - shape.centre[a]) as Vec3;
      const lo: Vec3 = [Infinity, Infinity, Infinity];
      const hi: Vec3 = [-1, -1, -1];
      let count = 0;
      const id = ORGAN_IDS[organ].tumor;
      const bd = shape.dims;
      const mine: number[] = [];
      const sb = deformed.bounds;
      const dd = deformed.data;
      if (sb) {
        for (let k = sb.lo[2]; k <= sb.hi[2]; k++) {
          const z = origin[2] + k;
          if (z < 0 || z >= dims[2]) continue;
          for (let j = sb.lo[1]; j <= sb.hi[1]; j++) {
            const y = origin[1] + j;
            if (y < 0 || y >= dims[1]) continue;
            const srow = bd[0] * (j + bd[1] * k);
            const vrow = dims[0] * (y + dims[1] * z);
            for (let i = sb.lo[0]; i <= sb.hi[0]; i++) {
              if (!dd[srow + i]) continue;
              const x = origin[0] + i;
              if (x < 0 || x >= dims[0]) continue;
              const idx = vrow + x;
              if (!isOrgan(idx)) continue;
              mine.push(idx);
              count++;
              if (x < lo[0]) lo[0] = x;
              if (x > hi[0]) hi[0] = x;
              if (y < lo[1]) lo[1] = y;
              if (y > hi[1]) hi[1] = y;
              if (z < lo[2]) lo[2] = z;
              if (z > hi[2]) hi[2] = z;
            }
          }
        }
      }
      let part: TumourPart = { voxels: new Int32Array(0), softBox: null, soft: new Float32Array(0) };
      if (count > 0) {
        for (const idx of mine) tumourLabel[idx] = id;
        const sigmaBlur = [0, 1, 2].map((a) => blurSigmaMm / spacing[a]) as Vec3;
        part = addSoftMask(mine, { lo, hi }, sigmaBlur);
        softBox = softBox ? unionBox(softBox, part.softBox!) : part.softBox;
      }
      const info: Omit<SimulatedTumour, 'attempts'> = {
        index: t,
        seed,
        organ,
        tumourLabel: id,
        sizeClass: cls,
        centreVoxel: centre,
        centreWorldMm: voxelToWorld(affine, centre),
        userCentre: !!given,
        semiAxesMm,
        semiAxesVoxels: radii,
        elasticSigmaMm,
        blurSigmaMm,
        voxelCount: count,
        volumeMm3: count * voxelVolumeMm3(affine),
        bbox: count > 0 ? { lo, hi } : { lo: [...centre] as Vec3, hi: [...centre] as Vec3 },
        centreBand,
      };
      return { info, count, part };

      /** Blur this tumour's M inside its box + margin, keep it as the tumour's own, fold it into M̃ by max. */
      function addSoftMask(voxels: number[], mBox: Box, sigmaBlur: Vec3): TumourPart {
        const blo = [0, 1, 2].map((a) => Math.max(0, mBox.lo[a] - gaussianRadius(sigmaBlur[a], o.gaussianTruncate))) as Vec3;
        const bhi = [0, 1, 2].map((a) =>
          Math.min(dims[a] - 1, mBox.hi[a] + gaussianRadius(sigmaBlur[a], o.gaussianTruncate)),
        ) as Vec3;
        const bdims = [0, 1, 2].map((a) => bhi[a] - blo[a] + 1) as Vec3;
        const local = new Float32Array(bdims[0] * bdims[1] * bdims[2]);
        const sx = dims[0];
        const sxy = dims[0] * dims[1];
        for (const idx of voxels) {
          const z = Math.floor(idx / sxy);
          const y = Math.floor((idx - z * sxy) / sx);
          const x = idx - z * sxy - y * sx;
          local[x - blo[0] + bdims[0] * (y - blo[1] + bdims[1] * (z - blo[2]))] = 1;
        }
        // Inside the volume the margin holds zeros out to the kernel's reach, so the box's own
        // reflecting border only matters where the box meets the volume's edge, as it should.
        const blurred = gaussianFilter3d(local, bdims, sigmaBlur, { truncate: o.gaussianTruncate });
        let p = 0;
        for (let k = 0; k < bdims[2]; k++) {
          for (let j = 0; j < bdims[1]; j++) {
            const vrow = blo[0] + dims[0] * (blo[1] + j + dims[1] * (blo[2] + k));
            for (let i = 0; i < bdims[0]; i++, p++) {
              let v = blurred[p];
              if (v <= 0) {
                blurred[p] = 0;
                continue;
              }
              const idx = vrow + i;
              if (!softAllowed(idx)) {
                blurred[p] = 0;
                continue;
              }
              if (v > 1) v = 1;
              blurred[p] = v;
              if (v > softMask[idx]) softMask[idx] = v;
            }
          }
        }
        return { voxels: Int32Array.from(voxels), softBox: { lo: blo, hi: bhi }, soft: blurred };
      }
    }
  }

  let newTumourVoxels = 0;
  for (let v = 0; v < n; v++) if (tumourLabel[v]) newTumourVoxels++;
  return { dims: [...dims] as Vec3, affine: [...affine], spacing, tumourLabel, softMask, softBox, tumours, parts, newTumourVoxels, seed: baseSeed };
}

/**
 * The simulation with only the tumours whose indices are in `keep` (the others reverted: their M
 * and M̃ gone). M̃ is rebuilt as the max over the kept tumours' own, so a kept tumour's voxels are
 * exactly what they were.
 */
export function keepTumours(sim: PositionSimulation, keep: Iterable<number>): PositionSimulation {
  const wanted = new Set(keep);
  const n = sim.tumourLabel.length;
  const tumourLabel = new Uint8Array(n);
  const softMask = new Float32Array(n);
  const tumours: SimulatedTumour[] = [];
  const parts: TumourPart[] = [];
  let softBox: Box | null = null;
  const [nx, ny] = sim.dims;
  sim.tumours.forEach((t, q) => {
    if (!wanted.has(t.index)) return;
    const part = sim.parts[q];
    tumours.push(t);
    parts.push(part);
    for (const idx of part.voxels) tumourLabel[idx] = t.tumourLabel;
    const b = part.softBox;
    if (!b) return;
    softBox = softBox ? unionBox(softBox, b) : b;
    const bd = [0, 1, 2].map((a) => b.hi[a] - b.lo[a] + 1) as Vec3;
    let p = 0;
    for (let k = 0; k < bd[2]; k++) {
      for (let j = 0; j < bd[1]; j++) {
        const row = b.lo[0] + nx * (b.lo[1] + j + ny * (b.lo[2] + k));
        for (let i = 0; i < bd[0]; i++, p++) {
          const v = part.soft[p];
          if (v > softMask[row + i]) softMask[row + i] = v;
        }
      }
    }
  });
  let newTumourVoxels = 0;
  for (let v = 0; v < n; v++) if (tumourLabel[v]) newTumourVoxels++;
  return { ...sim, tumourLabel, softMask, softBox, tumours, parts, newTumourVoxels };
}

/**
 * Voxels labelled tumour (any organ's tumour id) and, with a margin, every voxel within `marginMm`
 * of one (an ellipsoidal ball in voxels on anisotropic grids). null when the label has no tumour.
 */
export function existingTumourZone(label: LabelVolume, marginMm: number): Uint8Array | null {
  const { dims, data } = label;
  const isTumour = new Uint8Array(256);
  for (const org of Object.keys(ORGAN_IDS) as Organ[]) isTumour[ORGAN_IDS[org].tumor] = 1;
  const n = data.length;
  let any = false;
  for (let v = 0; v < n; v++) {
    if (isTumour[data[v]]) {
      any = true;
      break;
    }
  }
  if (!any) return null;
  const zone = new Uint8Array(n);
  for (let v = 0; v < n; v++) if (isTumour[data[v]]) zone[v] = 1;
  if (marginMm <= 0) return zone;
  const spacing = spacingOf(label.affine);
  const r = spacing.map((s) => Math.floor(marginMm / s + 1e-9)) as Vec3;
  const ball: Vec3[] = [];
  for (let dz = -r[2]; dz <= r[2]; dz++)
    for (let dy = -r[1]; dy <= r[1]; dy++)
      for (let dx = -r[0]; dx <= r[0]; dx++) {
        const d2 = (dx * spacing[0]) ** 2 + (dy * spacing[1]) ** 2 + (dz * spacing[2]) ** 2;
        if ((dx || dy || dz) && d2 <= marginMm * marginMm + 1e-9) ball.push([dx, dy, dz]);
      }
  if (!ball.length) return zone;
  const [nx, ny, nz] = dims;
  const at = (i: number, j: number, k: number) => data[i + nx * (j + ny * k)];
  // Only a tumour's surface voxels can reach outside it, so only they are stamped with the ball.
  let v = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++) {
        if (!isTumour[data[v]]) continue;
        const surface =
          (i > 0 && !isTumour[at(i - 1, j, k)]) || (i < nx - 1 && !isTumour[at(i + 1, j, k)]) ||
          (j > 0 && !isTumour[at(i, j - 1, k)]) || (j < ny - 1 && !isTumour[at(i, j + 1, k)]) ||
          (k > 0 && !isTumour[at(i, j, k - 1)]) || (k < nz - 1 && !isTumour[at(i, j, k + 1)]);
        if (!surface) continue;
        for (const [dx, dy, dz] of ball) {
          const x = i + dx;
          const y = j + dy;
          const z = k + dz;
          if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) continue;
          zone[x + nx * (y + ny * z)] = 1;
        }
      }
  return zone;
}

function checkCentre(c: Vec3, dims: Vec3, isOrgan: (idx: number) => boolean, organ: Organ, nearTumour: ((idx: number) => boolean) | null, marginMm: number): Vec3 {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(c[a]) || c[a] < 0 || c[a] >= dims[a]) {
      throw new TumourSimulationError(`centre ${c.join(',')} is outside the volume (dims ${dims.join('×')})`);
    }
  }
  const idx = c[0] + dims[0] * (c[1] + dims[1] * c[2]);
  if (nearTumour?.(idx)) {
    throw new TumourSimulationError(
      `centre ${c.join(',')} is on an existing tumour${marginMm > 0 ? ` or within ${marginMm} mm of one` : ''}: a new tumour must go into tumour-free ${organ}`,
    );
  }
  if (!isOrgan(idx)) {
    throw new TumourSimulationError(`centre ${c.join(',')} is not inside the ${organ}`);
  }
  return [c[0], c[1], c[2]];
}

function unionBox(a: Box, b: Box): Box {
  return {
    lo: [0, 1, 2].map((x) => Math.min(a.lo[x], b.lo[x])) as Vec3,
    hi: [0, 1, 2].map((x) => Math.max(a.hi[x], b.hi[x])) as Vec3,
  };
}

