import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest.ts';
import { sameGeometry, type Volume } from '../../core/volume.ts';
import { loadCase } from '../data/loadCase.ts';
import { CT_J2K_DIR, CT_J2K_SEG, dicomFixturesPresent } from '../testing/dicomFixtures.ts';
import { runCli } from '../testing/runCli.ts';
import { writePhantomFiles } from '../testing/phantomFiles.ts';
import { readNiftiFile, writeNiftiFile } from '../io.ts';

// The project's phantom stands in for every dataset: what is tested is finding and pairing files.
let CT_SM: string;
let SEG_SM: string;
let CT_FULL: string;

const run = (argv: string[]) => runCli(...argv);

let dir: string;
let seg: Volume<Float32Array>;

async function put(path: string, from: string) {
  await mkdir(dirname(path), { recursive: true });
  await copyFile(from, path);
}
/** A label volume derived from the phantom's TotalSegmentator labels through `f(id)`. */
async function label(path: string, f: (id: number) => number) {
  await mkdir(dirname(path), { recursive: true });
  const data = new Uint8Array(seg.data.length);
  for (let n = 0; n < data.length; n++) data[n] = f(seg.data[n]);
  await writeNiftiFile(path, { dims: seg.dims, affine: seg.affine, data });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ftw-manifest-'));
  // A slab with liver, pancreas and both kidneys, and a taller scan of another geometry.
  const slab = await writePhantomFiles(join(dir, 'src/slab'), { dims: [60, 48, 16], spacing: [6, 6, 6] });
  CT_SM = slab.ct;
  SEG_SM = slab.seg;
  CT_FULL = (await writePhantomFiles(join(dir, 'src/full'), { dims: [60, 48, 24], spacing: [6, 6, 6] })).ct;
  seg = (await readNiftiFile(SEG_SM)).volume;
  // LiTS: batches in sub-folders; volume-1 lacks its segmentation.
  await put(join(dir, 'lits/Training Batch 1/volume-0.nii.gz'), CT_SM);
  await label(join(dir, 'lits/Training Batch 1/segmentation-0.nii.gz'), (id) => (id === 5 ? 1 : 0));
  await put(join(dir, 'lits/Training Batch 2/volume-1.nii.gz'), CT_SM);
  // MSD pancreas, with the macOS resource-fork junk its tarball carries.
  const task = join(dir, 'msd/Task07_Pancreas');
  await put(join(task, 'imagesTr/pancreas_001.nii.gz'), CT_SM);
  await label(join(task, 'labelsTr/pancreas_001.nii.gz'), (id) => (id === 7 ? 1 : 0));
  await writeFile(join(task, 'imagesTr/._pancreas_001.nii.gz'), 'junk');
  await writeFile(join(task, 'dataset.json'), JSON.stringify({ labels: { 0: 'background', 1: 'pancreas', 2: 'cancer' } }));
  // KiTS with an id the KiTS label map does not know.
  await put(join(dir, 'kits/case_00000/imaging.nii.gz'), CT_SM);
  await label(join(dir, 'kits/case_00000/segmentation.nii.gz'), (id) => (id === 2 ? 1 : id === 5 ? 9 : 0));
  // AbdomenAtlas: one binary mask per structure.
  await put(join(dir, 'atlas/BDMAP_00000001/ct.nii.gz'), CT_SM);
  await label(join(dir, 'atlas/BDMAP_00000001/segmentations/liver.nii.gz'), (id) => (id === 5 ? 1 : 0));
  await label(join(dir, 'atlas/BDMAP_00000001/segmentations/kidney_left.nii.gz'), (id) => (id === 3 ? 1 : 0));
  // Plain pairs with TotalSegmentator ids; "big" pairs a taller CT with the slab's labels.
  await put(join(dir, 'pairs/images/demo.nii.gz'), CT_SM);
  await put(join(dir, 'pairs/labels/demo.nii.gz'), SEG_SM);
  await put(join(dir, 'pairs/images/big.nii.gz'), CT_FULL);
  await put(join(dir, 'pairs/labels/big.nii.gz'), SEG_SM);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('freetumor manifest', () => {
  const datasets = () => [
    '--lits', join(dir, 'lits'),
    '--msd', join(dir, 'msd'),
    '--kits', join(dir, 'kits'),
    '--abdomenatlas', join(dir, 'atlas'),
    '--pairs', `${join(dir, 'pairs')}:totalsegmentator:demo-pairs`,
  ];

  it('lists every problem in the data in one report and exits 2', async () => {
    const out = join(dir, 'out/manifest.json');
    const r = await run(['manifest', '--out', out, ...datasets()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/volume-1\.nii\.gz: no label file for this image/);
    expect(r.stderr).toMatch(/segmentation\.nii\.gz: label ids 9 are not in label map 'kits'/);
    expect(r.stderr).toMatch(/big\.nii\.gz: geometry differs from .*big\.nii\.gz/);
    expect(r.stderr).not.toMatch(/\._pancreas/);
    const report = JSON.parse(await readFile(`${out}.report.json`, 'utf8'));
    expect(report.problems).toHaveLength(3);
    await expect(readFile(out)).rejects.toThrow();
  });

  it('with --allow-problems writes the usable cases with seeded folds, and the result checks clean', async () => {
    const out = join(dir, 'out2/manifest.json');
    const r = await run(['manifest', '--out', out, ...datasets(), '--folds', '2', '--seed', '3', '--allow-problems']);
    expect(r.code).toBe(0);
    const m = parseManifest(await readFile(out, 'utf8'), out);
    const ids = m.cases.map((c) => c.id).sort();
    expect(ids).toEqual(['abdomenatlas/BDMAP_00000001', 'demo-pairs/demo', 'lits/volume-0', 'msd-pancreas/pancreas_001']);
    const byId = Object.fromEntries(m.cases.map((c) => [c.id, c]));
    expect(byId['lits/volume-0'].labeled).toBe(true);
    expect(byId['demo-pairs/demo'].labeled).toBe(false);
    expect(byId['abdomenatlas/BDMAP_00000001'].label).toEqual({
      masks: { kidney_left: expect.stringMatching(/kidney_left/), liver: expect.stringMatching(/liver/) },
    });
    expect(new Set(m.cases.map((c) => c.fold))).toEqual(new Set([0, 1]));

    const again = join(dir, 'out3/manifest.json');
    await run(['manifest', '--out', again, ...datasets(), '--folds', '2', '--seed', '3', '--allow-problems']);
    const m2 = parseManifest(await readFile(again, 'utf8'), again);
    expect(m2.cases.map((c) => [c.id, c.fold])).toEqual(m.cases.map((c) => [c.id, c.fold]));

    const check = await run(['manifest', '--check-manifest', out]);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).problems).toEqual([]);
  });

  it('a manifest whose file went bad fails the check, naming the file', async () => {
    const out = join(dir, 'out4/manifest.json');
    await run(['manifest', '--out', out, '--pairs', `${join(dir, 'pairs')}:totalsegmentator`, '--allow-problems']);
    await writeFile(join(dir, 'pairs/images/demo.nii.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    const r = await run(['manifest', '--check-manifest', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pairs\/images\/demo\.nii\.gz: .*gzip/i);
  });

  it('refuses a call without datasets or with an unknown option', async () => {
    expect((await run(['manifest', '--out', join(dir, 'x.json')])).code).toBe(2);
    const r = await run(['manifest', '--out', join(dir, 'x.json'), '--litz', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --litz/);
  });
});

describe('freetumor manifest --pairs names', () => {
  it('pairs equal names (with or without _0000) and nnU-Net CASE_0000 ↔ CASE; ambiguous names are problems', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ftw-manifest-names-'));
    try {
      const dims: [number, number, number] = [4, 4, 4];
      const affine = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1] as Volume['affine'];
      const ct = { dims, affine, data: new Int16Array(64).fill(40) };
      const lbl = { dims, affine, data: new Uint8Array(64).fill(1) };
      const img = (name: string) => writeNiftiFile(join(root, 'p/images', name), ct, { datatype: 'int16' });
      const lab = (name: string) => writeNiftiFile(join(root, 'p/labels', name), lbl, { datatype: 'uint8' });
      await mkdir(join(root, 'p/images'), { recursive: true });
      await mkdir(join(root, 'p/labels'), { recursive: true });
      await img('nn_0000.nii.gz'), await lab('nn.nii.gz'); // nnU-Net
      await img('eq_0000.nii.gz'), await lab('eq_0000.nii.gz'); // equal names ending in _0000
      await img('plain.nii'), await lab('plain.nii.gz');
      // Both conventions side by side: each image takes the label of its own name.
      await img('both.nii.gz'), await img('both_0000.nii.gz'), await lab('both.nii.gz'), await lab('both_0000.nii.gz');
      // Two images for one label: the equal name wins, the other is a problem.
      await img('dup.nii.gz'), await img('dup_0000.nii.gz'), await lab('dup.nii.gz');
      await img('lone_0000.nii.gz');
      await img('tw.nii'), await img('tw.nii.gz'), await lab('tw.nii.gz');
      const out = join(root, 'manifest.json');
      const strict = await run(['manifest', '--out', out, '--pairs', `${join(root, 'p')}:project:s`, '--folds', '1']);
      expect(strict.code).toBe(2);
      const r = await run(['manifest', '--out', out, '--pairs', `${join(root, 'p')}:project:s`, '--folds', '1', '--allow-problems']);
      expect(r.code).toBe(0);
      const m = parseManifest(await readFile(out, 'utf8'), out);
      expect(m.cases.map((c) => [c.id, c.image, c.label]).sort()).toEqual([
        ['s/both', 'p/images/both.nii.gz', 'p/labels/both.nii.gz'],
        ['s/both_0000', 'p/images/both_0000.nii.gz', 'p/labels/both_0000.nii.gz'],
        ['s/dup', 'p/images/dup.nii.gz', 'p/labels/dup.nii.gz'],
        ['s/eq_0000', 'p/images/eq_0000.nii.gz', 'p/labels/eq_0000.nii.gz'],
        ['s/nn', 'p/images/nn_0000.nii.gz', 'p/labels/nn.nii.gz'],
        ['s/plain', 'p/images/plain.nii', 'p/labels/plain.nii.gz'],
      ]);
      const problems: string[] = JSON.parse(r.stdout).problems;
      expect(problems).toHaveLength(4);
      const p = join(root, 'p');
      expect(problems).toContain(`${p}/images/dup_0000.nii.gz: its nnU-Net label ${p}/labels/dup.nii.gz is already paired with ${p}/images/dup.nii.gz (equal names); keep one image`);
      expect(problems).toContain(`${p}/images/lone_0000.nii.gz: no label file for this image (looked for labels/lone_0000.nii(.gz) or labels/lone.nii(.gz))`);
      expect(problems).toContain(`${p}/images/tw.nii and ${p}/images/tw.nii.gz: two files for the case name 'tw'; keep one`);
      expect(problems).toContain(`${p}/labels/tw.nii.gz: label without an image`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!dicomFixturesPresent('freetumor manifest with DICOM folders'))('freetumor manifest --pairs with DICOM series folders', () => {
  it('pairs images/NAME/ (a series) with labels/NAME.nii.gz; a broken series is a problem naming its files; the case loads in HU', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ftw-manifest-dicom-'));
    try {
      const names = (await readdir(CT_J2K_DIR)).sort();
      for (const [caseName, keep] of [['ct', names], ['gap', names.filter((_, n) => n !== 4)]] as const) {
        for (const n of keep) await put(join(root, 'pairs/images', caseName, n), join(CT_J2K_DIR, n));
        await put(join(root, 'pairs/labels', `${caseName}.nii.gz`), CT_J2K_SEG);
      }
      // A series folder in nnU-Net naming pairs as a file would.
      for (const n of names) await put(join(root, 'pairs/images/nn_0000', n), join(CT_J2K_DIR, n));
      await put(join(root, 'pairs/labels/nn.nii.gz'), CT_J2K_SEG);
      const out = join(root, 'manifest.json');
      const r = await run(['manifest', '--out', out, '--pairs', `${join(root, 'pairs')}:totalsegmentator:dicom`, '--allow-problems']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/1 problem\(s\) in the data/);
      expect(r.stderr).toMatch(new RegExp(`pairs/images/gap: CT Body 3\\.0 · 19 slices .*cannot convert: missing slice\\(s\\): 4 mm between ${names[5]} and ${names[3]}`));
      const m = parseManifest(await readFile(out, 'utf8'), out);
      expect(m.cases.map((c) => [c.id, c.image]).sort()).toEqual([['dicom/ct', 'pairs/images/ct'], ['dicom/nn', 'pairs/images/nn_0000']]);
      // What train-segmentation and synthesize read for the case: HU on the label's grid, project ids.
      const c = await loadCase(m.cases.find((x) => x.id === 'dicom/ct')!, root);
      expect(c.image.dims).toEqual([512, 512, 20]);
      expect(sameGeometry(c.label, c.image, 1e-6)).toBe(true);
      let liver = 0;
      for (const v of c.label.data) if (v === 1) liver++;
      expect(liver).toBe(366708);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
