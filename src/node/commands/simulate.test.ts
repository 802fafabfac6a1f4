import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remapLabels, TOTALSEGMENTATOR } from '../../core/labels.ts';
import { readNifti, toLabelVolume } from '../../core/nifti/index.ts';
import { sameGeometry } from '../../core/volume.ts';
import { writeNiftiFile } from '../io.ts';
import { CT_J2K_DIR, CT_J2K_SEG, dicomFixturesPresent } from '../testing/dicomFixtures.ts';
import { runCli } from '../testing/runCli.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../testing/sharedDemo.ts';

const CT = DEMO_CT;
const SEG = DEMO_SEG;
const present = sharedDemoPresent('freetumor simulate on the TotalSegmentator example');
const tmp = mkdtempSync(join(tmpdir(), 'simulate-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

const read = async (file: string) => readNifti(readFileSync(file), file);

let src: Awaited<ReturnType<typeof read>>;
let srcSeg: Awaited<ReturnType<typeof read>>;
beforeAll(async () => {
  if (!present) return;
  src = await read(CT);
  srcSeg = await read(SEG);
});

describe.skipIf(!present)('freetumor simulate', () => {
  it('writes the synthetic image (source geometry and datatype, HU) and project labels, and prints JSON', async () => {
    const out = join(tmp, 'a');
    const r = await run('simulate', '--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--organ', 'liver',
      '--seed', '7', '--size-class', 'medium', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.files).toEqual({ image: join(out, 'example_ct_synthetic.nii.gz'), label: join(out, 'example_ct_synthetic_label.nii.gz') });
    expect(j.tumours).toHaveLength(1);
    const t = j.tumours[0];
    expect(t.organ).toBe('liver');
    expect(t.sizeClass).toBe('medium');
    expect(t.voxelCount).toBeGreaterThan(0);
    expect(t.volumeMm3).toBe(t.voxelCount * 27);

    const img = await read(j.files.image);
    const lab = toLabelVolume(await read(j.files.label), j.files.label);
    expect(img.volume.dims).toEqual(src.volume.dims);
    expect(img.volume.affine).toEqual(src.volume.affine);
    expect(img.datatype).toBe(src.datatype);
    expect(lab.affine).toEqual(src.volume.affine);

    const seg = srcSeg.volume.data;
    let changed = 0;
    let changedOutsideLiver = 0;
    let brighter = 0;
    let tumour = 0;
    let labelBad = 0;
    for (let n = 0; n < seg.length; n++) {
      const a = src.volume.data[n];
      const b = img.volume.data[n];
      if (a !== b) {
        changed++;
        if (seg[n] !== 5) changedOutsideLiver++;
        if (b > a) brighter++;
      }
      const l = lab.data[n];
      if (l === 2) tumour++;
      const base = { 5: 1, 7: 3, 2: 5, 3: 5 }[seg[n]] ?? 0;
      if (!(l === base || (l === 2 && base === 1))) labelBad++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(changedOutsideLiver).toBe(0);
    expect(brighter).toBe(0);
    expect(tumour).toBe(t.voxelCount);
    expect(labelBad).toBe(0);
  });

  it('is reproducible: same seed, same file bytes; another seed, other voxels', async () => {
    // Same arguments as the first test, into another folder.
    const args = ['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--organ', 'liver', '--size-class', 'medium'];
    const same = await run('simulate', ...args, '--seed', '7', '--out', join(tmp, 'b'));
    const other = await run('simulate', ...args, '--seed', '8', '--out', join(tmp, 'c8'));
    expect([same.code, other.code]).toEqual([0, 0]);
    const file = (dir: string, suffix: string) => readFileSync(join(tmp, dir, `example_ct_synthetic${suffix}.nii.gz`));
    expect(file('b', '').equals(file('a', ''))).toBe(true);
    expect(file('b', '_label').equals(file('a', '_label'))).toBe(true);
    expect(file('c8', '').equals(file('a', ''))).toBe(false);
    expect(file('c8', '_label').equals(file('a', '_label'))).toBe(false);
  });

  it('honours --centre, --count and --avoid-vessels', async () => {
    const out = join(tmp, 'c');
    // The first liver voxel past the middle of the volume.
    const dims = srcSeg.volume.dims;
    let centre = [0, 0, 0];
    for (let n = Math.floor(srcSeg.volume.data.length / 2); n < srcSeg.volume.data.length; n++) {
      if (srcSeg.volume.data[n] === 5) {
        centre = [n % dims[0], Math.floor(n / dims[0]) % dims[1], Math.floor(n / (dims[0] * dims[1]))];
        break;
      }
    }
    const r = await run('simulate', '--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--seed', '1', '--count', '2',
      '--centre', centre.join(','), '--avoid-vessels', '--vessel-hu', '60', '--size-class', 'small', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tumours).toHaveLength(2);
    expect(j.tumours[0].centreVoxel).toEqual(centre);
    expect(j.tumours[0].userCentre).toBe(true);
    const c = j.tumours[1].centreVoxel;
    expect(src.volume.data[c[0] + dims[0] * (c[1] + dims[1] * c[2])]).toBeLessThanOrEqual(60);
  });

  it('bad input: clear message and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp], /--image is required/],
      [['--image', CT, '--label', SEG, '--out', tmp], /--label-map is required/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--organ', 'spleen'], /unknown --organ 'spleen'/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--size-class', 'huge'], /unknown --size-class/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--centre', '1,2'], /--centre must be three/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--centre', '0,0,0'], /not inside the liver/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--centre', '999,0,0'], /outside the volume/],
      // KiTS ids on a TotalSegmentator file: no liver at all; the line names the file and the map.
      [['--image', CT, '--label', SEG, '--label-map', 'kits', '--out', tmp], new RegExp(`^freetumor simulate: ${SEG.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the label has no liver voxel .*\\(read with --label-map kits\\)\n$`)],
      [['--image', join(tmp, 'missing.nii.gz'), '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp], /no such file/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--seed', '1.5'], /--seed must be an integer/],
      [['--image', CT, '--label', SEG, '--label-map', 'totalsegmentator', '--out', tmp, '--bogus'], /unknown option --bogus/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run('simulate', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect(readdirSync(tmp).some((f) => f.endsWith('.nii.gz'))).toBe(false);
  });

  it('never synthesises on an existing tumour, and reports the new tumour voxels', async () => {
    // The demo liver's upper half (by slice) relabelled as liver tumour, in the project scheme.
    const seg = srcSeg.volume;
    const d = seg.dims;
    const project = remapLabels(toLabelVolume(srcSeg, SEG).data, TOTALSEGMENTATOR);
    let kLo = Infinity;
    let kHi = -1;
    project.forEach((v, n) => {
      if (v !== 1) return;
      const k = Math.floor(n / (d[0] * d[1]));
      kLo = Math.min(kLo, k);
      kHi = Math.max(kHi, k);
    });
    const kMid = Math.floor((kLo + kHi) / 2);
    project.forEach((v, n) => {
      if (v === 1 && Math.floor(n / (d[0] * d[1])) >= kMid) project[n] = 2;
    });
    const lesionSeg = join(tmp, 'lesion_seg.nii.gz');
    await writeNiftiFile(lesionSeg, { dims: d, affine: seg.affine, data: project }, { header: srcSeg.header, datatype: 'uint8' });
    for (const seed of [1, 2, 3]) {
      const out = join(tmp, `lesion-${seed}`);
      const r = await run('simulate', '--image', CT, '--label', lesionSeg, '--label-map', 'project', '--seed', String(seed), '--size-class', 'medium', '--out', out);
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout);
      const img = await read(j.files.image);
      const lab = toLabelVolume(await read(j.files.label), j.files.label);
      let changedLesion = 0;
      let added = 0;
      for (let n = 0; n < project.length; n++) {
        if (project[n] === 2 && (img.volume.data[n] !== src.volume.data[n] || lab.data[n] !== 2)) changedLesion++;
        if (project[n] !== 2 && lab.data[n] === 2) added++;
      }
      expect(changedLesion).toBe(0);
      expect(added).toBeGreaterThan(0);
      expect(j.tumourMarginMm).toBe(3);
      expect(j.newTumourVoxels).toBe(added);
      expect(j.tumours[0].voxelCount).toBe(added);
      expect(j.texture.beta).toBeGreaterThanOrEqual(0.5);
    }
    const click = await run('simulate', '--image', CT, '--label', lesionSeg, '--label-map', 'project', '--out', join(tmp, 'lesion-x'),
      '--centre', (() => {
        for (let n = 0; n < project.length; n++) if (project[n] === 2 && project[n + 2] === 2 && project[n - 2] === 2 && project[n + 2 * d[0]] === 2 && project[n - 2 * d[0]] === 2) return `${n % d[0]},${Math.floor(n / d[0]) % d[1]},${Math.floor(n / (d[0] * d[1]))}`;
        return '0,0,0';
      })());
    expect(click.code).toBe(2);
    expect(click.stderr).toMatch(/on an existing tumour or within 3 mm of one/);
    const bad = await run('simulate', '--image', CT, '--label', lesionSeg, '--label-map', 'project', '--out', tmp, '--tumour-margin', '-1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tumour-margin must be ≥ 0/);
  }, 60_000);

  it('prints help', async () => {
    const r = await run('simulate', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--avoid-vessels/);
  });
});

describe.skipIf(!dicomFixturesPresent('freetumor simulate on a DICOM folder'))('freetumor simulate --image DIR', () => {
  it('synthesises on a DICOM series folder with a NIfTI label on its converted grid', async () => {
    const out = join(tmp, 'dicom');
    const r = await run('simulate', '--image', `${CT_J2K_DIR}/`, '--label', CT_J2K_SEG, '--label-map', 'totalsegmentator', '--organ', 'liver', '--count', '1', '--seed', '3', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dicom.summary).toBe('CT Body 3.0 · 20 slices · 512×512 · 0.977×0.977×2 mm');
    expect(j.tumours).toHaveLength(1);
    expect(j.newTumourVoxels).toBeGreaterThan(0);
    // Named after the folder; both outputs on the segmentation's grid, the image in HU.
    expect(j.files.image).toBe(join(out, 'example_ct_dicom_synthetic.nii.gz'));
    const img = await read(j.files.image);
    const lbl = await read(j.files.label);
    const seg = await read(CT_J2K_SEG);
    expect(img.volume.dims).toEqual([512, 512, 20]);
    expect(sameGeometry(img.volume, seg.volume, 1e-6)).toBe(true);
    expect(sameGeometry(lbl.volume, seg.volume, 1e-6)).toBe(true);
    let tumour = 0;
    for (const v of lbl.volume.data) if (v === 2) tumour++;
    expect(tumour).toBe(j.newTumourVoxels);
    expect(img.volume.data.subarray(0, 512 * 512).reduce((m, v) => Math.min(m, v), Infinity)).toBe(-1024);
  });
});
