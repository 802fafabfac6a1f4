/**
 * Evaluation metrics. Besides the paper's number (tumour Dice per case, averaged over cases that
 * have a tumour — MONAI's DiceMetric with ignore_empty, as the reference validates), the ones the
 * reference code leaves out: global Dice over all voxels, normalised surface Dice at a tolerance
 * (NSD, 2 mm in SynTumor's validation), false-positive volume on tumour-free cases, and lesion-wise
 * detection per size class (sensitivity, false-positive lesions per scan). Only cases with tumour
 * labels are scored: an unlabelled (organ-only) case may hold tumours nobody drew, so calling it
 * tumour-free would count real detections as false positives.
 */
import { ORGAN_IDS, type Organ } from './labels.ts';
import type { Vec3 } from './volume.ts';

/** Size classes of a lesion by its equivalent-sphere radius, split between METHOD.md's radii
 * (6/12/24/48 mm) at their geometric means. */
export const LESION_CLASS_BOUNDS_MM = { tiny: 8.49, small: 16.97, medium: 33.94 } as const;
export type LesionClass = 'tiny' | 'small' | 'medium' | 'large';

export function lesionClass(volumeMm3: number): LesionClass {
  const r = Math.cbrt((3 * volumeMm3) / (4 * Math.PI));
  return r < LESION_CLASS_BOUNDS_MM.tiny ? 'tiny' : r < LESION_CLASS_BOUNDS_MM.small ? 'small' : r < LESION_CLASS_BOUNDS_MM.medium ? 'medium' : 'large';
}

export interface Overlap {
  tp: number;
  fp: number;
  fn: number;
}

export function overlap(pred: ArrayLike<number>, gt: ArrayLike<number>, id: number): Overlap {
  const o = { tp: 0, fp: 0, fn: 0 };
  for (let n = 0; n < gt.length; n++) {
    const p = pred[n] === id;
    const g = gt[n] === id;
    if (p && g) o.tp++;
    else if (p) o.fp++;
    else if (g) o.fn++;
  }
  return o;
}

/** Dice of an overlap; NaN when both are empty (undefined, not perfect). */
export function diceOf(o: Overlap): number {
  const d = 2 * o.tp + o.fp + o.fn;
  return d === 0 ? NaN : (2 * o.tp) / d;
}

/**
 * Connected components of `mask` (non-zero voxels), 26-connected. Returns a component id per voxel
 * (0 = none, 1..count) and each component's voxel count.
 */
export function connectedComponents(mask: ArrayLike<number>, dims: Vec3): { labels: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = dims;
  const labels = new Int32Array(nx * ny * nz);
  const sizes: number[] = [0];
  const stack = new Int32Array(nx * ny * nz);
  for (let start = 0; start < labels.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = sizes.length;
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    let size = 0;
    while (top > 0) {
      const v = stack[--top];
      size++;
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / (nx * ny));
      for (let dk = -1; dk <= 1; dk++) {
        const kk = k + dk;
        if (kk < 0 || kk >= nz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx) continue;
            const w = ii + nx * (jj + ny * kk);
            if (mask[w] && !labels[w]) {
              labels[w] = id;
              stack[top++] = w;
            }
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/**
 * Surface voxels of a binary mask (non-zero): mask voxels with a 6-neighbour outside the mask or
 * outside the volume — the mask minus its erosion by the 3-D cross, as MONAI's get_mask_edges.
 */
export function surfaceVoxels(mask: ArrayLike<number>, dims: Vec3): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        if (!mask[v]) continue;
        const edge =
          i === 0 || j === 0 || k === 0 || i === nx - 1 || j === ny - 1 || k === nz - 1 ||
          !mask[v - 1] || !mask[v + 1] || !mask[v - nx] || !mask[v + nx] || !mask[v - nx * ny] || !mask[v + nx * ny];
        if (edge) out[v] = 1;
      }
  return out;
}

/**
 * Normalised surface Dice (Nikolov et al.; MONAI compute_surface_dice without sub-voxels): the
 * share of both surfaces' voxels that lie within `toleranceMm` (centre to centre, in mm with the
 * grid's spacing) of the other surface. NaN when both masks are empty, 0 when one is.
 */
export function normalizedSurfaceDice(pred: ArrayLike<number>, gt: ArrayLike<number>, dims: Vec3, spacing: Vec3, toleranceMm: number): number {
  const sp = surfaceVoxels(pred, dims);
  const sg = surfaceVoxels(gt, dims);
  const [nx, ny, nz] = dims;
  const r = spacing.map((s) => Math.floor(toleranceMm / s)) as Vec3;
  // Offsets within the tolerance ball; a small slack keeps exact-boundary distances in.
  const offsets: [number, number, number][] = [];
  const tol2 = toleranceMm * toleranceMm * (1 + 1e-9);
  for (let dk = -r[2]; dk <= r[2]; dk++)
    for (let dj = -r[1]; dj <= r[1]; dj++)
      for (let di = -r[0]; di <= r[0]; di++)
        if ((di * spacing[0]) ** 2 + (dj * spacing[1]) ** 2 + (dk * spacing[2]) ** 2 <= tol2) offsets.push([di, dj, dk]);
  const near = (from: Uint8Array, to: Uint8Array): [number, number] => {
    let total = 0;
    let within = 0;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          if (!from[i + nx * (j + ny * k)]) continue;
          total++;
          for (const [di, dj, dk] of offsets) {
            const a = i + di;
            const b = j + dj;
            const c = k + dk;
            if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
            if (to[a + nx * (b + ny * c)]) {
              within++;
              break;
            }
          }
        }
    return [within, total];
  };
  const [wp, np] = near(sp, sg);
  const [wg, ng] = near(sg, sp);
  if (np + ng === 0) return NaN;
  return (wp + wg) / (np + ng);
}

