import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VolumeError } from '../errors.ts';
import type { Mat4, Volume } from '../volume.ts';
import { readNifti, writeNifti, type NiftiDatatype, type NiftiHeader, type NiftiImage } from './index.ts';
import { DEMO_CT_SLAB, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';

const CT_SM = DEMO_CT_SLAB;
const SEG = DEMO_SEG;
const present = sharedDemoPresent('writeNifti round trips on the TotalSegmentator example', [CT_SM, SEG]);
const load = (p: string) => new Uint8Array(readFileSync(p));

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let n = 0; n < a.length; n++) if (!Object.is(a[n], b[n])) return n;
  return -1;
}

/** The header fields that describe geometry and provenance; all must survive a rewrite. */
function geometryOf(h: NiftiHeader) {
  return {
    dim: h.dim.slice(0, 4), pixdim: h.pixdim, sformCode: h.sformCode, qformCode: h.qformCode, srow: h.srow,
    quatern: h.quatern, qoffset: h.qoffset, xyztUnits: h.xyztUnits, descrip: h.descrip, auxFile: h.auxFile,
    intentName: h.intentName, calMin: h.calMin, calMax: h.calMax, extensions: Array.from(h.extensions),
  };
}

/** A volume of each datatype, from the real CT, with values that the datatype holds. */
function dataFor(ct: NiftiImage, dt: NiftiDatatype): Volume {
  const src = ct.volume.data;
  const n = src.length;
  const { dims, affine } = ct.volume;
  switch (dt) {
    case 'uint8': return { dims, affine, data: Uint8Array.from(src, (v) => Math.max(0, Math.min(255, (v + 1024) >> 4))) };
    case 'int16': return { dims, affine, data: Int16Array.from(src) };
    case 'int32': return { dims, affine, data: Int32Array.from(src, (v) => v * 1000) };
    // Fractions, so a careless integer path would show.
    case 'float32': return { dims, affine, data: Float32Array.from(src, (v) => v / 7) };
    case 'float64': {
      const d = new Float64Array(n);
      for (let i = 0; i < n; i++) d[i] = src[i] / 7;
      return { dims, affine, data: d };
    }
  }
}

