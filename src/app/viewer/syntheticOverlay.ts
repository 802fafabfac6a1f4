import type { NVImage } from '@niivue/niivue';
import { huVolume, labelOverlayVolume } from './derivedVolumes.ts';
import { maskOutline } from './maskOutline.ts';
import type { ImageState } from './viewerTypes.ts';
import type { WindowState } from './windowing.ts';

/** Outline colour of synthetic tumours: lime reads on grey CT and on the warm organ overlays. */
export const TUMOUR_OUTLINE_COLOR: [number, number, number] = [80, 255, 60];

/** A synthesised case on screen: the HU image and the tumour mask M, both on the image grid. */
export interface SyntheticCase {
  image: Float32Array;
  /** Project tumour id (2/4/6) inside each tumour, 0 elsewhere. */
  tumourLabel: Uint8Array;
  volume: NVImage;
  outline: NVImage;
  showing: boolean;
}

/** The tumour boundary as a one-colour label overlay; it holds `boundary` itself, read-only. */
export function outlineVolume(base: NVImage, boundary: Uint8Array): NVImage {
  return labelOverlayVolume(base, boundary, 'tumour-outline', [{ rgb: TUMOUR_OUTLINE_COLOR, label: 'Synthetic tumour' }], true);
}

/** Build the niivue volumes of a synthetic result; throws when it is not on the image grid. */
export function makeSynthetic(base: ImageState, image: Float32Array, tumourLabel: Uint8Array, window: WindowState, show: boolean): SyntheticCase {
  const [nx, ny, nz] = base.file.dims;
  const n = nx * ny * nz;
  if (image.length !== n || tumourLabel.length !== n) throw new Error('synthetic image is not on the image grid');
  // The arrays are the worker's answer, never written again: the volumes hold them, not copies.
  const volume = huVolume(base.volume, image, window, 'synthetic', true);
  // Traced inside the tumours' bounding box: a full-volume pass held the page for seconds.
  const outline = outlineVolume(base.volume, maskOutline(tumourLabel, base.file.dims));
  return { image, tumourLabel, volume, outline, showing: show };
}
