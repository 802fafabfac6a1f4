import { countIds, detectScheme, labelMapOf, maskOf, projectLabelsOf, type SchemeId } from './labelScheme.ts';

type Voxels = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface SplitRequest {
  id: number;
  /** A copy of the label map's voxels as stored; the worker owns it. */
  data: Voxels;
  slope: number;
  inter: number;
  /** null: guess the scheme from the ids present. */
  scheme: SchemeId | null;
}

export interface SplitResult {
  scheme: SchemeId;
  /** Voxel count per source id (0 left out). */
  counts: [number, number][];
  /** One 0/1 mask per project label present, in project-id order. */
  masks: { key: string; mask: Uint8Array }[];
}

export type SplitReply = ({ id: number } & SplitResult) | { id: number; error: string };

/**
 * The label map split into one mask per project label. Pure, so the worker and tests share it;
 * on a 512×512×300 map this is seconds of work that must not run on the page's thread.
 */
export function splitLabels(data: ArrayLike<number>, slope: number, inter: number, forced: SchemeId | null): SplitResult {
  const counts = countIds(data, slope, inter);
  const scheme = forced ?? detectScheme(counts.keys());
  const masks: SplitResult['masks'] = [];
  for (const info of projectLabelsOf(labelMapOf(scheme))) {
    if (!info.sourceIds.some((id) => counts.has(id))) continue;
    masks.push({ key: info.key, mask: maskOf(data, info.sourceIds, slope, inter) });
  }
  return { scheme, counts: [...counts.entries()], masks };
}
