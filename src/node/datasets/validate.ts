/**
 * Reading every case of a manifest once, to find what would break a long training run hours in:
 * unreadable files, image/label geometry mismatches, label ids the label map does not know, and
 * cases without any organ to place a tumour in.
 */
import { isAbsolute, join } from 'node:path';
import type { ManifestCase } from '../../core/manifest.ts';
import { labelMapByName, MASK_FILE_NAMES } from '../../core/labels.ts';
import { sameGeometry, type Volume } from '../../core/volume.ts';
import { readImageOrDicom } from '../dicom.ts';
import { readNiftiFile } from '../io.ts';

export interface CaseCheck {
  id: string;
  problems: string[];
  /** Voxel counts per project label name found in the case (after mapping). */
  counts?: Record<string, number>;
}

const resolvePath = (root: string, p: string) => (isAbsolute(p) ? p : join(root, p));

async function tryRead(path: string, problems: string[], maxVoxels?: number, image = false): Promise<Volume<Float32Array> | null> {
  try {
    // An image may be a DICOM series folder; labels are NIfTI files.
    return (await (image ? readImageOrDicom(path, { maxVoxels }) : readNiftiFile(path, { maxVoxels }))).volume;
  } catch (e) {
    problems.push((e as Error).message);
    return null;
  }
}

/** Distinct values of a label volume, with counts; non-integers reported once. */
function histogram(data: Float32Array, file: string, problems: string[]): Map<number, number> {
  const counts = new Map<number, number>();
  let nonInteger = false;
  for (let n = 0; n < data.length; n++) {
    const v = data[n];
    if (v === 0) continue;
    if (!Number.isInteger(v)) nonInteger = true;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (nonInteger) problems.push(`${file}: label values are not all integers`);
  return counts;
}

export async function checkCase(c: ManifestCase, root: string, opts: { maxVoxels?: number } = {}): Promise<CaseCheck> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const imagePath = resolvePath(root, c.image);
  const image = await tryRead(imagePath, problems, opts.maxVoxels, true);
  const labelFiles: [string, string | null][] =
    typeof c.label === 'string' ? [[resolvePath(root, c.label), null]] : Object.entries(c.label.masks).map(([m, p]) => [resolvePath(root, p), m]);
  for (const [path, mask] of labelFiles) {
    const label = await tryRead(path, problems, opts.maxVoxels);
    if (!label) continue;
    if (image && !sameGeometry(image, label)) {
      problems.push(
        `${path}: geometry differs from ${imagePath} (dims ${label.dims.join('×')} vs ${image.dims.join('×')}, or affine)`,
      );
    }
    const hist = histogram(label.data, path, problems);
    if (mask) {
      const bad = [...hist.keys()].filter((v) => v !== 1);
      if (bad.length) problems.push(`${path}: a binary mask holds values ${bad.slice(0, 8).join(', ')}`);
      const name = MASK_FILE_NAMES[mask];
      counts[name] = (counts[name] ?? 0) + (hist.get(1) ?? 0);
    } else {
      const map = labelMapByName(c.labelMap ?? 'project');
      const unknown: number[] = [];
      for (const [id, n] of hist) {
        const name = map.toProject[id];
        if (name) counts[name] = (counts[name] ?? 0) + n;
        else if (!map.openIds && !map.sourceNames?.[id]) unknown.push(id);
      }
      if (unknown.length)
        problems.push(`${path}: label ids ${unknown.sort((a, b) => a - b).join(', ')} are not in label map '${map.name}'`);
    }
  }
  if (problems.length === 0 && !['liver', 'pancreas', 'kidney'].some((o) => (counts[o] ?? 0) + (counts[`${o}_tumor`] ?? 0) > 0))
    problems.push(`${imagePath}: no liver, pancreas or kidney voxels in its labels, so no tumour can be placed`);
  return { id: c.id, problems, counts };
}

/** Check cases with `concurrency` reads in flight; `onProgress` after each. */
export async function checkCases(
  cases: ManifestCase[],
  root: string,
  opts: { concurrency?: number; maxVoxels?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<CaseCheck[]> {
  const results: CaseCheck[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const n = next++;
      results[n] = await checkCase(cases[n], root, opts);
      opts.onProgress?.(++done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  return results;
}
