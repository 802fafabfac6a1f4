import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readNifti, toLabelVolume, writeNifti } from './index.ts';
import { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';

const CT = DEMO_CT;
const SEG = DEMO_SEG;
const CT_SM = DEMO_CT_SLAB;
const present = sharedDemoPresent('readNifti on the TotalSegmentator example', [CT, SEG, CT_SM]);
const load = (p: string) => new Uint8Array(readFileSync(p));

/** Index of the first difference (-1 if none); toEqual on million-element typed arrays is very slow. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let n = 0; n < a.length; n++) if (!Object.is(a[n], b[n])) return n;
  return -1;
}

const AFFINE = [3, 0, 0, -177.95632934570312, 0, 3, 0, 11.319000244140625, 0, 0, 3, 94.3017578125, 0, 0, 0, 1];

describe.skipIf(!present)('readNifti on the shared CT', () => {
  it('reads example_ct.nii.gz: dims, int32, sform affine, HU range', async () => {
    const bytes = load(CT);
    const t0 = performance.now();
    const img = await readNifti(bytes, CT);
    const ms = performance.now() - t0;
    expect(img.volume.dims).toEqual([122, 101, 112]);
    expect(img.datatype).toBe('int32');
    expect(img.header.version).toBe(1);
    expect(img.header.sformCode).toBe(2);
    expect(img.volume.affine).toEqual(AFFINE);
    expect(img.volume.data).toBeInstanceOf(Float32Array);
    expect(img.volume.data.length).toBe(122 * 101 * 112);
    let min = Infinity, max = -Infinity;
    for (const v of img.volume.data) { min = Math.min(min, v); max = Math.max(max, v); }
    expect([min, max]).toEqual([-1207, 3382]);
    // "Well under a second" even on a busy 2-core machine.
    expect(ms).toBeLessThan(1000);
  });

  it('reads the uint8 TotalSegmentator labels with the published voxel counts', async () => {
    const seg = toLabelVolume(await readNifti(load(SEG), SEG), SEG);
    const counts = new Map<number, number>();
    for (const v of seg.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect(counts.get(5)).toBe(41692);
    expect(counts.get(2)).toBe(7134);
    expect(counts.get(3)).toBe(5090);
    expect(counts.get(7)).toBe(695);
    expect(seg.affine).toEqual(AFFINE);
  });

  it('reads the same data uncompressed (gzip is found by magic bytes, not by name)', async () => {
    const gz = await readNifti(load(CT_SM), CT_SM);
    const raw = await readNifti(new Uint8Array(gunzipSync(load(CT_SM))), 'no-extension-at-all');
    expect(raw.datatype).toBe('int16');
    expect(raw.volume.dims).toEqual([122, 101, 30]);
    expect(firstDiff(raw.volume.data, gz.volume.data)).toBe(-1);
  });

  it('applies scl_slope/scl_inter, and treats slope 0 as no scaling', async () => {
    const raw = new Uint8Array(gunzipSync(load(CT_SM)));
    const plain = await readNifti(raw, 'plain');
    const dv = new DataView(raw.buffer, raw.byteOffset);
    dv.setFloat32(112, 2, true);
    dv.setFloat32(116, -10, true);
    const scaled = await readNifti(raw, 'scaled');
    for (const n of [0, 1000, 200000]) expect(scaled.volume.data[n]).toBe(plain.volume.data[n] * 2 - 10);
    dv.setFloat32(112, 0, true);
    const none = await readNifti(raw, 'slope0');
    expect(firstDiff(none.volume.data, plain.volume.data)).toBe(-1);
  });

  it('reads big-endian files', async () => {
    const img = await readNifti(load(CT_SM), CT_SM);
    for (const [datatype, version] of [['int16', 1], ['int32', 1], ['float32', 1], ['float64', 1], ['int16', 2], ['float64', 2]] as const) {
      const be = await writeNifti(img.volume, { header: { ...img.header, littleEndian: false }, datatype, version, gzip: false });
      expect(new DataView(be.buffer).getInt32(0, false)).toBe(version === 1 ? 348 : 540);
      const back = await readNifti(be, 'be.nii');
      expect(back.header.littleEndian).toBe(false);
      expect(back.header.version).toBe(version);
      expect(back.volume.affine).toEqual(img.volume.affine);
      expect(firstDiff(back.volume.data, img.volume.data)).toBe(-1);
    }
  });

  it('builds the affine from the qform when sform_code is 0, and from pixdim when both are 0', async () => {
    const raw = new Uint8Array(gunzipSync(load(CT_SM)));
    const dv = new DataView(raw.buffer, raw.byteOffset);
    dv.setInt16(254, 0, true); // sform_code
    dv.setInt16(252, 1, true); // qform_code: the file's quaternion is (0,0,0) with qoffset = origin
    const q = await readNifti(raw, 'qform');
    expect(q.volume.affine).toEqual(AFFINE);
    dv.setInt16(252, 0, true);
    const p = await readNifti(raw, 'pixdim');
    expect(p.volume.affine).toEqual([3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1]);
  });

  it('reads data at an offset that breaks typed-array alignment, also from a Node Buffer', async () => {
    const img = await readNifti(load(CT_SM), CT_SM);
    const f64 = await writeNifti(img.volume, { header: img.header, datatype: 'float64', gzip: false });
    // Move the data 4 bytes later: vox_offset 356 is not a multiple of 8.
    const shifted = new Uint8Array(f64.length + 4);
    shifted.set(f64.subarray(0, 352));
    shifted.set(f64.subarray(352), 356);
    new DataView(shifted.buffer).setFloat32(108, 356, true);
    for (const bytes of [shifted, Buffer.from(shifted)]) {
      const back = await readNifti(bytes, 'odd-offset.nii');
      expect(back.header.voxOffset).toBe(356);
      expect(firstDiff(back.volume.data, img.volume.data)).toBe(-1);
    }
  });
});
