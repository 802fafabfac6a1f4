import { NVImage } from '@niivue/niivue';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { datatypeName, sniffNifti } from '../files/sniffNifti.ts';
import type { LoadedFile } from '../stores/caseStore.ts';
import { flattenAffine, spacingFromAffine } from './geometry.ts';
import type { VolumeSource } from './viewerTypes.ts';

export function scaling(v: NVImage): { slope: number; inter: number } {
  const hdr = v.hdr!;
  const slope = Number.isFinite(hdr.scl_slope) && hdr.scl_slope !== 0 ? hdr.scl_slope : 1;
  const inter = Number.isFinite(hdr.scl_inter) ? hdr.scl_inter : 0;
  return { slope, inter };
}

export function describeFile(v: NVImage, name: string, datatype: number): { file: LoadedFile; affine: Mat4 } {
  const hdr = v.hdr!;
  const affine = flattenAffine(hdr.affine);
  const dims: Vec3 = [hdr.dims[1], hdr.dims[2], Math.max(1, hdr.dims[3])];
  const spacing = spacingFromAffine(affine);
  return { file: { name, dims, spacing, datatype: datatypeName(datatype) }, affine };
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Fetch, check and parse one volume without touching the scene. The bytes are read once here
 * (from a Blob URL for local files) so a bad file fails with a message naming it.
 */
export async function readVolume(src: VolumeSource, colormap: string): Promise<{ volume: NVImage; datatype: number; bytes: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    const res = await fetch(src.url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new Error(`Could not read "${src.name}": ${message(err)}.`);
  }
  let summary;
  try {
    summary = await sniffNifti(src.name, bytes);
  } catch (err) {
    throw new Error(`Could not open "${src.name}": ${message(err)}.`);
  }
  let volume: NVImage;
  try {
    // The url only names the data here; niivue parses a copy, so `bytes` stay as read.
    volume = await NVImage.loadFromUrl({ url: src.name, name: src.name, buffer: bytes.slice().buffer as ArrayBuffer, colormap });
  } catch (err) {
    throw new Error(`Could not open "${src.name}": ${message(err)}.`);
  }
  if (!volume.img || !volume.hdr) throw new Error(`Could not open "${src.name}": no image data.`);
  const expected = summary.dims[0] * summary.dims[1] * summary.dims[2];
  if ((volume.img as ArrayLike<number>).length < expected) {
    throw new Error(`Could not open "${src.name}": the file is truncated.`);
  }
  return { volume, datatype: summary.datatype, bytes };
}

/** A label map must hold ids, not colours. */
export async function readLabelVolume(label: VolumeSource): Promise<{ segment: NVImage; datatype: number; bytes: Uint8Array }> {
  const { volume, datatype, bytes } = await readVolume(label, 'gray');
  if (datatype === 128 || datatype === 2304) throw new Error(`Could not open "${label.name}": it is an RGB image, not a label map.`);
  return { segment: volume, datatype, bytes };
}
