/**
 * The TotalSegmentator example CT and its labels at their source: the files the real demo uses,
 * pinned to one commit and checked by SHA-256, so a download is the same bytes as
 * ../shared/data/totalsegmentator-example (whose README gives the provenance and licence).
 * Apache-2.0; Wasserthal J. et al., Radiology: Artificial Intelligence, 2023.
 */
export const TS_SAMPLE_COMMIT = '0e65a448d557382b1e925276212b3bec7f5aff83';
const BASE = `https://raw.githubusercontent.com/wasserth/TotalSegmentator/${TS_SAMPLE_COMMIT}/tests/reference_files/`;

export interface SampleFile {
  /** The name the workbench shows (and the dev server serves it under, /demo/NAME). */
  name: string;
  /** The name in the source repository. */
  sourceName: string;
  url: string;
  sha256: string;
  bytes: number;
}

export const TS_SAMPLE = {
  image: {
    name: 'example_ct.nii.gz',
    sourceName: 'example_ct.nii.gz',
    url: `${BASE}example_ct.nii.gz`,
    sha256: 'dbd3ae6d614d1d7ef3a46925c30c70038ed52da6b37fdd6afdc7b9b71387e3e1',
    bytes: 2_206_612,
  },
  labels: {
    name: 'example_seg.nii.gz',
    sourceName: 'example_seg_fast_force_split.nii.gz',
    url: `${BASE}example_seg_fast_force_split.nii.gz`,
    sha256: 'e8097758e56e73099075b6caaebce23ef11bc6fad66a4ec3753b9406846558c7',
    bytes: 112_591,
  },
} as const satisfies Record<'image' | 'labels', SampleFile>;
