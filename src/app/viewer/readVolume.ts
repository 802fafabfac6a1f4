import type { NVImage } from '@niivue/niivue';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { datatypeName } from '../files/sniffNifti.ts';
import type { LoadedFile } from '../stores/caseStore.ts';
import { flattenAffine, spacingFromAffine } from './geometry.ts';
import type { VolumeSource } from './viewerTypes.ts';
import type { ReadVolume, VolumeClient } from './volumeClient.ts';

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
 * Read, check and parse one volume without touching the scene, in the volume worker: the page's
 * thread only receives the result. A bad or oversized file fails with a message naming it.
 */
export function readVolume(client: VolumeClient, src: VolumeSource, colormap: string): Promise<ReadVolume> {
  return client.read(src.url, src.name, colormap);
}

/** A label map must hold ids, not colours. */
export async function readLabelVolume(client: VolumeClient, label: VolumeSource): Promise<{ segment: NVImage; datatype: number; bytes: Uint8Array }> {
  const { volume, datatype, bytes } = await readVolume(client, label, 'gray');
  if (datatype === 128 || datatype === 2304) throw new Error(`Could not open "${label.name}": it is an RGB image, not a label map.`);
  return { segment: volume, datatype, bytes };
}
