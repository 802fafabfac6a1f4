import {
  LABEL_MAPS,
  PROJECT,
  PROJECT_LABELS,
  PROJECT_LABEL_COLORS,
  TOTALSEGMENTATOR,
  type LabelMap,
  type ProjectLabelName,
} from '../../core/labels.ts';

export type SchemeId = 'totalsegmentator' | 'project';

export const SCHEME_NAMES: Record<SchemeId, string> = {
  totalsegmentator: 'TotalSegmentator v2',
  project: 'FreeTumor project',
};

export function labelMapOf(id: SchemeId): LabelMap {
  return LABEL_MAPS[id] ?? (id === 'project' ? PROJECT : TOTALSEGMENTATOR);
}

/**
 * Guess the scheme from the ids present. The project scheme stops at 6; a TotalSegmentator map of
 * an abdomen always carries higher ids (vertebrae, ribs, vessels) even when organs are few.
 */
export function detectScheme(presentIds: Iterable<number>): SchemeId {
  let max = 0;
  for (const id of presentIds) max = Math.max(max, id);
  return max > 6 ? 'totalsegmentator' : 'project';
}

export interface ProjectLabelInfo {
  key: ProjectLabelName;
  /** Human name for the legend, e.g. "Liver tumour". */
  name: string;
  color: [number, number, number];
  projectId: number;
  /** Source ids merged into this label, e.g. kidney_right + kidney_left. */
  sourceIds: number[];
}

const DISPLAY: Record<ProjectLabelName, string> = {
  background: 'Background',
  liver: 'Liver',
  liver_tumor: 'Liver tumour',
  pancreas: 'Pancreas',
  pancreas_tumor: 'Pancreas tumour',
  kidney: 'Kidney',
  kidney_tumor: 'Kidney tumour',
};

/** Project labels a map can produce, in project-id order. */
export function projectLabelsOf(map: LabelMap): ProjectLabelInfo[] {
  const bySource = new Map<ProjectLabelName, number[]>();
  for (const [id, name] of Object.entries(map.toProject)) {
    const list = bySource.get(name) ?? [];
    list.push(Number(id));
    bySource.set(name, list);
  }
  return [...bySource.entries()]
    .map(([key, sourceIds]) => ({
      key,
      name: DISPLAY[key],
      color: PROJECT_LABEL_COLORS[PROJECT_LABELS[key]] ?? [200, 200, 200],
      projectId: PROJECT_LABELS[key],
      sourceIds: sourceIds.sort((a, b) => a - b),
    }))
    .sort((a, b) => a.projectId - b.projectId);
}

/** Name of a source id for the readout: the source's own name, then the project name it maps to. */
export function describeLabel(id: number, map: LabelMap): { source: string; project: ProjectLabelName | null } {
  if (id === 0) return { source: 'background', project: null };
  const project = map.toProject[id] ?? null;
  const source = map.sourceNames?.[id] ?? project ?? `label ${id}`;
  return { source, project };
}

/** Histogram of integer label ids (after scl scaling); non-integers are rounded. */
export function countIds(data: ArrayLike<number>, slope = 1, inter = 0): Map<number, number> {
  const counts = new Map<number, number>();
  const s = slope === 0 || Number.isNaN(slope) ? 1 : slope;
  const t = Number.isNaN(inter) ? 0 : inter;
  for (let n = 0; n < data.length; n++) {
    const id = Math.round(data[n] * s + t);
    if (id !== 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** A 0/1 mask of the voxels whose (scaled) id is one of `ids`. */
export function maskOf(data: ArrayLike<number>, ids: readonly number[], slope = 1, inter = 0): Uint8Array {
  const s = slope === 0 || Number.isNaN(slope) ? 1 : slope;
  const t = Number.isNaN(inter) ? 0 : inter;
  const want = new Set(ids);
  const out = new Uint8Array(data.length);
  for (let n = 0; n < data.length; n++) if (want.has(Math.round(data[n] * s + t))) out[n] = 1;
  return out;
}

/** Voxel centroid (i, j, k) of a mask laid out i-fastest; null for an empty mask. */
export function maskCentroid(mask: ArrayLike<number>, dims: readonly number[]): [number, number, number] | null {
  const [nx, ny] = dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  for (let idx = 0; idx < mask.length; idx++) {
    if (!mask[idx]) continue;
    si += idx % nx;
    sj += Math.floor(idx / nx) % ny;
    sk += Math.floor(idx / (nx * ny));
    n++;
  }
  if (n === 0) return null;
  return [Math.round(si / n), Math.round(sj / n), Math.round(sk / n)];
}

/**
 * A voxel inside the mask near its centroid: the centroid itself when it lies inside, otherwise
 * the closest mask voxel. Paired organs (two kidneys) have their centroid between them, on the
 * spine; the crosshair should land in an organ.
 */
export function maskAnchor(mask: ArrayLike<number>, dims: readonly number[]): [number, number, number] | null {
  const c = maskCentroid(mask, dims);
  if (!c) return null;
  const [nx, ny] = dims;
  if (mask[c[0] + nx * (c[1] + ny * c[2])]) return c;
  let best = -1;
  let bestD = Infinity;
  for (let idx = 0; idx < mask.length; idx++) {
    if (!mask[idx]) continue;
    const i = idx % nx;
    const j = Math.floor(idx / nx) % ny;
    const k = Math.floor(idx / (nx * ny));
    const d = (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = idx;
    }
  }
  return [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))];
}
