/**
 * Test helpers for the training commands: a tiny-network config (so conv3d on tfjs's cpu backend
 * finishes in seconds), a dataset made of the demo CT, and an in-process CLI runner that captures
 * stdout/stderr. The demo CT is the TotalSegmentator example from ../shared/data when it is beside
 * the checkout, else the project's phantom: these tests are about the commands, not the data.
 */
import { rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../cli.ts';
import { DEMO_CT as SHARED_CT, DEMO_SEG as SHARED_SEG, firstMissing } from '../sharedData.ts';
import { writePhantomFiles } from '../testing/phantomFiles.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let source: Promise<{ ct: string; seg: string }> | null = null;
/** The demo CT and its TotalSegmentator labels on disk: the shared example, else a phantom. */
export function demoSource(): Promise<{ ct: string; seg: string }> {
  source ??= (async () => {
    if (!firstMissing([SHARED_CT, SHARED_SEG])) return { ct: SHARED_CT, seg: SHARED_SEG };
    const dir = await mkdtemp(join(tmpdir(), 'ftw-phantom-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    console.warn(`the training tests run on the phantom: ${SHARED_CT} not found (../shared/data beside the checkout, FTW_SHARED overrides)`);
    return writePhantomFiles(dir, { seed: 0 });
  })();
  return source;
}

/** Widths 2–8, 16³ crops, small margins and texture: every stage in seconds on 2 CPU cores. */
export const TINY_TEST_CONFIG = {
  preset: {
    patch: [16, 16, 16],
    generator: { encoder: [[2, 4], [4, 8]] },
    classifier: { encoder: [[2, 4], [4, 8]] },
    segmentor: { encoder: [[2, 4], [4, 8]] },
    inference: { overlap: 0, batch: 8 },
  },
  preprocess: { marginMm: 6 },
  sampling: { cropsPerVisit: 2 },
  position: { sizeClasses: { probabilities: { tiny: 1, small: 1, medium: 0, large: 0 } } },
  texture: { size: [40, 40, 40] },
  run: { batch: 2, workers: 1, checkpointEvery: 2 },
};

/** images/ + labels/ pairs of the demo CT (TotalSegmentator ids) under `dir`, named `names`. */
export async function demoPairs(dir: string, names: string[]): Promise<void> {
  await mkdir(join(dir, 'images'), { recursive: true });
  await mkdir(join(dir, 'labels'), { recursive: true });
  const { ct, seg } = await demoSource();
  for (const n of names) {
    await copyFile(ct, join(dir, 'images', `${n}.nii.gz`));
    await copyFile(seg, join(dir, 'labels', `${n}.nii.gz`));
  }
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2));
}

export async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
