/**
 * The project's own demo: the abdominal phantom (src/core/phantom) generated in this tab and handed
 * to the viewer as in-memory NIfTI files. No network, no third-party data.
 */
import { writeNifti } from '../../core/nifti/index.ts';
import { makeAbdomenPhantom, PHANTOM_DEFAULTS, type PhantomOptions } from '../../core/phantom/index.ts';
import type { VolumeSource } from '../viewer/ViewerController.ts';

export const PHANTOM_IMAGE_NAME = 'abdomen_phantom_ct.nii';
export const PHANTOM_LABELS_NAME = 'abdomen_phantom_seg.nii';

export interface PhantomCase {
  image: VolumeSource;
  labels: VolumeSource;
  seed: PhantomOptions['seed'];
}

export async function makePhantomCase(options: PhantomOptions = {}): Promise<PhantomCase> {
  const p = makeAbdomenPhantom(options);
  // Uncompressed: gzip would cost more time here than it saves on a copy that never leaves memory.
  const [ct, seg] = await Promise.all([
    writeNifti(p.image, { gzip: false, fileName: PHANTOM_IMAGE_NAME }),
    writeNifti(p.labels, { gzip: false, fileName: PHANTOM_LABELS_NAME }),
  ]);
  const url = (bytes: Uint8Array) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  return {
    image: { url: url(ct), name: PHANTOM_IMAGE_NAME },
    labels: { url: url(seg), name: PHANTOM_LABELS_NAME },
    seed: options.seed ?? PHANTOM_DEFAULTS.seed,
  };
}
