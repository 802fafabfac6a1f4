/** One manifest case from disk: the image in HU and its labels in the project scheme, same grid. */
import { isAbsolute, join } from 'node:path';
import { labelMapByName, remapLabels } from '../../core/labels.ts';
import type { ManifestCase } from '../../core/manifest.ts';
import { checkSameGeometry, toLabelVolume } from '../../core/nifti/index.ts';
import { mergeMasks } from '../../core/preprocess.ts';
import type { LabelVolume, Volume } from '../../core/volume.ts';
import { readImageOrDicom } from '../dicom.ts';
import { readNiftiFile } from '../io.ts';

export const casePath = (root: string, p: string) => (isAbsolute(p) ? p : join(root, p));

/** Every file a case reads, for cache keys. */
export function caseFiles(c: ManifestCase, root: string): string[] {
  const labels = typeof c.label === 'string' ? [c.label] : Object.keys(c.label.masks).sort().map((k) => (c.label as { masks: Record<string, string> }).masks[k]);
  return [c.image, ...labels].map((p) => casePath(root, p));
}

export async function loadCase(c: ManifestCase, root: string, opts: { maxVoxels?: number } = {}): Promise<{ image: Volume<Float32Array>; label: LabelVolume }> {
  const imagePath = casePath(root, c.image);
  // The image may be a DICOM series folder (converted on each load; the preprocess cache keeps the result).
  const image = (await readImageOrDicom(imagePath, opts)).volume;
  if (typeof c.label === 'string') {
    const labelPath = casePath(root, c.label);
    const raw = toLabelVolume(await readNiftiFile(labelPath, opts), labelPath);
    checkSameGeometry(image, raw, imagePath, labelPath);
    return { image, label: { ...raw, data: remapLabels(raw.data, labelMapByName(c.labelMap ?? 'project')) } };
  }
  const masks: Record<string, Uint8Array> = {};
  for (const [name, p] of Object.entries(c.label.masks)) {
    const path = casePath(root, p);
    const m = toLabelVolume(await readNiftiFile(path, opts), path);
    checkSameGeometry(image, m, imagePath, path);
    masks[name] = m.data;
  }
  return { image, label: { dims: image.dims, affine: image.affine, data: mergeMasks(masks, image.data.length) } };
}
