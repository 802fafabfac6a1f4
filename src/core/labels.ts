/**
 * Label schemes. The project's unified (generalist) scheme is METHOD.md's; source datasets keep
 * their own integer ids and are mapped through a LabelMap (id → project label name).
 */
import { TOTALSEGMENTATOR_V2_CLASSES } from './totalSegmentatorClasses.ts';

export const PROJECT_LABELS = {
  background: 0,
  liver: 1,
  liver_tumor: 2,
  pancreas: 3,
  pancreas_tumor: 4,
  kidney: 5,
  kidney_tumor: 6,
} as const;

export type ProjectLabelName = keyof typeof PROJECT_LABELS;
export type Organ = 'liver' | 'pancreas' | 'kidney';
export const ORGANS: readonly Organ[] = ['liver', 'pancreas', 'kidney'];

/** The project label id of an organ and of its tumour. */
export const ORGAN_IDS: Record<Organ, { organ: number; tumor: number }> = {
  liver: { organ: 1, tumor: 2 },
  pancreas: { organ: 3, tumor: 4 },
  kidney: { organ: 5, tumor: 6 },
};

export const PROJECT_LABEL_NAMES: Record<number, ProjectLabelName> = Object.fromEntries(
  Object.entries(PROJECT_LABELS).map(([n, id]) => [id, n as ProjectLabelName]),
);

/** Display colours (RGB 0–255) for the project scheme; tumours are warm, organs cool. */
export const PROJECT_LABEL_COLORS: Record<number, [number, number, number]> = {
  1: [221, 132, 82],
  2: [230, 30, 60],
  3: [240, 200, 60],
  4: [255, 90, 0],
  5: [70, 150, 230],
  6: [200, 0, 200],
};

/** A source dataset's label ids → names in the project scheme (unlisted ids are ignored). */
export interface LabelMap {
  name: string;
  /** Source id → project label name. Several ids may map to one name (kidney right/left). */
  toProject: Record<number, ProjectLabelName>;
  /** Source id → the source's own name, for display (may cover more ids than toProject). */
  sourceNames?: Record<number, string>;
  /**
   * True when the source has ids beyond those listed that are still not data errors (other
   * anatomy, mapped to background).
   */
  openIds?: boolean;
}

/**
 * TotalSegmentator v2 "total" task: every one of its 117 classes is named (for the legend, the
 * readout and `inspect`); liver, pancreas and both kidneys map to the project scheme, the rest to
 * background. Kidney cysts (23, 24) stay unmapped: TotalSegmentator cuts them out of the kidney
 * label, and this map only renames what the source calls kidney.
 */
export const TOTALSEGMENTATOR: LabelMap = {
  name: 'totalsegmentator',
  toProject: { 5: 'liver', 7: 'pancreas', 2: 'kidney', 3: 'kidney' },
  sourceNames: Object.fromEntries(TOTALSEGMENTATOR_V2_CLASSES.map((name, k) => [k + 1, name])),
};

/** The project scheme itself, as a LabelMap (identity). */
export const PROJECT: LabelMap = {
  name: 'project',
  toProject: Object.fromEntries(
    Object.entries(PROJECT_LABELS)
      .filter(([, id]) => id !== 0)
      .map(([n, id]) => [id, n as ProjectLabelName]),
  ),
};

/** LiTS: volume-N.nii / segmentation-N.nii, 1 liver, 2 tumour. */
export const LITS: LabelMap = {
  name: 'lits',
  toProject: { 1: 'liver', 2: 'liver_tumor' },
  sourceNames: { 1: 'liver', 2: 'liver_tumor' },
};

/** MSD Task03_Liver: 1 liver, 2 cancer. */
export const MSD_LIVER: LabelMap = {
  name: 'msd-liver',
  toProject: { 1: 'liver', 2: 'liver_tumor' },
  sourceNames: { 1: 'liver', 2: 'cancer' },
};

/** MSD Task07_Pancreas: 1 pancreas, 2 cancer. */
export const MSD_PANCREAS: LabelMap = {
  name: 'msd-pancreas',
  toProject: { 1: 'pancreas', 2: 'pancreas_tumor' },
  sourceNames: { 1: 'pancreas', 2: 'cancer' },
};

/**
 * KiTS19/21/23: 1 kidney, 2 tumour, 3 cyst (21/23 only). A cyst is benign kidney tissue for the
 * purpose of tumour segmentation, so it joins the kidney rather than the tumour class.
 */
export const KITS: LabelMap = {
  name: 'kits',
  toProject: { 1: 'kidney', 2: 'kidney_tumor', 3: 'kidney' },
  sourceNames: { 1: 'kidney', 2: 'tumor', 3: 'cyst' },
};

/**
 * Datasets shipped as one binary mask per structure (TotalSegmentator's training data,
 * AbdomenAtlas): the mask file's base name → project label. Kidneys left and right both map to
 * kidney.
 */
export const MASK_FILE_NAMES: Record<string, ProjectLabelName> = {
  liver: 'liver',
  pancreas: 'pancreas',
  kidney_left: 'kidney',
  kidney_right: 'kidney',
  liver_tumor: 'liver_tumor',
  pancreas_tumor: 'pancreas_tumor',
  kidney_tumor: 'kidney_tumor',
};

export const LABEL_MAPS: Record<string, LabelMap> = {
  totalsegmentator: TOTALSEGMENTATOR,
  project: PROJECT,
  lits: LITS,
  'msd-liver': MSD_LIVER,
  'msd-pancreas': MSD_PANCREAS,
  kits: KITS,
};

/** Look up a label map by name; the error lists the known names. */
export function labelMapByName(name: string): LabelMap {
  const m = LABEL_MAPS[name];
  if (!m) throw new Error(`unknown label map '${name}' (known: ${Object.keys(LABEL_MAPS).join(', ')})`);
  return m;
}

/** Whether a label map has tumour classes, i.e. its cases count as "labelled" in FreeTumor's sense. */
export function hasTumorLabels(map: LabelMap): boolean {
  return Object.values(map.toProject).some((n) => n.endsWith('_tumor'));
}

/** Map source ids to project ids; ids without a mapping become background. */
export function remapLabels(src: ArrayLike<number>, map: LabelMap): Uint8Array {
  const lut = new Uint8Array(65536);
  for (const [id, name] of Object.entries(map.toProject)) lut[Number(id)] = PROJECT_LABELS[name];
  const out = new Uint8Array(src.length);
  for (let n = 0; n < src.length; n++) {
    const v = src[n];
    out[n] = v >= 0 && v < 65536 ? lut[v] : 0;
  }
  return out;
}
