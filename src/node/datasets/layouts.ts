/**
 * Finding the cases of public datasets in the folder layouts their users actually have.
 * Each layout returns candidate cases (without folds) and the problems it met while pairing
 * images with labels (an image without its label, a label without its image).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { ManifestCase, MaskSet } from '../../core/manifest.ts';
import { hasTumorLabels, labelMapByName, MASK_FILE_NAMES } from '../../core/labels.ts';

export type CaseCandidate = Omit<ManifestCase, 'fold'>;

export interface LayoutScan {
  cases: CaseCandidate[];
  problems: string[];
}

export const LAYOUTS = ['lits', 'msd', 'kits', 'totalsegmentator', 'abdomenatlas', 'pairs'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

const NIFTI = /\.nii(\.gz)?$/;
/** macOS resource forks ship inside the MSD tarballs and look like NIfTI files by name. */
const isHidden = (name: string) => name.startsWith('.') || name.startsWith('._');

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function listFiles(dir: string, recursive: boolean, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (isHidden(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await listFiles(p, true, out);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out.sort();
}

const stripNii = (name: string) => name.replace(NIFTI, '');

/** LiTS: volume-N.nii and segmentation-N.nii anywhere below the folder (the batches are split). */
async function scanLits(dir: string, root: string): Promise<LayoutScan> {
  const files = (await listFiles(dir, true)).filter((f) => NIFTI.test(f));
  const volumes = new Map<string, string>();
  const segs = new Map<string, string>();
  for (const f of files) {
    const m = /^(volume|segmentation)-(\d+)\.nii(\.gz)?$/.exec(basename(f));
    if (m) (m[1] === 'volume' ? volumes : segs).set(m[2], f);
  }
  return pairUp('lits', 'lits', volumes, segs, root, (n) => `lits/volume-${n}`);
}

function pairUp(
  source: string,
  labelMap: string,
  images: Map<string, string>,
  labels: Map<string, string>,
  root: string,
  idOf: (key: string) => string,
): LayoutScan {
  const problems: string[] = [];
  const cases: CaseCandidate[] = [];
  const labeled = hasTumorLabels(labelMapByName(labelMap));
  for (const [key, image] of images) {
    const label = labels.get(key);
    if (!label) {
      problems.push(`${image}: no label file for this image`);
      continue;
    }
    cases.push({ id: idOf(key), source, image: relative(root, image), label: relative(root, label), labelMap, labeled });
  }
  for (const [key, label] of labels) if (!images.has(key)) problems.push(`${label}: label without an image`);
  return { cases, problems };
}

/** MSD: TaskXX_Name/{imagesTr,labelsTr}/name_NNN.nii.gz; the folder may be a task or hold several. */
async function scanMsd(dir: string, root: string): Promise<LayoutScan> {
  const tasks = (await isDir(join(dir, 'imagesTr')))
    ? [dir]
    : (await readdir(dir)).filter((n) => /^Task\d+_/.test(n)).sort().map((n) => join(dir, n));
  const out: LayoutScan = { cases: [], problems: [] };
  if (tasks.length === 0) out.problems.push(`${dir}: no MSD task folder (TaskNN_Name with imagesTr/ and labelsTr/) found`);
  for (const task of tasks) {
    const name = basename(task);
    const organ = /liver/i.test(name) ? 'liver' : /pancreas/i.test(name) ? 'pancreas' : null;
    if (!organ) {
      out.problems.push(`${task}: MSD task not used by FreeTumor (only Task03_Liver and Task07_Pancreas have a label map)`);
      continue;
    }
    const disagreement = await msdLabelsAgree(task);
    if (disagreement) out.problems.push(disagreement);
    const images = new Map<string, string>();
    const labels = new Map<string, string>();
    for (const f of await listFiles(join(task, 'imagesTr'), false)) if (NIFTI.test(f)) images.set(stripNii(basename(f)), f);
    if (await isDir(join(task, 'labelsTr')))
      for (const f of await listFiles(join(task, 'labelsTr'), false)) if (NIFTI.test(f)) labels.set(stripNii(basename(f)), f);
    const r = pairUp(`msd-${organ}`, `msd-${organ}`, images, labels, root, (k) => `msd-${organ}/${k}`);
    out.cases.push(...r.cases);
    out.problems.push(...r.problems);
  }
  return out;
}

/** KiTS19/21/23: case_NNNNN/{imaging,segmentation}.nii.gz. */
async function scanKits(dir: string, root: string): Promise<LayoutScan> {
  const images = new Map<string, string>();
  const labels = new Map<string, string>();
  for (const name of (await readdir(dir)).filter((n) => /^case_\d+$/.test(n)).sort()) {
    for (const ext of ['.nii.gz', '.nii']) {
      const img = join(dir, name, `imaging${ext}`);
      const seg = join(dir, name, `segmentation${ext}`);
      if (await isFile(img)) images.set(name, img);
      if (await isFile(seg)) labels.set(name, seg);
    }
  }
  const r = pairUp('kits', 'kits', images, labels, root, (k) => `kits/${k}`);
  if (images.size === 0 && labels.size === 0) r.problems.push(`${dir}: no KiTS case folders (case_NNNNN/imaging.nii.gz) found`);
  return r;
}

/**
 * TotalSegmentator training data and AbdomenAtlas: one folder per case with ct.nii.gz and
 * segmentations/<structure>.nii.gz binary masks. Only the structures FreeTumor uses are listed.
 */
async function scanMaskFolders(dir: string, root: string, source: string): Promise<LayoutScan> {
  const out: LayoutScan = { cases: [], problems: [] };
  for (const name of (await readdir(dir)).filter((n) => !isHidden(n)).sort()) {
    const caseDir = join(dir, name);
    if (!(await isDir(caseDir))) continue;
    const image = (await isFile(join(caseDir, 'ct.nii.gz'))) ? join(caseDir, 'ct.nii.gz') : null;
    const segDir = join(caseDir, 'segmentations');
    const masks: MaskSet['masks'] = {};
    if (await isDir(segDir)) {
      for (const f of await listFiles(segDir, false)) {
        const structure = stripNii(basename(f));
        if (NIFTI.test(f) && MASK_FILE_NAMES[structure]) masks[structure] = relative(root, f);
      }
    }
    if (!image && Object.keys(masks).length === 0) continue;
    if (!image) out.problems.push(`${caseDir}: segmentations/ without ct.nii.gz`);
    else if (Object.keys(masks).length === 0)
      out.problems.push(`${caseDir}: no liver, pancreas or kidney mask in segmentations/`);
    else {
      const labeled = Object.keys(masks).some((m) => MASK_FILE_NAMES[m].endsWith('_tumor'));
      out.cases.push({ id: `${source}/${name}`, source, image: relative(root, image), label: { masks }, labeled });
    }
  }
  if (out.cases.length === 0 && out.problems.length === 0)
    out.problems.push(`${dir}: no case folders with ct.nii.gz and segmentations/ found`);
  return out;
}

/** nnU-Net names a CT's one input channel `<case>_0000`; its label is `<case>`. */
const NNUNET_CHANNEL = /_0000$/;

/**
 * Plain pairs: images/ (or imagesTr/) and labels/ (or labelsTr/). An image pairs with the label of
 * its own name, else — the nnU-Net convention — an image `<case>_0000` with the label `<case>`.
 * Equal names are matched first, so `a_0000` ↔ `a_0000` beside `a` ↔ `a` pairs each with its own.
 * An image may also be a DICOM series folder images/<name>/ (or images/<name>_0000/), paired the
 * same way with labels/<name>.nii.gz. The case id is the label's name.
 */
async function scanPairs(dir: string, root: string, labelMap: string, source: string): Promise<LayoutScan> {
  const imgDir = (await isDir(join(dir, 'images'))) ? join(dir, 'images') : join(dir, 'imagesTr');
  const lblDir = (await isDir(join(dir, 'labels'))) ? join(dir, 'labels') : join(dir, 'labelsTr');
  if (!(await isDir(imgDir)) || !(await isDir(lblDir)))
    return { cases: [], problems: [`${dir}: expected images/ and labels/ (or imagesTr/ and labelsTr/) folders`] };
  const problems: string[] = [];
  // One name, two files (a.nii beside a.nii.gz, or a series folder a/ beside a.nii.gz): which
  // one is the case cannot be guessed, so the name is a problem and neither is used.
  const ambiguous = new Set<string>();
  const byName = (files: string[]) => {
    const all = new Map<string, string[]>();
    for (const f of files) all.set(stripNii(basename(f)), [...(all.get(stripNii(basename(f))) ?? []), f]);
    const one = new Map<string, string>();
    for (const [name, fs] of all) {
      if (fs.length === 1) one.set(name, fs[0]);
      else {
        ambiguous.add(name);
        problems.push(`${fs.join(' and ')}: two files for the case name '${name}'; keep one`);
      }
    }
    return one;
  };
  const imageFiles = (await listFiles(imgDir, false)).filter((f) => NIFTI.test(f));
  for (const e of await readdir(imgDir, { withFileTypes: true })) if (e.isDirectory() && !isHidden(e.name)) imageFiles.push(join(imgDir, e.name));
  const images = byName(imageFiles);
  const labels = byName((await listFiles(lblDir, false)).filter((f) => NIFTI.test(f)));
  const keyed = new Map<string, string>();
  const rest: [string, string][] = [];
  for (const [name, image] of images) {
    if (labels.has(name)) keyed.set(name, image);
    else rest.push([name, image]);
  }
  for (const [name, image] of rest) {
    const key = name.replace(NNUNET_CHANNEL, '');
    if (key !== name && labels.has(key)) {
      if (keyed.has(key)) problems.push(`${image}: its nnU-Net label ${labels.get(key)} is already paired with ${keyed.get(key)} (equal names); keep one image`);
      else keyed.set(key, image);
    } else if (!ambiguous.has(name) && !ambiguous.has(key)) {
      const wanted = [name, ...(key !== name ? [key] : [])].map((n) => `${basename(lblDir)}/${n}.nii(.gz)`).join(' or ');
      problems.push(`${image}: no label file for this image (looked for ${wanted})`);
    }
  }
  const r = pairUp(source, labelMap, keyed, labels, root, (k) => `${source}/${k}`);
  return { cases: r.cases, problems: [...problems, ...r.problems] };
}

export interface DatasetSpec {
  layout: LayoutName;
  dir: string;
  /** For `pairs`: the label map of its label files (default project). */
  labelMap?: string;
  /** For `pairs`: the source name (default the folder's name). */
  source?: string;
}

export async function scanDataset(spec: DatasetSpec, root: string): Promise<LayoutScan> {
  if (!(await isDir(spec.dir))) return { cases: [], problems: [`${spec.dir}: not a folder`] };
  switch (spec.layout) {
    case 'lits':
      return scanLits(spec.dir, root);
    case 'msd':
      return scanMsd(spec.dir, root);
    case 'kits':
      return scanKits(spec.dir, root);
    case 'totalsegmentator':
    case 'abdomenatlas':
      return scanMaskFolders(spec.dir, root, spec.layout);
    case 'pairs': {
      const labelMap = spec.labelMap ?? 'project';
      labelMapByName(labelMap);
      return scanPairs(spec.dir, root, labelMap, spec.source ?? basename(spec.dir));
    }
  }
}

/** MSD's dataset.json, when present, must agree with the label map we apply. */
async function msdLabelsAgree(taskDir: string): Promise<string | null> {
  try {
    const j = JSON.parse(await readFile(join(taskDir, 'dataset.json'), 'utf8')) as { labels?: Record<string, string> };
    const labels = j.labels ?? {};
    if (labels['1'] && labels['2'] && /cancer|tumou?r/i.test(labels['2'])) return null;
    return `${taskDir}/dataset.json: labels ${JSON.stringify(labels)} are not {1: organ, 2: cancer}`;
  } catch {
    return null;
  }
}
