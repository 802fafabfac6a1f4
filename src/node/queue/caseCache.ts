/**
 * One case's entry of the preprocessed cache, built by the job that needs it. `buildCache` builds
 * a whole manifest and then deletes the files no case of it refers to, so a job (one case) must
 * not call it; this writes the same file, under the same name (data/cache.ts: "<id>-<key>.ftc"),
 * and `freetumor cache --queue` ends with one `buildCache` pass that finds every file current.
 * A test compares the two directories byte for byte, so a change of naming there is caught.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ManifestCase } from '../../core/manifest.ts';
import { preprocessCase, type PreprocessConfig } from '../../core/preprocess.ts';
import { CACHE_FORMAT, cacheKey, decodeCase, encodeCase, type CacheEntry, type CacheHeader } from '../data/cache.ts';
import { loadCase } from '../data/loadCase.ts';
import { writeFileAtomic } from '../io.ts';

/** The directory train-*, synthesize and cache use for a manifest (runSetup.ts cacheFor's rule). */
export function cacheDirOf(lm: { file: string }, cacheArg: string | undefined): string {
  const tag = createHash('sha256').update(lm.file).digest('hex').slice(0, 8);
  return join(resolve(cacheArg ?? join(dirname(lm.file), '.freetumor-cache')), `${basename(lm.file).replace(/[^A-Za-z0-9._-]+/g, '_')}-${tag}`);
}

const fileNameOf = (id: string, key: string) => `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}-${key}.ftc`;

/** The case's cache file, built now unless a readable one for the same sources and config exists. */
export async function ensureCaseCached(c: ManifestCase, root: string, dir: string, config: PreprocessConfig, opts: { maxVoxels?: number } = {}): Promise<CacheEntry & { built: boolean }> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, fileNameOf(c.id, await cacheKey(c, root, config)));
  try {
    const { header } = decodeCase(new Uint8Array(await readFile(file)), file);
    return { id: c.id, file, header, built: false };
  } catch {
    // missing or unreadable (a torn copy, an older format): build it
  }
  const { image, label } = await loadCase(c, root, { maxVoxels: opts.maxVoxels });
  const p = preprocessCase(image, label, config);
  const counts: Record<number, number> = {};
  for (const v of p.label.data) counts[v] = (counts[v] ?? 0) + 1;
  const header: CacheHeader = { format: CACHE_FORMAT, id: c.id, source: c.source, labeled: c.labeled, dims: p.image.dims, affine: p.image.affine, config, counts };
  await writeFileAtomic(file, encodeCase(header, p.image, p.label));
  return { id: c.id, file, header, built: true };
}