describe.skipIf(!present)('writeNifti round trips on the real CT', async () => {
  const ct = present ? await readNifti(load(CT_SM), CT_SM) : (undefined as never);

  for (const dt of ['uint8', 'int16', 'int32', 'float32', 'float64'] as const) {
    for (const gzip of [false, true]) {
      it(`${dt} ${gzip ? '.nii.gz' : '.nii'}: read → write → read is equal in data and header geometry`, async () => {
        const first = await readNifti(await writeNifti(dataFor(ct, dt), { header: ct.header, datatype: dt, gzip }), 'first');
        expect(first.datatype).toBe(dt);
        const bytes = await writeNifti(first.volume, { header: first.header, datatype: first.datatype, gzip });
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        // An independent gzip decoder accepts what CompressionStream wrote.
        const raw = gzip ? new Uint8Array(gunzipSync(bytes)) : bytes;
        const second = await readNifti(raw, 'second');
        expect(second.datatype).toBe(dt);
        expect(firstDiff(second.volume.data, first.volume.data)).toBe(-1);
        expect(second.volume.affine).toEqual(ct.volume.affine);
        expect(geometryOf(second.header)).toEqual(geometryOf(first.header));
        expect(geometryOf(first.header)).toEqual(geometryOf(ct.header));
      });
    }
  }

  it('keeps extensions, vox_offset and raw bytes of the TotalSegmentator label file', async () => {
    const raw = new Uint8Array(gunzipSync(load(SEG)));
    const seg = await readNifti(raw, SEG);
    expect(seg.header.extensions.length).toBe(13168 - 352);
    const out = await writeNifti(seg.volume, { header: seg.header, datatype: 'uint8', gzip: false });
    const back = await readNifti(out, 'seg-again');
    expect(back.header.voxOffset).toBe(13168);
    expect(geometryOf(back.header)).toEqual(geometryOf(seg.header));
    expect(firstDiff(out.subarray(13168), raw.subarray(13168))).toBe(-1);
    expect(firstDiff(out.subarray(348, 13168), raw.subarray(348, 13168))).toBe(-1);
  });

  it('writes and reads NIfTI-2, and back to NIfTI-1, without changing data or geometry', async () => {
    const n2 = await writeNifti(ct.volume, { header: ct.header, datatype: 'int16', version: 2, gzip: false });
    const dv = new DataView(n2.buffer);
    expect(dv.getInt32(0, true)).toBe(540);
    expect(String.fromCharCode(...n2.subarray(4, 7))).toBe('n+2');
    const img2 = await readNifti(n2, 'v2.nii');
    expect(img2.header.version).toBe(2);
    expect(img2.header.voxOffset).toBe(544);
    expect(img2.volume.affine).toEqual(ct.volume.affine);
    expect(firstDiff(img2.volume.data, ct.volume.data)).toBe(-1);
    const again = await readNifti(await writeNifti(img2.volume, { header: img2.header, datatype: 'int16' }), 'v2.nii.gz');
    expect(again.header.version).toBe(2);
    expect(geometryOf(again.header)).toEqual(geometryOf(img2.header));
    const back1 = await readNifti(await writeNifti(img2.volume, { header: img2.header, datatype: 'int16', version: 1 }), 'v1.nii.gz');
    expect(back1.header.version).toBe(1);
    expect(geometryOf(back1.header)).toEqual(geometryOf(ct.header));
    expect(firstDiff(back1.volume.data, ct.volume.data)).toBe(-1);
  });

  it('keeps an integer file’s scl_slope/scl_inter so its raw integers come back exactly', async () => {
    const raw = new Uint8Array(gunzipSync(load(CT_SM)));
    const dv = new DataView(raw.buffer, raw.byteOffset);
    dv.setFloat32(112, 0.5, true);
    dv.setFloat32(116, -1024, true);
    const scaled = await readNifti(raw, 'scaled');
    const out = await writeNifti(scaled.volume, { header: scaled.header, datatype: 'int16', gzip: false });
    expect(firstDiff(out.subarray(352), raw.subarray(352))).toBe(-1);
    expect(new DataView(out.buffer).getFloat32(112, true)).toBe(0.5);
    // Float output stores the scaled values themselves: slope 1, intercept 0.
    const f = await readNifti(await writeNifti(scaled.volume, { header: scaled.header, datatype: 'float32' }), 'f');
    expect([f.header.sclSlope, f.header.sclInter]).toEqual([1, 0]);
    expect(firstDiff(f.volume.data, scaled.volume.data)).toBe(-1);
  });

  it('defaults the datatype to the array type, not the source header', async () => {
    const out = await readNifti(await writeNifti({ ...ct.volume, data: ct.volume.data.map((v) => v / 3) }, { header: ct.header }), 'x');
    expect(out.datatype).toBe('float32');
  });

  it('refuses values the integer datatype cannot hold instead of clipping them', async () => {
    const vol = { ...ct.volume, data: new Float32Array(ct.volume.data.length) };
    vol.data[17] = 300;
    await expect(writeNifti(vol, { datatype: 'uint8', fileName: 'out.nii' })).rejects.toThrow(/^out\.nii: voxel 17 value 300 does not fit uint8/);
    vol.data[17] = NaN;
    await expect(writeNifti(vol, { datatype: 'float32' })).rejects.toBeInstanceOf(VolumeError);
    await expect(writeNifti({ ...ct.volume, dims: [2, 2, 2] })).rejects.toThrow(/data has .* voxels but dims 2×2×2 need 8/);
  });
});

describe('writeNifti geometry for a new affine', () => {
  // An oblique, left-handed (LPS-like) grid: 30° about z, negative x/y, 2.5 mm slices.
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  const affine: Mat4 = [-0.8 * c, 0.8 * s, 0, 120.5, -0.8 * s, -0.8 * c, 0, 98.25, 0, 0, 2.5, -300.75, 0, 0, 0, 1];
  const vol: Volume<Float32Array> = { dims: [4, 5, 6], affine, data: Float32Array.from({ length: 120 }, (_, n) => n) };

  it('writes the affine as sform and an equivalent qform', async () => {
    const bytes = await writeNifti(vol, { gzip: false });
    const img = await readNifti(bytes, 'oblique.nii');
    for (let n = 0; n < 16; n++) expect(img.volume.affine[n]).toBeCloseTo(affine[n], 4);
    expect(img.header.pixdim.slice(1, 4).map((x) => +x.toFixed(5))).toEqual([0.8, 0.8, 2.5]);
    new DataView(bytes.buffer).setInt16(254, 0, true); // drop the sform: readers fall back to the qform
    const q = await readNifti(bytes, 'qform-only.nii');
    expect(q.header.qformCode).toBeGreaterThan(0);
    for (let n = 0; n < 16; n++) expect(q.volume.affine[n]).toBeCloseTo(affine[n], 4);
  });

  it('replaces a source header’s geometry when the volume’s affine changed', async () => {
    const src = await readNifti(await writeNifti(vol), 'src');
    const shifted = { ...vol, affine: [...affine.slice(0, 3), affine[3] + 10, ...affine.slice(4)] };
    const img = await readNifti(await writeNifti(shifted, { header: src.header }), 'shifted');
    expect(img.volume.affine[3]).toBeCloseTo(130.5, 4);
    expect(img.header.qoffset[0]).toBeCloseTo(130.5, 4);
  });
});
