/**
 * The TotalSegmentator example is third-party data: read in place from ../shared/data
 * (src/node/sharedData.ts), never committed. Specs that need it skip, with a line naming the folder,
 * when it is absent; the dev server then serves no real demo and the app starts on the phantom.
 */
import { readFileSync } from 'node:fs';
import { test } from '@playwright/test';
import { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, DEMO_SEG_SLAB, firstMissing, TS_EXAMPLE_DIR } from '../../src/node/sharedData.ts';

export { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, DEMO_SEG_SLAB } from '../../src/node/sharedData.ts';

const missing = firstMissing([DEMO_CT, DEMO_SEG, DEMO_CT_SLAB, DEMO_SEG_SLAB]);
export const SHARED_DEMO_PRESENT = missing === null;
const REASON = `the TotalSegmentator example was not found at ${missing} (${TS_EXAMPLE_DIR}; ../shared/data beside the checkout, FTW_SHARED overrides)`;
let warned = false;

/** Skips the calling test, hook or file when the example is absent, saying why once per worker. */
export function skipWithoutSharedDemo(): void {
  if (!SHARED_DEMO_PRESENT && !warned) {
    warned = true;
    console.warn(`SKIPPED e2e on the real demo: ${REASON}`);
  }
  test.skip(!SHARED_DEMO_PRESENT, REASON);
}

/** A file for setInputFiles under the name the app shows (the shared files keep their source names). */
export function fileAs(path: string, name: string): { name: string; mimeType: string; buffer: Buffer } {
  return { name, mimeType: 'application/gzip', buffer: readFileSync(path) };
}
