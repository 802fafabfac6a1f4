/**
 * A procedurally generated abdominal CT: the project's own demo case, made in the tab (or in Node)
 * from a seed, so the workbench starts on something realistic without shipping anyone's scan.
 * Body wall (fat, muscle), spine, paraspinal and psoas muscles, aorta, liver, spleen, pancreas and
 * both kidneys (cortex and medulla), bowel with gas between them; a smooth texture per tissue and
 * Gaussian noise on top. Every draw comes from one seeded stream, so a seed is a case.
 */
import { hashSeed, Rng, type Seed } from '../random.ts';
import { voxelCount, type LabelVolume, type Vec3, type Volume } from '../volume.ts';
import { BODY, SPINE, TISSUE_HU, structures, totalSegmentatorId, type Shape, type Structure } from './anatomy.ts';
import { SmoothNoise } from './smoothNoise.ts';

export interface PhantomOptions {
  /** Default 0. */
  seed?: Seed;
  /** Voxels along i (patient left → right: RAS+), j (posterior → anterior), k (inferior → superior). Default 120×96×96. */
  dims?: Vec3;
  /** mm per voxel. Default 3 mm isotropic, like the TotalSegmentator example. */
  spacing?: Vec3;
  /** Standard deviation of the per-voxel Gaussian noise, HU. Default 12 (a routine 3 mm abdomen). */
  noiseSd?: number;
  /** How much organ positions and sizes vary with the seed: 1 = the default spread, 0 = none. */
  variation?: number;
}

export interface Phantom {
  /** HU, int16 as CT is stored. */
  image: Volume<Int16Array>;
  /** TotalSegmentator v2 "total" ids. */
  labels: LabelVolume;
  /** Label id → TotalSegmentator class name, for every id that occurs. */
  names: Record<number, string>;
}

export const PHANTOM_DEFAULTS = { seed: 0, dims: [120, 96, 96] as Vec3, spacing: [3, 3, 3] as Vec3, noiseSd: 12, variation: 1 };

/** What real CT can hold: air's floor and the 12-bit ceiling scanners use. */
const HU_MIN = -1024;
const HU_MAX = 3071;

interface Placed extends Structure {
  id: number;
  /** Axis-aligned bounds in mm, wobble included: a quick rejection before the shape test. */
  lo: Vec3;
  hi: Vec3;
}

function checkOptions(dims: Vec3, spacing: Vec3, noiseSd: number, variation: number): void {
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 8 && d <= 1024)) {
    throw new RangeError(`phantom: dims must be three integers in 8..1024, got ${dims.join('×')}`);
  }
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s >= 0.25 && s <= 20)) {
    throw new RangeError(`phantom: spacing must be three numbers in 0.25..20 mm, got ${spacing.join('×')}`);
  }
  if (!(Number.isFinite(noiseSd) && noiseSd >= 0)) throw new RangeError(`phantom: noiseSd must be ≥ 0, got ${noiseSd}`);
  if (!(Number.isFinite(variation) && variation >= 0 && variation <= 3)) throw new RangeError(`phantom: variation must be in 0..3, got ${variation}`);
}

/** Signed, normalised distance to a shape: < 0 inside, −1 at its centre line, 0 on the surface. */
function shapeDistance(s: Shape, x: number, y: number, z: number): number {
  if (s.kind === 'ellipsoid') {
    const dx = (x - s.centre[0]) / s.radii[0];
    const dy = (y - s.centre[1]) / s.radii[1];
    const dz = (z - s.centre[2]) / s.radii[2];
    return Math.sqrt(dx * dx + dy * dy + dz * dz) - 1;
  }
  let best = Infinity;
  for (let n = 0; n + 1 < s.points.length; n++) {
    const a = s.points[n], b = s.points[n + 1];
    const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    const len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
    const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((x - a[0]) * ab[0] + (y - a[1]) * ab[1] + (z - a[2]) * ab[2]) / len2));
    const px = a[0] + t * ab[0] - x, py = a[1] + t * ab[1] - y, pz = a[2] + t * ab[2] - z;
    const r = s.radius[n] + t * (s.radius[n + 1] - s.radius[n]);
    best = Math.min(best, Math.sqrt(px * px + py * py + pz * pz) / r - 1);
  }
  return best;
}

