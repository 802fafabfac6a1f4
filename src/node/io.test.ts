import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { VolumeError } from '../core/errors.ts';
import { writeNifti } from '../core/nifti/index.ts';
import { trackAllocations } from '../core/nifti/testing/allocations.ts';
import { VOLUME_LIMIT_HELP, readNiftiFile, volumeLimitBytes, writeFileAtomic, writeNiftiFile } from './io.ts';
import { runCliProcess } from './testing/cliProcess.ts';
import { writePhantomFiles } from './testing/phantomFiles.ts';

const tmp = mkdtempSync(join(tmpdir(), 'io-test-'));
const srcDir = mkdtempSync(join(tmpdir(), 'io-test-src-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(srcDir, { recursive: true, force: true });
});

describe('node io', () => {
  it('writes NIfTI files atomically, gzipped only for .gz names, and reads them back', async () => {
    const { ct } = await writePhantomFiles(srcDir, { dims: [40, 32, 24], spacing: [9, 9, 9] });
    const img = await readNiftiFile(ct);
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

const MiB = 2 ** 20;
const AFFINE = [2, 0, 0, -10, 0, 2, 0, 5, 0, 0, 3, 7, 0, 0, 0, 1];

/** A small int16 volume (24×20×10, vox_offset 352) and a label map on its grid, built here. */
async function smallCase(): Promise<{ ct: Uint8Array; seg: Uint8Array }> {
  const dims: [number, number, number] = [24, 20, 10];
  const n = dims[0] * dims[1] * dims[2];
  const ct = await writeNifti({ dims, affine: AFFINE, data: Int16Array.from({ length: n }, (_, v) => ((v * 37) % 400) - 100) }, { gzip: false });
  const seg = await writeNifti({ dims, affine: AFFINE, data: Uint8Array.from({ length: n }, (_, v) => (v % 24 > 6 && v % 24 < 18 ? 5 : 0)) }, { gzip: true });
  return { ct, seg };
}

/** A pipe at `path` fed by `sh -c script` ("> $FIFO" inside it); the writer is killed afterwards. */
async function withPipe<T>(name: string, script: string, use: (path: string) => Promise<T>): Promise<T> {
  const path = join(tmp, name);
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  const writer = spawn('sh', ['-c', script], { env: { ...process.env, FIFO: path }, stdio: 'ignore' });
  try {
    return await use(path);
  } finally {
    writer.kill('SIGKILL');
    rmSync(path, { force: true });
  }
}

async function refusal(run: () => Promise<unknown>): Promise<{ message: string; ms: number; largest: number }> {
  const t0 = performance.now();
  const r = await trackAllocations(run);
  if (!(r.error instanceof VolumeError)) throw new Error(`expected a VolumeError, got ${r.error ?? 'success'}`);
  return { message: r.error.message, ms: performance.now() - t0, largest: r.largest };
}

describe('inputs without end: devices refused, pipes and files read under the volume limit', () => {
  it('/dev/zero and /dev/urandom are refused before a byte is read', async () => {
    for (const dev of ['/dev/zero', '/dev/urandom']) {
      const r = await refusal(() => readNiftiFile(dev));
      expect(r.message).toBe(`${dev}: cannot read: a character device, not a file; devices can supply bytes without end, so only files and pipes are read`);
      expect(r.ms).toBeLessThan(1000);
    }
  });

  it('a pipe of noise stops at its first bytes; a pipe of a real file reads like the file', async () => {
    const r = await withPipe('noise', 'cat /dev/urandom > "$FIFO"', (p) => refusal(() => readNiftiFile(p)));
    expect(r.message).toMatch(/noise: not a NIfTI file \(sizeof_hdr is neither 348 nor 540 in either byte order\)$/);
    expect(r.largest).toBeLessThanOrEqual(MiB);
    const { ct } = await smallCase();
    const file = join(tmp, 'small.nii.gz');
    writeFileSync(file, gzipSync(ct));
    const img = await withPipe('real', 'cat "$0" > "$FIFO"'.replace('$0', file), (p) => readNiftiFile(p));
    expect(img.volume.data).toEqual((await readNiftiFile(file)).volume.data);
  });

  it('a pipe that goes on past the size its header declares stops there', async () => {
    const { ct } = await smallCase();
    const head = join(tmp, 'head.nii');
    writeFileSync(head, ct);
    const r = await withPipe('endless.nii', `{ cat "${head}"; cat /dev/zero; } > "$FIFO"`, (p) => refusal(() => readNiftiFile(p)));
    expect(r.message).toMatch(/endless\.nii: the data goes on past the 9952 bytes its header accounts for/);
    expect(r.largest).toBeLessThanOrEqual(MiB);
  });

  it('an endless gzip pipe stops at the limit', async () => {
    const r = await withPipe('endless.nii.gz', 'gzip -1 -c < /dev/urandom > "$FIFO"', (p) => refusal(() => readNiftiFile(p, { maxBytes: 2 * MiB })));
    expect(r.message).toMatch(/endless\.nii\.gz: more than the 2 MiB limit for one volume; set FREETUMOR_MAX_VOLUME_MIB to raise it$/);
    expect(r.largest).toBeLessThanOrEqual(2 * MiB);
  });

  it('a regular file over the limit is refused from its size, unread', async () => {
    const big = join(tmp, 'big.nii');
    writeFileSync(big, new Uint8Array(3 * MiB));
    const r = await refusal(() => readNiftiFile(big, { maxBytes: 2 * MiB }));
    expect(r.message).toBe(`${big}: file is 3 MiB, over the 2 MiB limit for one volume; set FREETUMOR_MAX_VOLUME_MIB to raise it`);
    expect(r.largest).toBeLessThan(MiB);
  });

  it('FREETUMOR_MAX_VOLUME_MIB sets the limit, and --help text states it', async () => {
    const file = join(tmp, 'limited.nii');
    writeFileSync(file, (await smallCase()).ct);
    const saved = process.env.FREETUMOR_MAX_VOLUME_MIB;
    process.env.FREETUMOR_MAX_VOLUME_MIB = '0.02';
    try {
      await expect(readNiftiFile(file)).rejects.toThrow(/limited\.nii: dims 24×20×10 \(dim\[1\.\.3\]\) of int16 \(datatype 4\) would hold 28\.1 KiB .* over the 20\.5 KiB limit for one volume; set FREETUMOR_MAX_VOLUME_MIB to raise it$/);
    } finally {
      if (saved === undefined) delete process.env.FREETUMOR_MAX_VOLUME_MIB;
      else process.env.FREETUMOR_MAX_VOLUME_MIB = saved;
    }
    expect((await readNiftiFile(file)).volume.dims).toEqual([24, 20, 10]);
    expect(volumeLimitBytes({})).toBe(2048 * MiB);
    expect(volumeLimitBytes({ FREETUMOR_MAX_VOLUME_MIB: '3' })).toBe(3 * MiB);
    expect(() => volumeLimitBytes({ FREETUMOR_MAX_VOLUME_MIB: 'lots' })).toThrow('FREETUMOR_MAX_VOLUME_MIB=lots is not a positive number of MiB');
    expect(VOLUME_LIMIT_HELP).toMatch(/at most 2048 MiB .*FREETUMOR_MAX_VOLUME_MIB=N/s);
    // Wrapped for a terminal: --help prints it as it stands.
    for (const line of VOLUME_LIMIT_HELP.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});

describe('the CLI on hostile files, in its own process: exit 2 quickly, memory flat', () => {
  // The CLI itself (node + tsx) peaks near 110 MiB; the old reader went to 3–14 GB on these.
  const PEAK_MIB = 300;

  it('inspect /dev/zero', async () => {
    const r = await runCliProcess(['inspect', '/dev/zero'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^freetumor inspect: \/dev\/zero: cannot read: a character device/);
    expect(r.peakMiB).toBeLessThan(PEAK_MIB);
  });

  it('inspect a 1 KB .nii.gz declaring 512×512×1024 float64', async () => {
    const { ct } = await smallCase();
    const head = ct.slice(0, 352);
    const dv = new DataView(head.buffer);
    for (const [at, v] of [[42, 512], [44, 512], [46, 1024], [70, 64], [72, 64]]) dv.setInt16(at, v, true);
    const huge = join(tmp, 'huge.nii.gz');
    writeFileSync(huge, gzipSync(Buffer.concat([head, Buffer.alloc(MiB)])));
    const r = await runCliProcess(['inspect', huge], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`freetumor inspect: ${huge}: dims 512×512×1024 (dim[1..3]) of float64 (datatype 64) would hold 3 GiB in memory (2 GiB float64 voxels + 1 GiB float32 copy), over the 2 GiB limit for one volume; set FREETUMOR_MAX_VOLUME_MIB to raise it\n`);
    expect(r.peakMiB).toBeLessThan(PEAK_MIB);
  });

  it('simulate with a 1.5 GB vox_offset (extension flag set)', async () => {
    const { ct, seg } = await smallCase();
    const hostile = ct.slice(0, 352 + 64);
    new DataView(hostile.buffer).setFloat32(108, 1.5e9, true);
    hostile[348] = 1;
    const image = join(tmp, 'offset.nii.gz');
    const label = join(tmp, 'seg.nii.gz');
    writeFileSync(image, gzipSync(hostile));
    writeFileSync(label, seg);
    const args = ['simulate', '--image', image, '--label', label, '--label-map', 'totalsegmentator', '--organ', 'liver', '--out', join(tmp, 'sim')];
    const r = await runCliProcess(args, { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`freetumor simulate: ${image}: vox_offset 1500000000 puts the voxel data 1.4 GiB past the header; header extensions may take at most 64 MiB, so vox_offset is corrupt\n`);
    expect(r.peakMiB).toBeLessThan(PEAK_MIB);
  });
});
