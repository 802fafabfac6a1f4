import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classifyByName } from './classifyFiles.ts';
import { sniffNifti } from './sniffNifti.ts';

function header(dims: number[], datatype: number, magic = 'n+1'): Uint8Array {
  const b = new Uint8Array(352);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, 348, true);
  dv.setInt16(40, 3, true);
  dims.forEach((d, n) => dv.setInt16(42 + 2 * n, d, true));
  dv.setInt16(70, datatype, true);
  for (let n = 0; n < magic.length; n++) b[344 + n] = magic.charCodeAt(n);
  return b;
}

describe('sniffNifti', () => {
  it('reads plain and gzipped NIfTI-1 headers', async () => {
    const h = header([122, 101, 112], 8);
    expect(await sniffNifti('ct.nii', h)).toEqual({ version: 1, dims: [122, 101, 112], datatype: 8, gzipped: false });
    expect(await sniffNifti('ct.nii.gz', new Uint8Array(gzipSync(h)))).toMatchObject({ dims: [122, 101, 112], gzipped: true });
  });

  it('rejects other files with a reason', async () => {
    await expect(sniffNifti('scan.dcm', header([1, 1, 1], 2))).rejects.toThrow(/NIfTI files/);
    await expect(sniffNifti('x.nii', new TextEncoder().encode('hello'))).rejects.toThrow(/too short/);
    await expect(sniffNifti('x.nii', header([1, 1, 1], 2, 'zzz'))).rejects.toThrow(/magic/);
    await expect(sniffNifti('x.nii.gz', new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).rejects.toThrow(/gzip|short/);
  });
});

describe('classifyByName', () => {
  const f = (name: string) => ({ name });
  it('recognises label maps by name, whatever the order', () => {
    expect(classifyByName([f('case_seg.nii.gz'), f('case.nii.gz')])).toMatchObject({ image: { name: 'case.nii.gz' }, label: { name: 'case_seg.nii.gz' } });
    expect(classifyByName([f('ct.nii'), f('labels.nii')])).toMatchObject({ image: { name: 'ct.nii' }, label: { name: 'labels.nii' } });
    expect(classifyByName([f('case_gt.nii.gz'), f('lungtumour.nii.gz')])).toMatchObject({ image: { name: 'lungtumour.nii.gz' }, label: { name: 'case_gt.nii.gz' } });
  });
  it('takes the first of two unhinted files as the image and rejects extras', () => {
    const c = classifyByName([f('a.nii'), f('b.nii'), f('c.nii')]);
    expect([c.image?.name, c.label?.name, c.rejected.map((x) => x.name)]).toEqual(['a.nii', 'b.nii', ['c.nii']]);
  });
});
