/**
 * Files built to cost memory: a vox_offset far past the data, dims that declare gigabytes in a
 * small file, values float32 cannot hold, two-file headers. Each must be refused (or read exactly)
 * with a message naming the file and the header field, without a large allocation first.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VolumeError } from '../errors.ts';
import type { Volume } from '../volume.ts';
import { DEFAULT_MAX_BYTES, MAX_EXTENSION_BYTES, readNifti, writeNifti } from './index.ts';
import { trackAllocations } from './testing/allocations.ts';

const F = 'hostile.nii.gz';
const MiB = 2 ** 20;
const AFFINE = [2, 0, 0, -10, 0, 2, 0, 5, 0, 0, 3, 7, 0, 0, 0, 1];

/** A small int16 CT-like volume, uncompressed, vox_offset 352. */
async function plainCt(dims: [number, number, number] = [24, 20, 10]): Promise<Uint8Array> {
  const n = dims[0] * dims[1] * dims[2];
  const data = Int16Array.from({ length: n }, (_, v) => ((v * 37) % 2000) - 1000);
  return writeNifti({ dims, affine: AFFINE, data }, { gzip: false });
}

function edit(bytes: Uint8Array, change: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = bytes.slice();
  change(new DataView(b.buffer), b);
  return b;
}

/** The VolumeError's problem, and the largest allocation made on the way to it. */
async function refusal(bytes: Uint8Array, opts?: Parameters<typeof readNifti>[2]): Promise<{ problem: string; largest: number; ms: number }> {
  const t0 = performance.now();
  const r = await trackAllocations(() => readNifti(bytes, F, opts));
  const ms = performance.now() - t0;
  if (!(r.error instanceof VolumeError)) throw new Error(`expected a VolumeError, got ${r.error ?? 'success'}`);
  expect(r.error.file).toBe(F);
  expect(r.error.message).not.toContain('\n');
  return { problem: r.error.problem, largest: r.largest, ms };
}

describe('vox_offset is bounded before anything is allocated', () => {
  it('3.5 GB vox_offset in a small .nii.gz: refused from the header, nothing big allocated', async () => {
    const bytes = gzipSync(edit(await plainCt(), (dv) => dv.setFloat32(108, 3.5e9, true)));
    const r = await refusal(bytes);
    expect(r.problem).toBe('vox_offset 3500000000 puts the voxel data 3.26 GiB past the header; header extensions may take at most 64 MiB, so vox_offset is corrupt');
    expect(r.largest).toBeLessThan(MiB);
    // Uncompressed, the same header is refused the same way, before the extension region is copied.
    expect((await refusal(edit(await plainCt(), (dv) => dv.setFloat32(108, 3.5e9, true)))).problem).toMatch(/^vox_offset 3500000000 puts/);
  });

  it('1.5 GB of real extension bytes (flag set) are not inflated or copied', async () => {
    const ct = await plainCt();
    const head = edit(ct.subarray(0, 352), (dv, b) => {
      dv.setFloat32(108, 1.5e9, true);
      b[348] = 1;
    });
    // The first 8 MiB of the gap is enough to show the reader stops at the header.
    const bytes = gzipSync(Buffer.concat([head, Buffer.alloc(8 * MiB), ct.subarray(352)]), { level: 1 });
    const r = await refusal(bytes);
    expect(r.problem).toMatch(/^vox_offset 1500000000 puts the voxel data 1.4 GiB past the header/);
    expect(r.largest).toBeLessThan(MiB);
    expect(r.ms).toBeLessThan(1000);
  });

  it('extensions up to the stated limit are still read and carried into a rewrite', async () => {
    const ct = await plainCt();
    const ext = new Uint8Array(4096).fill(7);
    new DataView(ext.buffer).setInt32(0, 4096, true); // esize
    const offset = 352 + ext.length;
    const bytes = new Uint8Array(offset + ct.length - 352);
    bytes.set(ct.subarray(0, 352));
    bytes[348] = 1;
    bytes.set(ext, 352);
    bytes.set(ct.subarray(352), offset);
    new DataView(bytes.buffer).setFloat32(108, offset, true);
    const img = await readNifti(gzipSync(bytes), F);
    expect(img.header.extensions.length).toBe(offset - 352);
    const back = await readNifti(await writeNifti(img.volume, { header: img.header, datatype: 'int16' }), 'back.nii.gz');
    expect(Array.from(back.header.extensions.subarray(0, 8))).toEqual(Array.from(img.header.extensions.subarray(0, 8)));
    expect(MAX_EXTENSION_BYTES).toBe(64 * MiB);
  });
});

