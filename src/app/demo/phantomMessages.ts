import type { PhantomOptions } from '../../core/phantom/index.ts';

export const PHANTOM_IMAGE_NAME = 'abdomen_phantom_ct.nii';
export const PHANTOM_LABELS_NAME = 'abdomen_phantom_seg.nii';

export interface PhantomRequest {
  options: PhantomOptions;
}

/** The two NIfTI files as written (uncompressed), or why they could not be. */
export type PhantomReply = { image: Uint8Array; labels: Uint8Array } | { error: string };
