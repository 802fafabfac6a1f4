import type { VolumeSource } from './viewer/ViewerController.ts';

const base = import.meta.env.BASE_URL;

/** The bundled TotalSegmentator example (see public/demo/ATTRIBUTION.md). */
export const DEMO_IMAGE: VolumeSource = { url: `${base}demo/example_ct.nii.gz`, name: 'example_ct.nii.gz' };
export const DEMO_LABELS: VolumeSource = { url: `${base}demo/example_seg.nii.gz`, name: 'example_seg.nii.gz' };
