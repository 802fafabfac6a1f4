/**
 * File-system side of volume I/O for the Node CLI. Browsers get bytes from File/fetch and call
 * src/core/nifti directly; here a missing or unreadable file must read like any other bad input.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VolumeError } from '../core/errors.ts';
import { readNifti, writeNifti, type NiftiImage, type ReadNiftiOptions, type WriteNiftiOptions } from '../core/nifti/index.ts';
import type { Volume } from '../core/volume.ts';

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

export async function readNiftiFile(path: string, opts: ReadNiftiOptions = {}): Promise<NiftiImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new VolumeError(path, fsProblem(e, 'read'));
  }
  return readNifti(bytes, path, opts);
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