function shapeBounds(s: Shape, grow: number): [Vec3, Vec3] {
  const pts = s.kind === 'ellipsoid' ? [s.centre] : s.points;
  const r = s.kind === 'ellipsoid' ? s.radii : ([0, 1, 2].map(() => Math.max(...s.radius)) as Vec3);
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const p of pts) {
    for (let c = 0; c < 3; c++) {
      lo[c] = Math.min(lo[c], p[c] - r[c] * grow);
      hi[c] = Math.max(hi[c], p[c] + r[c] * grow);
    }
  }
  return [lo, hi];
}

/** The seed moves each structure a few mm and scales it a few per cent, so seeds differ in anatomy. */
function place(list: Structure[], rng: Rng, variation: number): Placed[] {
  return list.map((s) => {
    const shift: Vec3 = [0, 1, 2].map(() => rng.normal(0, 3 * variation)) as Vec3;
    const scale = 1 + Math.max(-0.15, Math.min(0.15, rng.normal(0, 0.05 * variation)));
    const shapes = s.shapes.map((sh): Shape =>
      sh.kind === 'ellipsoid'
        ? { kind: 'ellipsoid', centre: sh.centre.map((v, c) => v + shift[c]) as Vec3, radii: sh.radii.map((v) => v * scale) as Vec3 }
        : { kind: 'tube', points: sh.points.map((p) => p.map((v, c) => v + shift[c]) as Vec3), radius: sh.radius.map((v) => v * scale) },
    );
    // Noise of the smooth field stays within about ±3; the bound must hold the wobbled outline.
    const grow = 1 + 3 * s.wobble + 0.01;
    const lo: Vec3 = [Infinity, Infinity, Infinity];
    const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const sh of shapes) {
      const [a, b] = shapeBounds(sh, grow);
      for (let c = 0; c < 3; c++) {
        lo[c] = Math.min(lo[c], a[c]);
        hi[c] = Math.max(hi[c], b[c]);
      }
    }
    return { ...s, shapes, id: totalSegmentatorId(s.name), lo, hi };
  });
}

