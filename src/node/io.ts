/**
 * File-system side of volume I/O for the Node CLI. Browsers get bytes from File/fetch and call
 * src/core/nifti directly; here a missing or unreadable file must read like any other bad input,
 * and no file — a device that never ends, a pipe, a file that grows — may take more memory than
 * the volume limit.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VolumeError } from '../core/errors.ts';
import { concatBytes as concat } from '../core/bytes.ts';
import {
  DEFAULT_MAX_BYTES,
  expectedFileSize,
  formatBytes,
  readNifti,
  writeNifti,
  type NiftiImage,
  type ReadNiftiOptions,
  type WriteNiftiOptions,
} from '../core/nifti/index.ts';
import type { Volume } from '../core/volume.ts';

/** Environment variable that sets the per-volume memory limit, in MiB. */
export const VOLUME_LIMIT_ENV = 'FREETUMOR_MAX_VOLUME_MIB';

/** The sentence every command that reads volumes puts in its --help. */
export const VOLUME_LIMIT_HELP =
  `Memory: one volume may hold at most ${DEFAULT_MAX_BYTES / 2 ** 20} MiB (its voxels plus their float32 copy); set\n` +
  `${VOLUME_LIMIT_ENV}=N to change that. Larger files are refused from their header, before\n` +
  'they are read or inflated, and devices such as /dev/zero are refused; pipes are read up to the\nsame limit.';

/** Appended to an over-limit refusal. */
export const LIMIT_HINT = `set ${VOLUME_LIMIT_ENV} to raise it`;
/** Bytes asked of a pipe per read. */
const STREAM_CHUNK = 1 << 20;

/** The per-volume limit in bytes: FREETUMOR_MAX_VOLUME_MIB if set, else the core default. */
export function volumeLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[VOLUME_LIMIT_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_BYTES;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib <= 0) throw new RangeError(`${VOLUME_LIMIT_ENV}=${raw} is not a positive number of MiB`);
  return Math.floor(mib * 2 ** 20);
}

function fsProblem(e: unknown, doing: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return `cannot ${doing}: no such file or directory`;
    case 'EISDIR': return `cannot ${doing}: is a directory`;
    case 'EACCES':
    case 'EPERM': return `cannot ${doing}: permission denied`;
    case 'ENOTDIR': return `cannot ${doing}: a parent path is not a directory`;
    default: return `cannot ${doing}: ${(e as Error)?.message ?? String(e)}`;
  }
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export async function readNiftiFile(path: string, opts: ReadNiftiOptions = {}): Promise<NiftiImage> {
  const read = { ...opts, maxBytes: opts.maxBytes ?? volumeLimitBytes(), limitHint: opts.limitHint ?? LIMIT_HINT };
  const bytes = await readVolumeBytes(path, read);
  return readNifti(bytes, path, read);
}

/**
 * A volume file's bytes, never more than `maxBytes`: a compressed or uncompressed file that
 * fits the volume limit is smaller than it. Regular files are sized by stat before anything is
 * read; pipes are read in chunks and judged by their first bytes, so a pipe of noise stops at once.
 */
export async function readVolumeBytes(path: string, opts: ReadNiftiOptions & { maxBytes: number }): Promise<Uint8Array> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw new VolumeError(path, fsProblem(e, 'read'));
  }
  if (st.isDirectory()) throw new VolumeError(path, fsProblem({ code: 'EISDIR' }, 'read'));
  if (!st.isFile() && !st.isFIFO()) {
    throw new VolumeError(path, `cannot read: ${kindOf(st)}, not a file; devices can supply bytes without end, so only files and pipes are read`);
  }
  if (st.isFile() && st.size > opts.maxBytes) {
    throw new VolumeError(path, `file is ${formatBytes(st.size)}, over the ${formatBytes(opts.maxBytes)} limit for one volume; ${opts.limitHint ?? LIMIT_HINT}`);
  }
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new VolumeError(path, fsProblem(e, 'read'));
  }
  try {
    return st.isFile() ? await readRegular(fh, st.size, path, opts) : await readStream(fh, path, opts, [], undefined);
  } catch (e) {
    if (e instanceof VolumeError) throw e;
    throw new VolumeError(path, fsProblem(e, 'read'));
  } finally {
    await fh.close().catch(() => {});
  }
}

async function readRegular(fh: FileHandle, size: number, path: string, opts: ReadNiftiOptions & { maxBytes: number }): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(buf, got, size - got, null);
    if (bytesRead === 0) return buf.subarray(0, got); // shrank since stat
    got += bytesRead;
  }
  // Files that stat cannot size (/proc) or that grow while read go on through the capped path;
  // their header is judged later by readNifti, which names a size mismatch more precisely.
  return readStream(fh, path, opts, [buf], 'gzip');
}

/** `expected` starts undefined for a pipe (judge its start), or 'gzip' to read up to the limit. */
async function readStream(
  fh: FileHandle,
  path: string,
  opts: ReadNiftiOptions & { maxBytes: number },
  chunks: Uint8Array[],
  expected?: number | 'gzip',
): Promise<Uint8Array> {
  let total = chunks.reduce((s, c) => s + c.length, 0);
  for (;;) {
    const cap = typeof expected === 'number' ? expected : opts.maxBytes;
    const chunk = new Uint8Array(Math.min(STREAM_CHUNK, cap + 1 - total));
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > cap) {
      throw new VolumeError(
        path,
        typeof expected === 'number'
          ? `the data goes on past the ${expected} bytes its header accounts for (dims do not match the data size)`
          : `more than the ${formatBytes(opts.maxBytes)} limit for one volume; ${opts.limitHint ?? LIMIT_HINT}`,
      );
    }
    // Judge the start as soon as there is enough of it: noise or zeros stop here, not at the limit.
    if (expected === undefined) expected = expectedFileSize(concat(chunks, total), path, opts);
  }
  return concat(chunks, total);
}

/** Write via a temporary file in the same directory and rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new VolumeError(path, fsProblem(e, 'write'));
  }
}

/** Gzip follows the file name (.gz → compressed) unless `opts.gzip` says otherwise. */
export async function writeNiftiFile(path: string, volume: Volume, opts: WriteNiftiOptions = {}): Promise<void> {
  const bytes = await writeNifti(volume, { gzip: path.toLowerCase().endsWith('.gz'), fileName: path, ...opts });
  await writeFileAtomic(path, bytes);
}
