/**
 * Third-party data the project uses but does not ship: it lives in ../shared/data beside the
 * checkout (FTW_SHARED moves it) and is read in place, never copied into the repository. The CLI
 * examples, the demo-model training script, the dev server (vite.config.ts) and the tests find the
 * files here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** ../shared/data beside the checkout, or $FTW_SHARED/data. */
export const SHARED_DATA = join(process.env.FTW_SHARED ? resolve(process.env.FTW_SHARED) : resolve(REPO_ROOT, '..', 'shared'), 'data');

/**
 * The TotalSegmentator example (Apache-2.0, github.com/wasserth/TotalSegmentator at commit 0e65a448,
 * tests/reference_files/): the real demo case. Its provenance is in ../shared/data/README.md.
 */
export const TS_EXAMPLE_DIR = join(SHARED_DATA, 'totalsegmentator-example');
/** 122×101×112, 3 mm, int32 HU. */
export const DEMO_CT = join(TS_EXAMPLE_DIR, 'example_ct.nii.gz');
/** Its TotalSegmentator v2 "total" labels (the source's example_seg_fast_force_split.nii.gz). */
export const DEMO_SEG = join(TS_EXAMPLE_DIR, 'example_seg_fast_force_split.nii.gz');
/** Slices 82–111 of the CT, int16, header origin not shifted (so not co-registered with DEMO_CT). */
export const DEMO_CT_SLAB = join(TS_EXAMPLE_DIR, 'example_ct_sm.nii.gz');
/** The slab's labels (the source calls this one example_seg.nii.gz). */
export const DEMO_SEG_SLAB = join(TS_EXAMPLE_DIR, 'example_seg.nii.gz');

/** The first of `paths` that does not exist, or null. */
export function firstMissing(paths: readonly string[]): string | null {
  return paths.find((p) => !existsSync(p)) ?? null;
}