export function makeAbdomenPhantom(options: PhantomOptions = {}): Phantom {
  const o = { ...PHANTOM_DEFAULTS, ...options };
  const dims = [...o.dims] as Vec3;
  const sp = [...o.spacing] as Vec3;
  checkOptions(dims, sp, o.noiseSd, o.variation);
  const rng = new Rng(hashSeed(o.seed, 'abdomen-phantom'));
  const [nx, ny, nz] = dims;
  // The field of view is centred on the origin: voxel (i,j,k) sits at origin + (i,j,k)·spacing.
  const origin = dims.map((d, c) => (-(d - 1) / 2) * sp[c]) as Vec3;
  const extent = dims.map((d, c) => d * sp[c]) as Vec3;
  const zBottom = origin[2];
  const zTop = origin[2] + (nz - 1) * sp[2];

  const placed = place(structures(zTop, zBottom), rng, o.variation);
  const shapeNoise = new SmoothNoise(rng, extent, 30);
  const texture = new SmoothNoise(rng, extent, 10);
  const bowel = new SmoothNoise(rng, extent, 22);
  const gas = new SmoothNoise(rng, extent, 8);

  const n = voxelCount(dims);
  const hu = new Int16Array(n);
  const lab = new Uint8Array(n);
  const [bcx, bcy] = BODY.centre;
  const [ba, bb] = BODY.semiAxes;
  const levelIds = SPINE.levels.map(totalSegmentatorId);
  const [vx, vy] = SPINE.bodyCentre;
  const [vrx, vry] = SPINE.bodyRadii;
  const cortexQ = ((Math.min(vrx, vry) - SPINE.cortexMm) / Math.min(vrx, vry)) ** 2;
  const [ccx, ccy] = SPINE.canalCentre;

  for (let k = 0, v = 0; k < nz; k++) {
    const z = origin[2] + k * sp[2];
    // Vertebral centres every levelMm from L1's; a disc sits half-way between two.
    const r = (z - SPINE.l1CentreZ) / SPINE.levelMm;
    const levelId = levelIds[Math.max(0, Math.min(levelIds.length - 1, SPINE.levelL1 + Math.round(r)))];
    const inDisc = Math.abs(r - Math.floor(r) - 0.5) * SPINE.levelMm < SPINE.discHalfMm;
    for (let j = 0; j < ny; j++) {
      const y = origin[1] + j * sp[1];
      for (let i = 0; i < nx; i++, v++) {
        const x = origin[0] + i * sp[0];
        const fx = x - origin[0], fy = y - origin[1], fz = z - origin[2];
        let value: number = TISSUE_HU.air;
        let id = 0;
        const ex = (x - bcx) / ba, ey = (y - bcy) / bb;
        const rb = Math.sqrt(ex * ex + ey * ey) * (1 + 0.01 * shapeNoise.at(fx, fy, fz));
        if (rb < 1) {
          // Depth below the skin along the ray from the body's centre.
          const depth = Math.hypot(x - bcx, y - bcy) * (1 / rb - 1);
          const tex = texture.at(fx, fy, fz);
          if (depth < BODY.fatMm) value = TISSUE_HU.fat + 8 * tex;
          else {
            const bq = ((x - vx) / vrx) ** 2 + ((y - vy) / vry) ** 2;
            const dc = Math.hypot(x - ccx, y - ccy);
            const spinous = Math.abs(x) < SPINE.spinous.halfWidth && y <= SPINE.spinous.from && y >= SPINE.spinous.to;
            const arch = dc >= SPINE.canalRadius && dc < SPINE.archRadius && y < ccy + 12;
            if (bq < 1) {
              if (inDisc) value = TISSUE_HU.disc + 5 * tex;
              else {
                value = bq > cortexQ ? TISSUE_HU.corticalBone : TISSUE_HU.cancellousBone + 30 * tex;
                id = levelId;
              }
            } else if (arch || spinous) {
              value = TISSUE_HU.corticalBone * 0.7 + 60 * tex;
              id = levelId;
            } else if (dc < SPINE.canalRadius) value = TISSUE_HU.csf + 5 * tex;
            else {
              let hit: Placed | null = null;
              let d = 0;
              for (const s of placed) {
                if (x < s.lo[0] || x > s.hi[0] || y < s.lo[1] || y > s.hi[1] || z < s.lo[2] || z > s.hi[2]) continue;
                let best = Infinity;
                for (const sh of s.shapes) best = Math.min(best, shapeDistance(sh, x, y, z));
                if (best < s.wobble * shapeNoise.at(fx, fy, fz)) {
                  hit = s;
                  d = best;
                  break;
                }
              }
              if (hit) {
                id = hit.id;
                value = (hit.core && d < -hit.core.depth ? hit.core.hu : hit.hu) + hit.texture * tex;
              } else if (depth < BODY.fatMm + BODY.muscleMm) value = TISSUE_HU.muscle + 6 * tex;
              else {
                // Between the organs: mesenteric fat and bowel, with gas in some of the bowel.
                const b = bowel.at(fx, fy, fz);
                const t = Math.min(1, Math.max(0, (b + 0.2) / 0.5));
                const w = t * t * (3 - 2 * t);
                value = TISSUE_HU.fat + (TISSUE_HU.bowel - TISSUE_HU.fat) * w + 6 * tex;
                if (b > 0.35 && gas.at(fx, fy, fz) > 1.1) value = TISSUE_HU.bowelGas;
              }
            }
          }
        }
        if (o.noiseSd > 0) value += rng.normal(0, o.noiseSd);
        hu[v] = Math.round(Math.min(HU_MAX, Math.max(HU_MIN, value)));
        lab[v] = id;
      }
    }
  }

  const affine = [sp[0], 0, 0, origin[0], 0, sp[1], 0, origin[1], 0, 0, sp[2], origin[2], 0, 0, 0, 1];
  const names: Record<number, string> = {};
  const present = new Set(lab);
  for (const s of placed) if (present.has(s.id)) names[s.id] = s.name;
  SPINE.levels.forEach((name, m) => {
    if (present.has(levelIds[m])) names[levelIds[m]] = name;
  });
  return { image: { dims, affine, data: hu }, labels: { dims, affine: [...affine], data: lab }, names };
}
