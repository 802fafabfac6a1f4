/**
 * Evaluation metrics. Besides the paper's number (tumour Dice per case, averaged over cases that
 * have a tumour), the ones the reference code leaves out: global Dice over all voxels, false-
 * positive volume on tumour-free cases, and lesion detection per size class.
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

export interface LesionResult {
  organ: Organ;
  voxels: number;
  volumeMm3: number;
  sizeClass: LesionClass;
  detected: boolean;
}

export interface OrganResult {
  organ: Organ;
  hasTumour: boolean;
  overlap: Overlap;
  dice: number;
  /** Predicted tumour volume outside the true tumour, mm³. */
  fpVolumeMm3: number;
}

export interface CaseResult {
  id: string;
  organs: OrganResult[];
  lesions: LesionResult[];
}

/** Compare a predicted and a true label map, both in the project scheme on one grid. */
export function evaluateCase(id: string, pred: Uint8Array, gt: Uint8Array, dims: Vec3, spacing: Vec3, organs: readonly Organ[] = ['liver', 'pancreas', 'kidney']): CaseResult {
  if (pred.length !== gt.length) throw new RangeError(`evaluateCase ${id}: prediction has ${pred.length} voxels, truth ${gt.length}`);
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const out: CaseResult = { id, organs: [], lesions: [] };
  for (const organ of organs) {
    const tid = ORGAN_IDS[organ].tumor;
    const o = overlap(pred, gt, tid);
    out.organs.push({ organ, hasTumour: o.tp + o.fn > 0, overlap: o, dice: diceOf(o), fpVolumeMm3: o.fp * voxelMm3 });
    if (o.tp + o.fn === 0) continue;
    const cc = connectedComponents(
      Uint8Array.from(gt, (v) => (v === tid ? 1 : 0)),
      dims,
    );
    const hit = new Uint8Array(cc.sizes.length);
    for (let n = 0; n < gt.length; n++) if (cc.labels[n] && pred[n] === tid) hit[cc.labels[n]] = 1;
    for (let c = 1; c < cc.sizes.length; c++) {
      const volumeMm3 = cc.sizes[c] * voxelMm3;
      out.lesions.push({ organ, voxels: cc.sizes[c], volumeMm3, sizeClass: lesionClass(volumeMm3), detected: hit[c] === 1 });
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
  detection: Record<LesionClass, { lesions: number; detected: number; rate: number }>;
}

export function summariseCases(results: readonly CaseResult[], organs: readonly Organ[] = ['liver', 'pancreas', 'kidney']): OrganSummary[] {
  return organs.map((organ) => {
    const rows = results.map((r) => r.organs.find((o) => o.organ === organ)).filter((o): o is OrganResult => !!o);
    const withT = rows.filter((o) => o.hasTumour);
    const free = rows.filter((o) => !o.hasTumour);
    const pooled = rows.reduce((s, o) => ({ tp: s.tp + o.overlap.tp, fp: s.fp + o.overlap.fp, fn: s.fn + o.overlap.fn }), { tp: 0, fp: 0, fn: 0 });
    const detection = Object.fromEntries(
      (['tiny', 'small', 'medium', 'large'] as LesionClass[]).map((c) => {
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
      detection,
    };
  });
}