/** NSD tolerance in SynTumor's validation (surface Dice at 2 mm). */
export const DEFAULT_NSD_TOLERANCE_MM = 2;

export interface LesionResult {
  organ: Organ;
  voxels: number;
  volumeMm3: number;
  sizeClass: LesionClass;
  detected: boolean;
}

/** A predicted tumour component that touches no true tumour voxel. */
export interface FalseLesion {
  organ: Organ;
  voxels: number;
  volumeMm3: number;
  sizeClass: LesionClass;
}

export interface OrganResult {
  organ: Organ;
  hasTumour: boolean;
  overlap: Overlap;
  dice: number;
  /** Normalised surface Dice of the tumour at the case's tolerance (NaN when both are empty). */
  nsd: number;
  /** Predicted tumour volume outside the true tumour, mm³. */
  fpVolumeMm3: number;
}

export interface CaseResult {
  id: string;
  /** False: the case has no tumour labels and is left out of every tumour figure. */
  labeled: boolean;
  organs: OrganResult[];
  lesions: LesionResult[];
  falseLesions: FalseLesion[];
}

export interface EvaluateOptions {
  /** Cases without tumour labels are not scored (default true). */
  labeled?: boolean;
  nsdToleranceMm?: number;
}

/** Compare a predicted and a true label map, both in the project scheme on one grid. */
export function evaluateCase(
  id: string,
  pred: Uint8Array,
  gt: Uint8Array,
  dims: Vec3,
  spacing: Vec3,
  organs: readonly Organ[] = ['liver', 'pancreas', 'kidney'],
  opts: EvaluateOptions = {},
): CaseResult {
  if (pred.length !== gt.length) throw new RangeError(`evaluateCase ${id}: prediction has ${pred.length} voxels, truth ${gt.length}`);
  const out: CaseResult = { id, labeled: opts.labeled ?? true, organs: [], lesions: [], falseLesions: [] };
  if (!out.labeled) return out;
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const tol = opts.nsdToleranceMm ?? DEFAULT_NSD_TOLERANCE_MM;
  for (const organ of organs) {
    const tid = ORGAN_IDS[organ].tumor;
    const o = overlap(pred, gt, tid);
    const gtMask = Uint8Array.from(gt, (v) => (v === tid ? 1 : 0));
    const prMask = Uint8Array.from(pred, (v) => (v === tid ? 1 : 0));
    const nsd = o.tp + o.fp + o.fn === 0 ? NaN : normalizedSurfaceDice(prMask, gtMask, dims, spacing, tol);
    out.organs.push({ organ, hasTumour: o.tp + o.fn > 0, overlap: o, dice: diceOf(o), nsd, fpVolumeMm3: o.fp * voxelMm3 });
    if (o.tp + o.fp === 0 && o.fn === 0) continue;
    if (o.tp + o.fn > 0) {
      const cc = connectedComponents(gtMask, dims);
      const hit = new Uint8Array(cc.sizes.length);
      for (let n = 0; n < gt.length; n++) if (cc.labels[n] && prMask[n]) hit[cc.labels[n]] = 1;
      for (let c = 1; c < cc.sizes.length; c++) {
        const volumeMm3 = cc.sizes[c] * voxelMm3;
        out.lesions.push({ organ, voxels: cc.sizes[c], volumeMm3, sizeClass: lesionClass(volumeMm3), detected: hit[c] === 1 });
      }
    }
    if (o.tp + o.fp > 0) {
      const pc = connectedComponents(prMask, dims);
      const touches = new Uint8Array(pc.sizes.length);
      for (let n = 0; n < gt.length; n++) if (pc.labels[n] && gtMask[n]) touches[pc.labels[n]] = 1;
      for (let c = 1; c < pc.sizes.length; c++) {
        if (touches[c]) continue;
        const volumeMm3 = pc.sizes[c] * voxelMm3;
        out.falseLesions.push({ organ, voxels: pc.sizes[c], volumeMm3, sizeClass: lesionClass(volumeMm3) });
      }
    }
  }
  return out;
}

