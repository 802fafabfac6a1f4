/**
 * The preprocessed on-disk cache. Resampling and windowing an 11k-case dataset takes hours, so it
 * happens once; each case becomes one small file (cropped to its foreground, image quantised to
 * 16 bits — 1/65535 of the window, far below CT noise — and labels as bytes). A file's name
 * carries a hash of its source files (path, size, mtime) and of the preprocessing config, so a
 * changed source or config is rebuilt and never read stale.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestCase } from '../../core/manifest.ts';
import { preprocessCase, type PreprocessConfig } from '../../core/preprocess.ts';
import type { LabelVolume, Vec3, Volume } from '../../core/volume.ts';
import { writeFileAtomic } from '../io.ts';
import { caseFiles, loadCase } from './loadCase.ts';

const MAGIC = 'FTCACHE1';
export const CACHE_FORMAT = 1;

export interface CacheHeader {
  format: number;
  id: string;
  source: string;
  labeled: boolean;
  dims: Vec3;
  affine: number[];
  config: PreprocessConfig;
  /** Voxels per project label id, for sampling and reports. */
  counts: Record<number, number>;
}

export interface CacheEntry {
  id: string;
  file: string;
  header: CacheHeader;
}

export async function cacheKey(c: ManifestCase, root: string, config: PreprocessConfig): Promise<string> {
  const files = await Promise.all(
    caseFiles(c, root).map(async (p) => {
      const s = await stat(p);
      return { p, size: s.size, mtime: s.mtimeMs };
    }),
  );
  const h = createHash('sha256');
  h.update(JSON.stringify({ format: CACHE_FORMAT, id: c.id, labelMap: c.labelMap ?? null, label: c.label, files, config }));
  return h.digest('hex').slice(0, 20);
}

const fileNameOf = (id: string, key: string) => `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}-${key}.ftc`;

export function encodeCase(header: CacheHeader, image: Volume<Float32Array>, label: LabelVolume): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 12 + json.length;
  const imageStart = Math.ceil(headerEnd / 8) * 8;
  const n = image.data.length;
  const out = new Uint8Array(imageStart + 2 * n + n);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const q = new Uint16Array(out.buffer, imageStart, n);
  for (let v = 0; v < n; v++) q[v] = Math.round(Math.min(1, Math.max(0, image.data[v])) * 65535);
  out.set(label.data, imageStart + 2 * n);
  return out;
}

/** The header, checked against the file's length, and where the voxels start. */
function parseHeader(bytes: Uint8Array, file: string): { header: CacheHeader; imageStart: number; n: number } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error(`${file}: not a FreeTumor cache file`);
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len))) as CacheHeader;
  if (header.format !== CACHE_FORMAT) throw new Error(`${file}: cache format ${header.format}, expected ${CACHE_FORMAT}`);
  const n = header.dims[0] * header.dims[1] * header.dims[2];
  const imageStart = Math.ceil((12 + len) / 8) * 8;
  if (bytes.length !== imageStart + 3 * n) throw new Error(`${file}: truncated cache file (${bytes.length} bytes, expected ${imageStart + 3 * n})`);
  return { header, imageStart, n };
}

export function decodeCase(bytes: Uint8Array, file: string): { header: CacheHeader; image: Float32Array; label: Uint8Array } {
  const { header, imageStart, n } = parseHeader(bytes, file);
  const q = new Uint16Array(bytes.slice(imageStart, imageStart + 2 * n).buffer);
  const image = new Float32Array(n);
  for (let v = 0; v < n; v++) image[v] = q[v] / 65535;
  return { header, image, label: bytes.slice(imageStart + 2 * n) };
}

export interface BuildCacheOptions {
  concurrency?: number;
  onProgress?: (done: number, total: number, id: string, built: boolean) => void;
  maxVoxels?: number;
}

/**
 * Make sure every case has a current cache file; returns the entries in manifest order and removes
 * files of earlier builds that no case refers to any more.
 */
export async function buildCache(cases: ManifestCase[], root: string, dir: string, config: PreprocessConfig, opts: BuildCacheOptions = {}): Promise<CacheEntry[]> {
  await mkdir(dir, { recursive: true });
  const existing = new Set((await readdir(dir)).filter((f) => f.endsWith('.ftc')));
  const entries: CacheEntry[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const index = next - 1;
      const name = fileNameOf(c.id, await cacheKey(c, root, config));
      const file = join(dir, name);
      let header: CacheHeader | null = null;
      if (existing.has(name)) {
        try {
          header = parseHeader(await readFile(file), file).header;
        } catch {
          header = null; // unreadable: rebuild it
        }
      }
      const built = header === null;
      if (!header) {
        const { image, label } = await loadCase(c, root, { maxVoxels: opts.maxVoxels });
        const p = preprocessCase(image, label, config);
        const counts: Record<number, number> = {};
        for (const v of p.label.data) counts[v] = (counts[v] ?? 0) + 1;
        header = { format: CACHE_FORMAT, id: c.id, source: c.source, labeled: c.labeled, dims: p.image.dims, affine: p.image.affine, config, counts };
        await writeFileAtomic(file, encodeCase(header, p.image, p.label));
      }
      entries[index] = { id: c.id, file, header };
      opts.onProgress?.(++done, cases.length, c.id, built);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  const live = new Set(entries.map((e) => e.file));
  for (const f of existing) if (!live.has(join(dir, f))) await unlink(join(dir, f)).catch(() => {});
  return entries;
}
