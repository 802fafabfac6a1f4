import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CT3_DIR, CT_J2K_DIR, CT_J2K_SEG, dicomFixturesPresent } from '../testing/dicomFixtures.ts';
import { runCli } from '../testing/runCli.ts';
import { writePhantomFiles } from '../testing/phantomFiles.ts';
import { DEMO_CT, DEMO_CT_SLAB, DEMO_SEG, sharedDemoPresent } from '../testing/sharedDemo.ts';
import { readNiftiFile } from '../io.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CT = DEMO_CT;
const SEG = DEMO_SEG;
const CT_SM = DEMO_CT_SLAB;
const present = sharedDemoPresent('freetumor inspect on the TotalSegmentator example');
const tmp = mkdtempSync(join(tmpdir(), 'inspect-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

describe('freetumor inspect on the phantom (always)', () => {
  it('counts every label of the phantom under the TotalSegmentator map', async () => {
    const files = await writePhantomFiles(join(tmp, 'phantom'), { dims: [60, 48, 48], spacing: [6, 6, 6] });
    const r = await run('inspect', files.ct, '--label', files.seg, '--label-map', 'totalsegmentator');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dims).toEqual([60, 48, 48]);
    expect(j.spacing).toEqual([6, 6, 6]);
    expect(j.datatype).toBe('int16');
    const seg = (await readNiftiFile(files.seg)).volume.data;
    const byId = Object.fromEntries(j.label.labels.map((l: { id: number }) => [l.id, l]));
    expect(byId[5]).toEqual({ id: 5, voxels: seg.filter((v) => v === 5).length, name: 'liver', project: 'liver', projectId: 1 });
    expect(byId[5].voxels).toBeGreaterThan(0);
    expect(byId[7]).toMatchObject({ name: 'pancreas', project: 'pancreas' });
  });
});

describe.skipIf(!present)('freetumor inspect', () => {
  it('describes the shared CT and its TotalSegmentator labels', async () => {
    const r = await run('inspect', CT, '--label', SEG, '--label-map', 'totalsegmentator');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.file).toBe(CT);
    expect(j.dims).toEqual([122, 101, 112]);
    expect(j.spacing).toEqual([3, 3, 3]);
    expect(j.orientation).toBe('RAS');
    expect(j.datatype).toBe('int32');
    expect(j.intensity).toEqual({ min: -1207, max: 3382 });
    expect(j.affine).toEqual([
      [3, 0, 0, -177.95632934570312],
      [0, 3, 0, 11.319000244140625],
      [0, 0, 3, 94.3017578125],
      [0, 0, 0, 1],
    ]);
    const byId = Object.fromEntries(j.label.labels.map((l: { id: number }) => [l.id, l]));
    expect(byId[5]).toEqual({ id: 5, voxels: 41692, name: 'liver', project: 'liver', projectId: 1 });
    expect(byId[2]).toEqual({ id: 2, voxels: 7134, name: 'kidney_right', project: 'kidney', projectId: 5 });
    expect(byId[3]).toEqual({ id: 3, voxels: 5090, name: 'kidney_left', project: 'kidney', projectId: 5 });
    expect(byId[7]).toEqual({ id: 7, voxels: 695, name: 'pancreas', project: 'pancreas', projectId: 3 });
    expect(byId[1]).toMatchObject({ name: 'spleen', project: null });
    const total = j.label.labels.reduce((s: number, l: { voxels: number }) => s + l.voxels, 0);
    expect(total).toBe(122 * 101 * 112);
  });

  it('counts label ids without names when no map is given', async () => {
    const r = await run('inspect', CT, '--label', SEG);
    expect(r.code).toBe(0);
    const liver = JSON.parse(r.stdout).label.labels.find((l: { id: number }) => l.id === 5);
    expect(liver).toEqual({ id: 5, voxels: 41692 });
  });

  it('bad input: one line on stderr naming the file, exit 2', async () => {
    const bad = join(tmp, 'truncated.nii');
    writeFileSync(bad, gunzipSync(readFileSync(CT_SM)).subarray(0, 5000));
    for (const [argv, pattern] of [
      [[bad], /^freetumor inspect: .*truncated\.nii: truncated data: .*\n$/],
      [[join(tmp, 'missing.nii.gz')], /missing\.nii\.gz: cannot read: no such file or directory\n$/],
      [[CT_SM, '--label', SEG], /example_seg_fast_force_split\.nii\.gz: dims 122×101×112 do not match .*example_ct_sm\.nii\.gz \(122×101×30\)\n$/],
      [[SEG, '--label', CT], /example_ct\.nii\.gz: not a label map/],
    ] as const) {
      const r = await run('inspect', ...argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('usage errors exit 2', async () => {
    expect((await run('inspect')).code).toBe(2);
    expect((await run('inspect', CT, '--label', SEG, '--label-map', 'nope')).stderr).toMatch(/unknown --label-map 'nope'/);
    expect((await run('inspect', CT, '--bogus')).code).toBe(2);
    expect((await run('inspect', '--help')).code).toBe(0);
  });

  it('works as `node bin/freetumor.mjs inspect` with exit code 2 on a bad file', () => {
    const ok = spawnSync(process.execPath, ['bin/freetumor.mjs', 'inspect', CT_SM], { cwd: ROOT, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).dims).toEqual([122, 101, 30]);
    const empty = join(tmp, 'empty.nii.gz');
    writeFileSync(empty, '');
    const bad = spawnSync(process.execPath, ['bin/freetumor.mjs', 'inspect', empty], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`freetumor inspect: ${empty}: file is empty\n`);
  });
});

describe.skipIf(!dicomFixturesPresent('freetumor inspect on DICOM folders'))('freetumor inspect DIR (DICOM series folder)', () => {
  it('the JPEG-2000 series: 512×512×20 at 0.977×0.977×2 mm, and its segmentation NIfTI accepted as the same grid', async () => {
    const r = await run('inspect', CT_J2K_DIR, '--label', CT_J2K_SEG, '--label-map', 'totalsegmentator');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dims).toEqual([512, 512, 20]);
    expect(j.spacing).toEqual([0.976563, 0.976563, 2]);
    expect(j.dicom.summary).toBe('CT Body 3.0 · 20 slices · 512×512 · 0.977×0.977×2 mm');
    expect(j.dicom.transferSyntax).toBe('JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.90)');
    expect(j.intensity).toEqual({ min: -1024, max: 1839 });
    expect(j.affine).toEqual([
      [-0.9765625, 0, 0, 249.51171875],
      [0, 0.9765625, 0, -61.51171875],
      [0, 0, 2, -804.5],
      [0, 0, 0, 1],
    ]);
    const byId = Object.fromEntries(j.label.labels.map((l: { id: number }) => [l.id, l]));
    expect(byId[5]).toEqual({ id: 5, voxels: 366708, name: 'liver', project: 'liver', projectId: 1 });
  });

  it('a folder that is not one series: the problem on one line, or the list with --series', async () => {
    const seg = await run('inspect', CT3_DIR, '--series', '9');
    expect(seg.code).toBe(2);
    expect(seg.stderr).toMatch(/dcmqi-ct-3slice: no series with UID or number '9'; the folder holds:\n {2}\(no description\) · #2 · 3 slices/);
    const file = await run('inspect', CT_J2K_SEG, '--series', '2');
    expect(file.stderr).toMatch(/--series applies to a DICOM series folder, and this is a file\n$/);
  });
});
