/**
 * Tests on the real TotalSegmentator example read it from ../shared/data (src/node/sharedData.ts);
 * where it is absent they are skipped with one visible line naming the folder, never failed.
 */
import { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, DEMO_SEG_SLAB, firstMissing, TS_EXAMPLE_DIR } from '../sharedData.ts';

export { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, DEMO_SEG_SLAB, TS_EXAMPLE_DIR } from '../sharedData.ts';

/** True when the example's files are present; otherwise prints a SKIPPED line naming the folder. */
export function sharedDemoPresent(what: string, paths: readonly string[] = [DEMO_CT, DEMO_SEG, DEMO_CT_SLAB, DEMO_SEG_SLAB]): boolean {
  const missing = firstMissing(paths);
  if (!missing) return true;
  console.warn(`SKIPPED ${what}: the TotalSegmentator example was not found at ${missing} (${TS_EXAMPLE_DIR}; ../shared/data beside the checkout, FTW_SHARED overrides)`);
  return false;
}