describe('a byte limit on what a volume holds, checked before inflating', () => {
  /** A 512×512×1024 header of `datatype` followed by 1 MiB of zeros: a ~1 KB .nii.gz. */
  function declared(code: number, bitpix: number, ct: Uint8Array): Uint8Array {
    const head = edit(ct.subarray(0, 352), (dv) => {
      dv.setInt16(42, 512, true);
      dv.setInt16(44, 512, true);
      dv.setInt16(46, 1024, true);
      dv.setInt16(70, code, true);
      dv.setInt16(72, bitpix, true);
    });
    return gzipSync(Buffer.concat([head, Buffer.alloc(MiB)]));
  }

  it('512×512×1024 float64 (3 GiB with its float32 copy) is refused by the 2 GiB default', async () => {
    const ct = await plainCt();
    const r = await refusal(declared(64, 64, ct));
    expect(r.problem).toBe(
      'dims 512×512×1024 (dim[1..3]) of float64 (datatype 64) would hold 3 GiB in memory (2 GiB float64 voxels + 1 GiB float32 copy), over the 2 GiB limit for one volume',
    );
    expect(r.largest).toBeLessThan(MiB);
    expect(r.ms).toBeLessThan(1000);
    expect(DEFAULT_MAX_BYTES).toBe(2 * 1024 * MiB);
  });

  it('the limit counts the source type: the same dims as int16 pass it, and a truncated stream costs what it inflated', async () => {
    const ct = await plainCt();
    const r = await refusal(declared(4, 16, ct));
    expect(r.problem).toMatch(/^truncated data: dims 512×512×1024 int16 need 536870912 bytes after offset 352, file has 1048576$/);
    // The file's gzip trailer disagrees with its header, so nothing is allocated at the declared size.
    expect(r.largest).toBeLessThan(4 * MiB);
  });

  it('is configurable, and says how to raise it when the caller gives a hint', async () => {
    const ct = await plainCt();
    const small = await refusal(gzipSync(ct), { maxBytes: 10_000, limitHint: 'set LIMIT to raise it' });
    expect(small.problem).toBe('dims 24×20×10 (dim[1..3]) of int16 (datatype 4) would hold 28.1 KiB in memory (9.4 KiB int16 voxels + 18.8 KiB float32 copy), over the 9.8 KiB limit for one volume; set LIMIT to raise it');
    const big = await refusal(declared(64, 64, ct), { maxBytes: 4 * 1024 * MiB });
    expect(big.problem).toMatch(/^truncated data: dims 512×512×1024 float64/);
  });

  it('an allocation that fails anyway is reworded with the file and the header fields', async () => {
    const ct = await plainCt();
    const head = edit(ct.subarray(0, 352), (dv) => {
      for (const at of [42, 44, 46]) dv.setInt16(at, 30000, true);
      dv.setInt16(70, 64, true);
      dv.setInt16(72, 64, true);
    });
    const gz = gzipSync(Buffer.concat([head, Buffer.alloc(MiB)])); // enough to inflate past the header before the trailer is checked
    // Forge the trailer so the reader trusts the declared size and allocates it at once.
    new DataView(gz.buffer, gz.byteOffset).setUint32(gz.length - 4, (352 + 8 * 30000 ** 3) % 2 ** 32, true);
    const r = await trackAllocations(() => readNifti(gz, F, { maxBytes: Infinity }));
    expect(r.error).toBeInstanceOf(VolumeError);
    expect((r.error as VolumeError).message).toBe(
      'hostile.nii.gz: cannot allocate 201165.68 GiB for the inflated data (vox_offset 352 + dims 30000×30000×30000 (dim[1..3]) of float64) (Array buffer allocation failed)',
    );
  });

  it('a multi-member gzip (trailer of the last member only) still reads, collected then placed once', async () => {
    const ct = await plainCt([256, 256, 130]); // 17 MiB: past the size collected before allocating
    const img = await readNifti(ct, 'plain.nii');
    const cut = 352 + 1000;
    const twoMembers = Buffer.concat([gzipSync(ct.subarray(0, cut), { level: 1 }), gzipSync(ct.subarray(cut), { level: 1 })]);
    const back = await readNifti(twoMembers, 'bgzip.nii.gz');
    expect(back.volume.dims).toEqual([256, 256, 130]);
    expect(back.volume.data.every((v, k) => v === img.volume.data[k])).toBe(true);
  });
});

