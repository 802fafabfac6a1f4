/**
 * `freetumor convert` on the real fixtures and on broken copies of them in a temp folder: a
 * deleted middle slice, one slice moved, a text file, two series side by side, a transfer syntax
 * the converter cannot decode. Bad input: exit 2 and a message naming the problem and the file(s).
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameGeometry } from '../../core/volume.ts';
import { readNiftiFile } from '../io.ts';
import { CT3_DIR, CT3_SLICES, CT_J2K_DIR, CT_J2K_SEG, dicomFixturesPresent, editDicom, encapsulate, encodeRle } from '../testing/dicomFixtures.ts';
import { runCli } from '../testing/runCli.ts';

const present = dicomFixturesPresent('freetumor convert tests');
let tmp: string;
let j2kNames: string[];

async function copyFolder(from: string, to: string, names: string[]): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const n of names) await copyFile(join(from, n), join(to, n));
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ftw-convert-'));
  if (present) j2kNames = (await readdir(CT_J2K_DIR)).sort();
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe.skipIf(!present)('freetumor convert', () => {
  it('converts the JPEG-2000 series to a NIfTI on the segmentation grid', async () => {
    const out = join(tmp, 'ct.nii.gz');
    const r = await runCli('convert', CT_J2K_DIR, out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ output: out, dims: [512, 512, 20], spacing: [0.976563, 0.976563, 2], orientation: 'LAS', datatype: 'int16', intensity: { min: -1024, max: 1839 } });
    expect(j.dicom.summary).toBe('CT Body 3.0 · 20 slices · 512×512 · 0.977×0.977×2 mm');
    const img = await readNiftiFile(out);
    const seg = await readNiftiFile(CT_J2K_SEG);
    expect(sameGeometry(img.volume, seg.volume, 1e-3)).toBe(true);
    // No DICOM text in the file: the series description and the institution stay out.
    expect(gunzipSync(await readFile(out)).toString('latin1')).not.toMatch(/CT Body|Basel|Time=/);
    expect(img.header.descrip).toBe('FreeTumor Workbench');
  });

  it('a missing slice: refused, naming the gap and its neighbours', async () => {
    const dir = join(tmp, 'gap');
    const names = j2kNames.filter((_, n) => n !== 9);
    await copyFolder(CT_J2K_DIR, dir, names);
    const r = await runCli('convert', dir, join(tmp, 'gap.nii.gz'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`freetumor convert: ${dir}: CT Body 3.0 · 19 slices · 512×512 · 0.977×0.977×2 mm: cannot convert: missing slice(s): 4 mm between`);
    expect(r.stderr).toContain(j2kNames[8]);
    expect(r.stderr).toContain(j2kNames[10]);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('inconsistent spacing: one slice moved, refused naming it', async () => {
    const dir = join(tmp, 'uneven');
    await copyFolder(CT_J2K_DIR, dir, j2kNames);
    const victim = j2kNames[5];
    const bytes = new Uint8Array(await readFile(join(dir, victim)));
    // Positions run −766.5, −768.5, … along the files; this one moves 0.7 mm.
    await writeFile(join(dir, victim), editDicom(bytes, { '00200032': [-249.51171875, -437.51171875, -776.5 + 0.7] }));
    const r = await runCli('convert', dir, join(tmp, 'uneven.nii.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot convert: inconsistent slice spacing: (1\.3|2\.7) mm between .*, where the other slices are 2 mm apart\n$/);
    expect(r.stderr).toContain(victim);
  });

  it('a text file in the folder: skipped with a note naming it, the series converts', async () => {
    const dir = join(tmp, 'withtext');
    await copyFolder(CT3_DIR, dir, CT3_SLICES);
    await writeFile(join(dir, 'notes.txt'), 'exported 2024\n');
    const r = await runCli('convert', dir, join(tmp, 'withtext.nii'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`freetumor convert: ${join(dir, 'notes.txt')}: skipped: not a DICOM file (no DICOM Part 10 "DICM" marker at byte 128)\n`);
    expect(JSON.parse(r.stdout).dims).toEqual([512, 512, 3]);
    expect((await readNiftiFile(join(tmp, 'withtext.nii'))).volume.dims).toEqual([512, 512, 3]);
  });

  it('two series in one folder: the list and --series; --list prints them as JSON', async () => {
    const dir = join(tmp, 'two');
    await copyFolder(CT_J2K_DIR, dir, j2kNames);
    await copyFolder(CT3_DIR, dir, CT3_SLICES);
    const r = await runCli('convert', dir, join(tmp, 'two.nii.gz'));
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`freetumor convert: ${dir}: holds 2 DICOM series; choose one with --series UID|NUMBER:`);
    expect(lines[1]).toMatch(/^ {2}\(no description\) · #2 · 3 slices · 512×512 · 0\.811×0\.811×1 mm · Implicit VR Little Endian · UID 1\.2\.392\./);
    expect(lines[2]).toBe('  CT Body 3.0 · 20 slices · 512×512 · 0.977×0.977×2 mm · JPEG 2000 Image Compression (Lossless Only) · UID (none)');
    const chosen = await runCli('convert', dir, join(tmp, 'two.nii.gz'), '--series', '2');
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.stdout).dicom).toMatchObject({ seriesNumber: 2, slices: 3 });
    const list = await runCli('convert', dir, '--list');
    expect(list.code).toBe(0);
    const j = JSON.parse(list.stdout);
    expect(j.series.map((s: { slices: number; convertible: boolean }) => [s.slices, s.convertible])).toEqual([
      [3, true],
      [20, true],
    ]);
  });

  it('a transfer syntax the converter cannot decode is refused by name', async () => {
    const dir = join(tmp, 'jpegxl');
    await mkdir(dir, { recursive: true });
    for (const n of CT3_SLICES) await writeFile(join(dir, n), encapsulate(new Uint8Array(await readFile(join(CT3_DIR, n))), '1.2.840.10008.1.2.4.110', encodeRle));
    const r = await runCli('convert', dir, join(tmp, 'jpegxl.nii.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot convert: unsupported transfer syntax JPEG XL Lossless \(1\.2\.840\.10008\.1\.2\.4\.110\) in ct-3slice_01\.dcm, ct-3slice_02\.dcm, ct-3slice_03\.dcm: decompress the series/);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli('convert')).stderr).toMatch(/missing DIR/);
    expect((await runCli('convert', CT3_DIR)).stderr).toMatch(/missing OUT/);
    expect((await runCli('convert', CT3_DIR, join(tmp, 'x.nrrd'))).stderr).toMatch(/OUT must end in \.nii or \.nii\.gz, got/);
    const notDir = await runCli('convert', CT_J2K_SEG, join(tmp, 'x.nii'));
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toMatch(/example_seg_dicom\.nii\.gz: not a folder/);
    expect((await runCli('convert', '--help')).code).toBe(0);
  });
});
