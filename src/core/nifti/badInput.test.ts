/**
 * Every kind of bad input, made by corrupting real bytes of the shipped CT, must end in a
 * VolumeError that names the file and the problem.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VolumeError } from '../errors.ts';
import { checkSameGeometry, readNifti, toLabelVolume, writeNifti } from './index.ts';
import { DEMO_CT, DEMO_CT_SLAB, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';

const CT = DEMO_CT;
const CT_SM = DEMO_CT_SLAB;
const present = sharedDemoPresent('bad-input tests built from the TotalSegmentator example', [CT, CT_SM]);
const load = (p: string) => new Uint8Array(readFileSync(p));
const F = 'case_007.nii.gz';

/** Decompressed example_ct_sm (int16, 122×101×30, vox_offset 352), fresh for each corruption. */
const pristine = present ? new Uint8Array(gunzipSync(load(CT_SM))) : new Uint8Array(0);
function ctBytes(edit?: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = pristine.slice();
  edit?.(new DataView(b.buffer), b);
  return b;
}

async function problem(bytes: Uint8Array, opts?: { maxVoxels?: number }): Promise<string> {
  try {
    await readNifti(bytes, F, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(VolumeError);
    const err = e as VolumeError;
    expect(err.file).toBe(F);
    expect(err.message).toBe(`${F}: ${err.problem}`);
    expect(err.message).not.toContain('\n');
    return err.problem;
  }
  throw new Error('expected a VolumeError');
}

describe.skipIf(!present)('bad input → VolumeError naming the file', () => {
  it('empty file', async () => {
    expect(await problem(new Uint8Array(0))).toBe('file is empty');
  });

  it('truncated header, plain and gzipped', async () => {
    expect(await problem(pristine.slice(0, 200))).toMatch(/truncated header: 200 bytes, NIfTI-1 needs 348/);
    expect(await problem(pristine.slice(0, 2))).toMatch(/truncated header/);
    expect(await problem(gzipSync(pristine.slice(0, 300)))).toMatch(/truncated header/);
  });

  it('truncated data, plain and gzipped', async () => {
    const cut = pristine.slice(0, pristine.length - 1000);
    expect(await problem(cut)).toMatch(/truncated data: dims 122×101×30 int16 need 739320 bytes after offset 352, file has 738320/);
    expect(await problem(gzipSync(cut))).toMatch(/truncated data/);
  });

  it('a truncated .gz stream', async () => {
    const gz = load(CT_SM);
    expect(await problem(gz.slice(0, gz.length >> 1))).toMatch(/corrupt gzip data/);
  });

  it('corrupt gzip data', async () => {
    const gz = load(CT_SM).slice();
    for (let n = 1000; n < 1400; n++) gz[n] ^= 0x5a;
    expect(await problem(gz)).toMatch(/corrupt gzip data \(.+\)/);
    // A broken gzip header (bad compression method byte).
    const head = load(CT_SM).slice();
    head[2] = 0x07;
    expect(await problem(head)).toMatch(/corrupt gzip data/);
  });

  it('wrong magic, and something that is not NIfTI at all', async () => {
    expect(await problem(ctBytes((_, b) => b.set([0x78, 0x78, 0x78], 344)))).toMatch(/bad NIfTI-1 magic 78 78 78 00/);
    expect(await problem(ctBytes((_, b) => b.set([0x6e, 0x69, 0x31, 0], 344)))).toMatch(/two-file NIfTI/);
    expect(await problem(new TextEncoder().encode('<html>not found</html>'.repeat(30)))).toMatch(/not a NIfTI file/);
  });

  it('dims that do not match the data size', async () => {
    const fewer = ctBytes((dv) => dv.setInt16(46, 29, true)); // dim[3] 30 → 29
    expect(await problem(fewer)).toMatch(/data size does not match dims: 122×101×29 int16 need 714676 bytes .* file has 739320/);
    // Gzipped, the surplus is caught while inflating.
    expect(await problem(gzipSync(fewer))).toMatch(/inflates past the 715028 bytes its header accounts for/);
    expect(await problem(ctBytes((dv) => dv.setInt16(46, 31, true)))).toMatch(/truncated data/);
  });

  it('bad dims: zero, negative, dim[0] out of range, 4-D series', async () => {
    expect(await problem(ctBytes((dv) => dv.setInt16(42, 0, true)))).toMatch(/bad dims: dim\[1\] = 0/);
    expect(await problem(ctBytes((dv) => dv.setInt16(44, -5, true)))).toMatch(/bad dims: dim\[2\] = -5/);
    expect(await problem(ctBytes((dv) => dv.setInt16(40, 9, true)))).toMatch(/bad dim\[0\] = 9/);
    expect(await problem(ctBytes((dv) => dv.setInt16(40, 0, true)))).toMatch(/bad dim\[0\] = 0/);
    const series = ctBytes((dv) => { dv.setInt16(40, 4, true); dv.setInt16(48, 2, true); });
    expect(await problem(series)).toMatch(/4-D image \(dims 122×101×30×2\) is not supported/);
    // dim[0] = 4 with dim[4] = 1 is just a 3-D volume.
    const single = ctBytes((dv) => { dv.setInt16(40, 4, true); dv.setInt16(48, 1, true); });
    expect((await readNifti(single, F)).volume.dims).toEqual([122, 101, 30]);
  });

  it('unsupported datatypes name their code', async () => {
    const uint16 = ctBytes((dv) => dv.setInt16(70, 512, true));
    expect(await problem(uint16)).toMatch(/unsupported datatype code 512 \(uint16\); supported: uint8 \(2\), int16 \(4\)/);
    expect(await problem(ctBytes((dv) => dv.setInt16(70, 32, true)))).toMatch(/unsupported datatype code 32 \(complex64\)/);
    expect(await problem(ctBytes((dv) => dv.setInt16(70, 999, true)))).toMatch(/unsupported datatype code 999;/);
    expect(await problem(ctBytes((dv) => dv.setInt16(72, 8, true)))).toMatch(/bitpix 8 does not match datatype int16/);
  });

  it('non-finite values in float data, or after scaling', async () => {
    const img = await readNifti(pristine, CT_SM);
    const f32 = await writeNifti(img.volume, { header: img.header, datatype: 'float32', gzip: false });
    new DataView(f32.buffer).setFloat32(352 + 4 * 12345, NaN, true);
    expect(await problem(f32)).toMatch(/1 non-finite voxel value\(s\) \(first at index 12345: NaN\)/);
    const f64 = await writeNifti(img.volume, { header: img.header, datatype: 'float64', gzip: false });
    new DataView(f64.buffer).setFloat64(352 + 8 * 7, NaN, true);
    expect(await problem(f64)).toMatch(/^1 non-finite voxel value\(s\) \(first at index 7: NaN\)/);
    const infSlope = ctBytes((dv) => dv.setFloat32(112, Infinity, true));
    expect(await problem(infSlope)).toMatch(/non-finite voxel value\(s\) after scl_slope\/scl_inter/);
  });

  it('a volume beyond the voxel or byte limit, checked before allocating or inflating', async () => {
    expect(await problem(pristine, { maxVoxels: 100_000 })).toMatch(/122×101×30 = 369660 voxels exceeds the limit of 100000/);
    // 2000³ int16 claimed by a tiny file: refused by the default byte limit from the header alone.
    const huge = ctBytes((dv) => { dv.setInt16(42, 2000, true); dv.setInt16(44, 2000, true); dv.setInt16(46, 2000, true); });
    expect(await problem(gzipSync(huge))).toBe(
      'dims 2000×2000×2000 (dim[1..3]) of int16 (datatype 4) would hold 44.7 GiB in memory (14.9 GiB int16 voxels + 29.8 GiB float32 copy), over the 2 GiB limit for one volume',
    );
  });

  it('a gzip bomb stops at the size the header allows', async () => {
    // The real header, then 256 MiB of zeros: a 256 KiB download that would inflate 350×.
    const bomb = gzipSync(Buffer.concat([pristine, Buffer.alloc(256 * 1024 * 1024)]), { level: 1 });
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const t0 = performance.now();
    expect(await problem(bomb)).toMatch(/inflates past the 739672 bytes/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('bad vox_offset, singular or non-finite affine, bad qform voxel size', async () => {
    expect(await problem(ctBytes((dv) => dv.setFloat32(108, 100, true)))).toMatch(/bad vox_offset 100/);
    expect(await problem(ctBytes((dv) => dv.setFloat32(108, 352.5, true)))).toMatch(/bad vox_offset 352.5/);
    expect(await problem(ctBytes((dv) => { for (let n = 0; n < 3; n++) dv.setFloat32(280 + 4 * n, 0, true); }))).toMatch(/sform affine is singular/);
    expect(await problem(ctBytes((dv) => dv.setFloat32(296, NaN, true)))).toMatch(/sform affine has non-finite entries/);
    const qform = ctBytes((dv) => { dv.setInt16(254, 0, true); dv.setInt16(252, 1, true); dv.setFloat32(84, 0, true); });
    expect(await problem(qform)).toMatch(/qform needs positive pixdim\[1..3\], got 3, 0, 3/);
    const none = ctBytes((dv) => { dv.setInt16(254, 0, true); dv.setFloat32(80, -3, true); });
    expect(await problem(none)).toMatch(/no sform or qform, and pixdim\[1..3\] = -3, 3, 3/);
  });

  it('image/label geometry mismatch', async () => {
    const big = await readNifti(load(CT), CT);
    const small = await readNifti(pristine, CT_SM);
    expect(() => checkSameGeometry(big.volume, small.volume, CT, CT_SM)).toThrow(
      new VolumeError(CT_SM, `dims 122×101×30 do not match ${CT} (122×101×112)`),
    );
    const moved = { ...small.volume, affine: [...small.volume.affine] };
    moved.affine[7] += 1.5;
    expect(() => checkSameGeometry(small.volume, moved, 'img.nii', 'seg.nii')).toThrow(/^seg\.nii: affine does not match img\.nii: row 1 is \[0 3 0 12\.819\], expected \[0 3 0 11\.319\]/);
    moved.affine[7] = small.volume.affine[7] + 1e-5; // float32 rounding between writers is fine
    expect(() => checkSameGeometry(small.volume, moved, 'img.nii', 'seg.nii')).not.toThrow();
  });

  it('an image used as a label map', async () => {
    const img = await readNifti(pristine, CT_SM);
    expect(() => toLabelVolume(img, CT_SM)).toThrow(/not a label map: voxel 0 has value -1024 \(labels must be integers 0..255\)/);
  });
});
