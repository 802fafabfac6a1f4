/**
 * Third-party data stays in ../shared and is never part of the repository: no file the repository
 * would commit (tracked or new, not ignored) is a medical image — by name, by gzip-wrapped NIfTI
 * header, or by the DICOM preamble — so `npm run build`, which copies public/ verbatim, ships none.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const IMAGE_NAME = /\.(nii(\.gz)?|dcm|nrrd|mha|mhd|img|hdr)$/i;

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** A NIfTI-1/2 header (sizeof_hdr 348 or 540), plain or gzipped, or a DICOM file ("DICM" at 128). */
function looksLikeMedicalImage(bytes: Buffer): boolean {
  let b = bytes;
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b, { finishFlush: 2 /* Z_SYNC_FLUSH: a truncated stream is fine */ });
    } catch {
      return false;
    }
  }
  if (b.length >= 4 && [348, 540].includes(b.readInt32LE(0))) return true;
  return b.length >= 132 && b.toString('latin1', 128, 132) === 'DICM';
}

describe('no third-party image data in the repository', () => {
  it('the detector sees NIfTI (plain, gzipped) and DICOM, and passes other files', () => {
    const nifti = Buffer.alloc(352);
    nifti.writeInt32LE(348, 0);
    const dicom = Buffer.alloc(200);
    dicom.write('DICM', 128, 'latin1');
    expect(looksLikeMedicalImage(nifti)).toBe(true);
    expect(looksLikeMedicalImage(execFileSync('gzip', ['-c'], { input: nifti }))).toBe(true);
    expect(looksLikeMedicalImage(dicom)).toBe(true);
    expect(looksLikeMedicalImage(Buffer.from('{"a": 1}'))).toBe(false);
  });

  it('no file git would commit is a medical image', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean)
      // A file deleted here but still in the index is on its way out.
      .filter((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
    expect(files.length).toBeGreaterThan(100);
    const images = files.filter((f) => IMAGE_NAME.test(f) || looksLikeMedicalImage(head(join(ROOT, f), 4096)));
    expect(images).toEqual([]);
  });
});
