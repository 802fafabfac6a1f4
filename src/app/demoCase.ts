/**
 * Which demo the workbench opens. The TotalSegmentator example when the server has it (vite dev and
 * preview serve it from ../shared/data, see vite.config.ts), else the phantom made in the tab; the
 * sample can also be downloaded from its source on request (demo/sampleDownload.ts).
 * `?demo=phantom` in the page URL forces the phantom, e.g. to try the app as a user without ../shared.
 */
import { TS_SAMPLE } from '../core/totalSegmentatorSample.ts';
import { downloadVerified } from './demo/sampleDownload.ts';
import { makePhantomCase } from './demo/phantomCase.ts';
import type { VolumeSource } from './viewer/ViewerController.ts';

export type DemoKind = 'totalsegmentator' | 'phantom';

export interface DemoCase {
  kind: DemoKind;
  image: VolumeSource;
  labels: VolumeSource;
  /** One line for the UI: what this case is and where it came from. */
  description: string;
}

const base = import.meta.env.BASE_URL;

/** The TotalSegmentator example as the dev/preview server serves it. */
const SERVED: DemoCase = {
  kind: 'totalsegmentator',
  image: { url: `${base}demo/${TS_SAMPLE.image.name}`, name: TS_SAMPLE.image.name },
  labels: { url: `${base}demo/${TS_SAMPLE.labels.name}`, name: TS_SAMPLE.labels.name },
  description: 'TotalSegmentator example CT (Apache-2.0), served from ../shared/data',
};

export const PHANTOM_DESCRIPTION = 'a generated abdominal phantom (seed 0): not a patient, made in this tab';

/** ?demo=phantom: the phantom whatever the server has. */
export function phantomForced(search: string = globalThis.location?.search ?? ''): boolean {
  return new URLSearchParams(search).get('demo') === 'phantom';
}

/** Whether the server serves the real demo: /demo/demo.json says so (absent on a static host). */
async function servedDemoAvailable(): Promise<boolean> {
  try {
    const res = await fetch(`${base}demo/demo.json`, { cache: 'no-store' });
    if (!res.ok || !(res.headers.get('Content-Type') ?? '').includes('json')) return false;
    return ((await res.json()) as { source?: unknown }).source === 'totalsegmentator';
  } catch {
    return false;
  }
}

async function phantomDemo(): Promise<DemoCase> {
  const p = await makePhantomCase({ seed: 0 });
  return { kind: 'phantom', image: p.image, labels: p.labels, description: PHANTOM_DESCRIPTION };
}

let current: Promise<DemoCase> | null = null;

/** The demo case to open; decided once per page, and replaced once the sample is downloaded. */
export function resolveDemo(): Promise<DemoCase> {
  if (current) return current;
  const p = (async () => (!phantomForced() && (await servedDemoAvailable()) ? SERVED : phantomDemo()))();
  current = p;
  // A failure is not remembered: the next "Load demo case" tries again.
  p.catch(() => {
    if (current === p) current = null;
  });
  return p;
}

/** Download the sample from its source, verify it, and make it the demo case. */
export async function downloadSample(signal?: AbortSignal): Promise<DemoCase> {
  const [ct, seg] = await Promise.all([downloadVerified(TS_SAMPLE.image, undefined, signal), downloadVerified(TS_SAMPLE.labels, undefined, signal)]);
  const url = (bytes: Uint8Array) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/gzip' }));
  const sample: DemoCase = {
    kind: 'totalsegmentator',
    image: { url: url(ct), name: TS_SAMPLE.image.name },
    labels: { url: url(seg), name: TS_SAMPLE.labels.name },
    description: `TotalSegmentator example CT (Apache-2.0), downloaded from github.com/wasserth/TotalSegmentator and checked by SHA-256`,
  };
  current = Promise.resolve(sample);
  return sample;
}
