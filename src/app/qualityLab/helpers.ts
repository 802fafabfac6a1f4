/** Pure helpers of the quality-test lab: histogram of P, pass rates, CSV / JSON export. */
import { ORGANS, type Organ } from '../../core/labels.ts';
import type { LabItem } from './messages.ts';

export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
}

/** Bins over [0, 1]; P = 1 lands in the last bin; NaN (no synthetic voxel) is counted apart. */
export function histogram(values: readonly number[], bins = 10): { bins: HistogramBin[]; nonFinite: number } {
  if (!(bins >= 1) || !Number.isInteger(bins)) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  const out: HistogramBin[] = Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: 0 }));
  let nonFinite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    const b = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    out[b].count++;
  }
  return { bins: out, nonFinite };
}

/** Samples that pass at threshold T: P ≥ T (NaN never passes), as the models' quality test. */
export function passCount(values: readonly number[], threshold: number): number {
  let n = 0;
  for (const v of values) if (v >= threshold) n++;
  return n;
}

export function passRate(values: readonly number[], threshold: number): number {
  return values.length ? passCount(values, threshold) / values.length : NaN;
}

/** Pass rate against T at `steps` + 1 evenly spaced thresholds from 0 to 1. */
export function passRateCurve(values: readonly number[], steps = 100): { t: number; rate: number }[] {
  const out: { t: number; rate: number }[] = [];
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    out.push({ t, rate: passRate(values, t) });
  }
  return out;
}

export const EXPORT_COLUMNS = ['index', 'seed', 'organ', 'size_class', 'centre_i', 'centre_j', 'centre_k', 'volume_mm3', 'P', 'pass'] as const;

function fmtP(p: number): string {
  return Number.isFinite(p) ? String(p) : 'NaN';
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per tumour; P at full precision so that a reader recomputes pass/fail exactly. */
export function toCsv(items: readonly LabItem[], threshold: number): string {
  const lines = [`# threshold T = ${threshold}`, EXPORT_COLUMNS.join(',')];
  for (const it of items) {
    lines.push(
      [
        String(it.index),
        String(it.seed),
        csvField(it.organ),
        csvField(it.sizeClass),
        String(it.centreVoxel[0]),
        String(it.centreVoxel[1]),
        String(it.centreVoxel[2]),
        it.volumeMm3.toFixed(3),
        fmtP(it.P),
        String(it.P >= threshold),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export interface LabExport {
  threshold: number;
  caseName: string;
  backend: string | null;
  models: { generator: string | null; segmentor: string | null };
  passCount: number;
  count: number;
  items: {
    index: number;
    seed: number;
    organ: string;
    sizeClass: string;
    centreVoxel: [number, number, number];
    volumeMm3: number;
    /** New tumour voxels on the source grid (existing tumours are never counted). */
    newVoxels: number;
    /** null where P is undefined (no synthetic voxel). */
    P: number | null;
    pass: boolean;
  }[];
}

export function toJson(
  items: readonly LabItem[],
  threshold: number,
  meta: { caseName: string; backend: string | null; models: { generator: string | null; segmentor: string | null } },
): LabExport {
  return {
    threshold,
    ...meta,
    passCount: passCount(
      items.map((i) => i.P),
      threshold,
    ),
    count: items.length,
    items: items.map((it) => ({
      index: it.index,
      seed: it.seed,
      organ: it.organ,
      sizeClass: it.sizeClass,
      centreVoxel: [...it.centreVoxel] as [number, number, number],
      volumeMm3: it.volumeMm3,
      newVoxels: it.newVoxels,
      P: Number.isFinite(it.P) ? it.P : null,
      pass: it.P >= threshold,
    })),
  };
}

/** Items sorted by P, best first (NaN last); stable on index. */
export function sortByP(items: readonly LabItem[]): LabItem[] {
  const key = (p: number) => (Number.isFinite(p) ? p : -Infinity);
  return [...items].sort((a, b) => key(b.P) - key(a.P) || a.index - b.index);
}

/** Seed of batch tumour n: the base seed plus n (so one tumour can be redrawn alone). */
export function batchSeed(base: number, n: number): number {
  return (base + n) >>> 0;
}

/**
 * The organs a segmentor can score: a specialist its own organ only, a universal S all three.
 * Tumours in an organ S does not segment would always fail the quality test.
 */
export function organsCovered(info: { organ: Organ | null } | undefined): readonly Organ[] {
  return info?.organ ? [info.organ] : ORGANS;
}
