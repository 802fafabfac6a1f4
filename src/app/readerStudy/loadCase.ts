/** Turn a CT and its label map (bytes) into a PrepCase: HU image, labels in the project scheme. */
import { LABEL_MAPS, remapLabels, type LabelMap } from '../../core/labels.ts';
import { readNifti } from '../../core/nifti/read.ts';
import { detectScheme } from '../viewer/labelScheme.ts';
import type { PrepCase } from './prepare.ts';

/** 'auto' guesses TotalSegmentator vs project ids, as the viewer does; others name a LABEL_MAPS entry. */
export type SchemeChoice = 'auto' | keyof typeof LABEL_MAPS;

export async function loadPrepCase(
  image: { bytes: Uint8Array; name: string },
  label: { bytes: Uint8Array; name: string },
  /** A LabelMap as is: the one the workbench already reads the open case with. */
  scheme: SchemeChoice | LabelMap,
  tumourProvenance: PrepCase['tumourProvenance'],
  name = image.name,
): Promise<PrepCase & { scheme: string }> {
  const img = await readNifti(image.bytes, image.name);
  const lab = await readNifti(label.bytes, label.name);
  const a = img.volume;
  const b = lab.volume;
  if (a.dims.some((d, i) => d !== b.dims[i])) {
    throw new Error(`"${label.name}" (${b.dims.join('×')}) is not on the grid of "${image.name}" (${a.dims.join('×')})`);
  }
  const ids = new Set<number>();
  const rounded = new Int32Array(b.data.length);
  for (let n = 0; n < b.data.length; n++) {
    rounded[n] = Math.round(b.data[n]);
    ids.add(rounded[n]);
  }
  const chosen = typeof scheme === 'object' ? null : scheme === 'auto' ? detectScheme(ids) : scheme;
  const map = typeof scheme === 'object' ? scheme : LABEL_MAPS[chosen!];
  if (!map) throw new Error(`unknown label scheme ${chosen}`);
  return {
    name,
    scheme: chosen ?? map.name,
    image: { dims: a.dims, affine: a.affine, data: a.data },
    label: { dims: a.dims, affine: a.affine, data: remapLabels(rounded, map) },
    tumourProvenance,
  };
}
