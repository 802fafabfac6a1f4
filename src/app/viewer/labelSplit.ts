import { countIds, detectScheme, labelMapOf, maskAnchor, maskOf, projectLabelsOf, type SchemeId } from './labelScheme.ts';

type Voxels = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface SplitRequest {
  id: number;
  /** A copy of the label map's voxels as stored; the worker owns it. */
  data: Voxels;
  slope: number;
  inter: number;
  /** null: guess the scheme from the ids present. */
  scheme: SchemeId | null;
  /** Grid of the map, for each mask's anchor voxel. */
  dims: [number, number, number];
}

export interface SplitResult {
  scheme: SchemeId;
  /** Voxel count per source id (0 left out). */
  counts: [number, number][];
  /**
   * One 0/1 mask per project label present, in project-id order, with a voxel inside it near its
   * centroid (where "go to label" puts the crosshair; a full scan of the mask, so done here).
   */
  masks: { key: string; mask: Uint8Array; anchor: [number, number, number] | null }[];
}

export type SplitReply = ({ id: number } & SplitResult) | { id: number; error: string };

/**
 * The label map split into one mask per project label. Pure, so the worker and tests share it;
 * on a 512×512×300 map this is seconds of work that must not run on the page's thread.
 */
export function splitLabels(data: ArrayLike<number>, slope: number, inter: number, forced: SchemeId | null, dims: readonly number[]): SplitResult {
  const counts = countIds(data, slope, inter);
  const scheme = forced ?? detectScheme(counts.keys());
  const masks: SplitResult['masks'] = [];
  for (const info of projectLabelsOf(labelMapOf(scheme))) {
    if (!info.sourceIds.some((id) => counts.has(id))) continue;
    const mask = maskOf(data, info.sourceIds, slope, inter);
    masks.push({ key: info.key, mask, anchor: maskAnchor(mask, dims) });
  }
  return { scheme, counts: [...counts.entries()], masks };
}
