/**
 * METHOD.md's preprocessing, shared by the Node worker's cache and the browser: RAS orientation,
 * resampling to a target spacing (trilinear image, nearest labels), HU window to [0,1], crop to the
 * labelled foreground with a margin, pad to at least the patch size.
 */
import { boundingBox, expandBox, cropOrPad, padToAtLeast } from './geometry/index.ts';
import { reorientToRAS } from './geometry/orientation.ts';
import { resample } from './geometry/resample.ts';
import { PROJECT_LABELS, MASK_FILE_NAMES } from './labels.ts';
import { spacingOf, type LabelVolume, type Vec3, type Volume } from './volume.ts';
import { HU_WINDOW_HI, HU_WINDOW_LO, windowToUnit } from './window.ts';

export interface PreprocessConfig {
  /** Target voxel size in mm. */
  spacing: Vec3;
  windowLo: number;
  windowHi: number;
  /** The crop size training uses; volumes smaller than this are padded up to it. */
  patch: Vec3;
  /** Context kept around the labelled foreground, in mm. */
  marginMm: number;
}

export const PAPER_PREPROCESS: PreprocessConfig = {
  spacing: [1.5, 1.5, 1.5],
  windowLo: HU_WINDOW_LO,
  windowHi: HU_WINDOW_HI,
  patch: [96, 96, 96],
  marginMm: 24,
};

/** 3 mm voxels and 48³ crops: what a 2-core CPU can train on in tests and demos. */
export const TINY_PREPROCESS: PreprocessConfig = { ...PAPER_PREPROCESS, spacing: [3, 3, 3], patch: [48, 48, 48] };

export interface Preprocessed {
  /** Windowed to [0,1]; padding reads as the window's low end (0). */
  image: Volume<Float32Array>;
  /** Project label ids. */
  label: LabelVolume;
}

/**
 * Merge per-structure binary masks (AbdomenAtlas, TotalSegmentator training data) into one
 * project-label volume. Tumour masks are painted last so a tumour inside its organ stays tumour.
 */
export function mergeMasks(masks: Record<string, ArrayLike<number>>, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const names = Object.keys(masks).sort((a, b) => Number(MASK_FILE_NAMES[a]?.endsWith('_tumor')) - Number(MASK_FILE_NAMES[b]?.endsWith('_tumor')));
  for (const name of names) {
    const project = MASK_FILE_NAMES[name];
    if (!project) throw new Error(`mergeMasks: unknown structure '${name}'`);
    const id = PROJECT_LABELS[project];
    const m = masks[name];
    for (let n = 0; n < length; n++) if (m[n] > 0) out[n] = id;
  }
  return out;
}

const sameSpacing = (a: Vec3, b: Vec3) => a.every((s, c) => Math.abs(s - b[c]) < 1e-4);

/** `image` in HU and `label` in project ids, on the same grid (check that before calling). */
export function preprocessCase(image: Volume<Float32Array>, label: LabelVolume, config: PreprocessConfig = PAPER_PREPROCESS): Preprocessed {
  let img: Volume<Float32Array> = reorientToRAS(image).volume;
  let lbl: LabelVolume = reorientToRAS(label).volume;
  if (!sameSpacing(spacingOf(img.affine), config.spacing)) {
    img = resample(img, config.spacing, 'linear');
    lbl = resample(lbl, config.spacing, 'nearest');
  }
  img = windowToUnit(img, config.windowLo, config.windowHi);
  const fg = boundingBox(lbl.data, lbl.dims);
  if (fg) {
    const margin = config.spacing.map((s) => Math.ceil(config.marginMm / s)) as Vec3;
    const box = expandBox(fg, margin, img.dims);
    img = cropOrPad(img, box, 0);
    lbl = cropOrPad(lbl, box, 0);
  }
  return { image: padToAtLeast(img, config.patch, 0), label: padToAtLeast(lbl, config.patch, 0) };
}