describe('precision: int32 kept exact, float64 beyond float32 named as such', () => {
  const dims: [number, number, number] = [4, 3, 2];
  const extremes = [2147483647, -2147483648, 16777217, -16777217, 0, 123456789, -1, 1000, 2147483520, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];

  it('int32 extremes read exactly, and a rewrite keeps unchanged voxels bit for bit', async () => {
    const vol: Volume = { dims, affine: AFFINE, data: Int32Array.from(extremes) };
    for (const littleEndian of [true, false]) {
      const first = await writeNifti(vol, { gzip: false });
      const bytes = littleEndian ? first : await writeNifti(vol, { gzip: false, header: { ...(await readNifti(first, 'le.nii')).header, littleEndian: false } });
      const img = await readNifti(bytes, F);
      expect(img.datatype).toBe('int32');
      expect(img.exact).toBeInstanceOf(Int32Array);
      expect(Array.from(img.exact!)).toEqual(extremes);
      expect(img.volume.data[0]).toBe(2147483648); // what float32 makes of it: why `exact` exists
      // A changed voxel takes its new value; every other one is written as the file had it.
      const changed = { ...img.volume, data: img.volume.data.slice() };
      changed.data[4] = -5;
      const back = await readNifti(await writeNifti(changed, { header: img.header, datatype: 'int32' }), 'back.nii.gz');
      expect(Array.from(back.exact!)).toEqual(extremes.map((v, k) => (k === 4 ? -5 : v)));
    }
  });

  it('data that float32 holds exactly gets no second copy', async () => {
    const img = await readNifti(await writeNifti({ dims, affine: AFFINE, data: Int32Array.from(extremes, (v) => v % 1000) }, { gzip: false }), F);
    expect(img.exact).toBeUndefined();
  });

  it('scaled int32 and float64 keep float64 values', async () => {
    const f64 = Float64Array.from(extremes, (v) => v / 3);
    const img = await readNifti(await writeNifti({ dims, affine: AFFINE, data: f64 }, { gzip: false }), F);
    expect(img.exact).toBeInstanceOf(Float64Array);
    expect(Array.from(img.exact!)).toEqual(Array.from(f64));
    const back = await readNifti(await writeNifti(img.volume, { header: img.header, datatype: 'float64' }), 'back.nii.gz');
    expect(Array.from(back.exact!)).toEqual(Array.from(f64));

    const raw = edit(await writeNifti({ dims, affine: AFFINE, data: Int32Array.from(extremes) }, { gzip: false }), (dv) => {
      dv.setFloat32(112, 2, true);
      dv.setFloat32(116, 1, true);
    });
    const scaled = await readNifti(raw, F);
    expect(Array.from(scaled.exact!)).toEqual(extremes.map((v) => v * 2 + 1));
    const again = await readNifti(await writeNifti(scaled.volume, { header: scaled.header, datatype: 'int32', gzip: false }), 'again.nii');
    expect(Array.from(again.exact!)).toEqual(extremes.map((v) => v * 2 + 1));
  });

  it('a finite float64 beyond float32 range is called that, not non-finite', async () => {
    const data = new Float64Array(24).fill(1.5);
    data[5] = 1e39;
    data[9] = -1e39;
    const r = await refusal(await writeNifti({ dims, affine: AFFINE, data }, { gzip: false }));
    expect(r.problem).toBe("2 voxel value(s) beyond float32's range of ±3.4e38 (first at index 5: 1e+39); the workbench computes in float32");
    data[5] = Infinity;
    data[9] = 0;
    expect((await refusal(await writeNifti({ dims, affine: AFFINE, data: data.map((v) => (v === Infinity ? 1 : v)) }, { gzip: false }).then((b) => edit(b, (dv) => dv.setFloat64(352 + 8 * 5, Infinity, true))))).problem).toBe(
      '1 non-finite voxel value(s) (first at index 5: Infinity)',
    );
  });
});

describe('two-file formats say what they are', () => {
  it('ANALYZE 7.5, NIfTI-1 and NIfTI-2 .hdr headers, and a bare .img', async () => {
    const ct = await plainCt();
    const analyze = edit(ct.subarray(0, 348), (_, b) => b.fill(0, 344, 348));
    const hdr = async (bytes: Uint8Array, name: string) => {
      try {
        await readNifti(bytes, name);
      } catch (e) {
        expect(e).toBeInstanceOf(VolumeError);
        return (e as VolumeError).message;
      }
      throw new Error('expected a VolumeError');
    };
    expect(await hdr(analyze, 'scan.hdr')).toMatch(/^scan\.hdr: an ANALYZE 7\.5 header \(\.hdr of a \.hdr\/\.img pair: sizeof_hdr 348 but no NIfTI magic at byte 344\).*convert the pair to a single \.nii or \.nii\.gz/);
    const ni1 = edit(ct.subarray(0, 348), (_, b) => b.set([0x6e, 0x69, 0x31, 0], 344));
    expect(await hdr(ni1, 'scan.hdr')).toMatch(/^scan\.hdr: a two-file NIfTI-1 header \(\.hdr of a \.hdr\/\.img pair, magic "ni1"\): not supported; convert/);
    const n2 = await writeNifti({ dims: [2, 2, 2], affine: AFFINE, data: new Int16Array(8) }, { gzip: false, version: 2 });
    const ni2 = edit(n2.subarray(0, 540), (_, b) => b.set([0x6e, 0x69, 0x32], 4));
    expect(await hdr(ni2, 'scan2.hdr')).toMatch(/^scan2\.hdr: a two-file NIfTI-2 header \(\.hdr of a \.hdr\/\.img pair, magic "ni2"\): not supported/);
    expect(await hdr(ct.subarray(352), 'scan.img')).toMatch(/^scan\.img: not a NIfTI file .*; a \.img file holds only the voxels of a \.hdr\/\.img pair, which is not supported/);
  });
});