export interface OrganSummary {
  organ: Organ;
  /** The paper's figure: mean per-case tumour Dice over cases with a true tumour. */
  meanDice: number;
  casesWithTumour: number;
  /** Dice over all voxels of all cases pooled. */
  globalDice: number;
  /** Mean predicted tumour volume on cases without a true tumour, mm³. */
  meanFpVolumeTumourFreeMm3: number;
  tumourFreeCases: number;
  /** Mean per-case tumour NSD over cases with a true tumour. */
  meanNsd: number;
  /** Labelled scans scored (with and without a tumour). */
  scans: number;
  /** Cases without tumour labels, left out of every figure here. */
  unlabelledSkipped: number;
  /** Lesion-wise sensitivity per size class of the true lesion (rate = detected / lesions). */
  detection: Record<LesionClass, { lesions: number; detected: number; rate: number }>;
  /** False-positive lesions per labelled scan, per size class of the predicted component and in all. */
  falseLesionsPerScan: Record<LesionClass | 'all', number>;
}

const CLASSES: LesionClass[] = ['tiny', 'small', 'medium', 'large'];

export function summariseCases(allResults: readonly CaseResult[], organs: readonly Organ[] = ['liver', 'pancreas', 'kidney']): OrganSummary[] {
  const results = allResults.filter((r) => r.labeled);
  const skipped = allResults.length - results.length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return organs.map((organ) => {
    const rows = results.map((r) => r.organs.find((o) => o.organ === organ)).filter((o): o is OrganResult => !!o);
    const withT = rows.filter((o) => o.hasTumour);
    const free = rows.filter((o) => !o.hasTumour);
    const pooled = rows.reduce((s, o) => ({ tp: s.tp + o.overlap.tp, fp: s.fp + o.overlap.fp, fn: s.fn + o.overlap.fn }), { tp: 0, fp: 0, fn: 0 });
    const detection = Object.fromEntries(
      CLASSES.map((c) => {
        const ls = results.flatMap((r) => r.lesions).filter((l) => l.organ === organ && l.sizeClass === c);
        const detected = ls.filter((l) => l.detected).length;
        return [c, { lesions: ls.length, detected, rate: ls.length ? detected / ls.length : NaN }];
      }),
    ) as OrganSummary['detection'];
    return {
      organ,
      meanDice: withT.length ? withT.reduce((s, o) => s + o.dice, 0) / withT.length : NaN,
      casesWithTumour: withT.length,
      globalDice: diceOf(pooled),
      meanFpVolumeTumourFreeMm3: free.length ? free.reduce((s, o) => s + o.fpVolumeMm3, 0) / free.length : NaN,
      tumourFreeCases: free.length,
      meanNsd: mean(withT.map((o) => o.nsd)),
      scans: rows.length,
      unlabelledSkipped: skipped,
      detection,
      falseLesionsPerScan: Object.fromEntries(
        [...CLASSES, 'all'].map((c) => {
          const n = results.flatMap((r) => r.falseLesions).filter((l) => l.organ === organ && (c === 'all' || l.sizeClass === c)).length;
          return [c, rows.length ? n / rows.length : NaN];
        }),
      ) as OrganSummary['falseLesionsPerScan'],
    };
  });
}
