import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VolumeError } from '../core/errors.ts';
import { readNiftiFile, writeFileAtomic, writeNiftiFile } from './io.ts';

const CT_SM = fileURLToPath(new URL('../../e2e/fixtures/example_ct_sm.nii.gz', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'io-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('node io', () => {
  it('writes NIfTI files atomically, gzipped only for .gz names, and reads them back', async () => {
    const img = await readNiftiFile(CT_SM);
    for (const name of ['out.nii', 'out.nii.gz']) {
      const path = join(tmp, name);
      await writeNiftiFile(path, img.volume, { header: img.header, datatype: 'int16' });
      const bytes = readFileSync(path);
      expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(name.endsWith('.gz'));
      const back = await readNiftiFile(path);
      expect(back.volume.affine).toEqual(img.volume.affine);
      expect(back.volume.data.every((v, n) => v === img.volume.data[n])).toBe(true);
    }
    // No temporary files left behind.
    expect(readdirSync(tmp).sort()).toEqual(['out.nii', 'out.nii.gz']);
  });

  it('turns file-system errors into VolumeErrors naming the file', async () => {
    await expect(readNiftiFile(join(tmp, 'nope.nii'))).rejects.toThrow(new VolumeError(join(tmp, 'nope.nii'), 'cannot read: no such file or directory'));
    await expect(readNiftiFile(tmp)).rejects.toThrow(/cannot read: is a directory/);
    const target = join(tmp, 'no-such-dir', 'x.json');
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow(new VolumeError(target, 'cannot write: no such file or directory'));
  });
});
