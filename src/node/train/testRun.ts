/**
 * Test helpers for the training commands: a tiny-network config (so conv3d on tfjs's cpu backend
 * finishes in seconds), a two-case dataset made of the shipped demo CT, and an in-process CLI
 * runner that captures stdout/stderr.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../cli.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DEMO_CT = join(REPO, 'public/demo/example_ct.nii.gz');
export const DEMO_SEG = join(REPO, 'public/demo/example_seg.nii.gz');

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
  for (const n of names) {
    await copyFile(DEMO_CT, join(dir, 'images', `${n}.nii.gz`));
    await copyFile(DEMO_SEG, join(dir, 'labels', `${n}.nii.gz`));
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
