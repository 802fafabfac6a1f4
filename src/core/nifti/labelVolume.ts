import { VolumeError } from '../errors.ts';
import type { LabelVolume } from '../volume.ts';
import type { NiftiImage } from './read.ts';

/**
 * A read image as a label map. Label files are integer ids 0..255; anything else (a float
 * probability map, a 16-bit label set) is refused rather than rounded or wrapped.
 */
export function toLabelVolume(img: NiftiImage, fileName: string): LabelVolume {
  const src = img.volume.data;
  const out = new Uint8Array(src.length);
  for (let v = 0; v < src.length; v++) {
    const x = src[v];
    if (!(x >= 0 && x <= 255 && Math.floor(x) === x)) {
      throw new VolumeError(fileName, `not a label map: voxel ${v} has value ${x} (labels must be integers 0..255)`);
    }
    out[v] = x;
  }
  return { dims: [...img.volume.dims], affine: [...img.volume.affine], data: out };
}
