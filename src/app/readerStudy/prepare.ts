/**
 * Build a study: real candidates from labelled cases, synthetic tumours from a `SyntheticSource`
 * (core handcrafted synthesis here; G + Eq. 1 scored by S in `generatorSource.ts`), each cut to a
 * crop centred on its lesion, shuffled from a seed. Pure apart from the (async) NIfTI encoding, so
 * it runs in Node tests and in the study worker alike.
 */
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import { Rng, hashSeed } from '../../core/random.ts';
import { boundingBox, cropOrPad, expandBox } from '../../core/geometry/crop.ts';
import { assertFieldOfView, sampleFieldOfView, type FieldOfView } from '../../core/geometry/fieldOfView.ts';
import { writeNifti } from '../../core/nifti/write.ts';
import { synthesizeHandcrafted } from '../../core/tumor/handcraftedSynthesis.ts';
import { DEFAULT_SIZE_CLASS_CONFIG, semiAxisRangeMm, type SizeClass } from '../../core/tumor/sizeClasses.ts';
import { spacingOf, type ImageVolume, type LabelVolume, type Mat4, type Vec3, type Volume } from '../../core/volume.ts';
import { DEFAULT_FOV_MM, FOV_MM_RANGE } from './fovDefaults.ts';
import { findCandidates, organsPresent, type Candidate } from './candidates.ts';
import { StudyCancelled } from './qualityMix.ts';
import { NOT_TESTED, STUDY_FORMAT, type ItemKey, type Study, type StudyItem, type SynthesisRecord } from './types.ts';

/** A case as the prepare step sees it: HU image, project-scheme labels, and what its tumours are. */
export interface PrepCase {
  name: string;
  image: ImageVolume;
  label: LabelVolume;
  /** What the case's tumour labels are: vouched-for real tumours, or a mechanics test. */
  tumourProvenance: 'real-annotation' | 'mechanics-test';
}

export interface PrepOptions {
  id: string;
  title: string;
  seed: number;
  /** At most this many real items (fewer when fewer candidates exist). */
  realCount: number;
  syntheticCount: number;
  /** Synthetic size classes, used in turn. */
  sizeClasses: SizeClass[];
  /** Synthetic organs, used in turn (only where the case has that organ). */
  organs: Organ[];
  /** Display voxels per side of every item (isotropic). */
  cropVoxels: number;
  /** Side of every item's field of view in mm (default DEFAULT_FOV_MM). */
  fovMm?: number;
  createdAt?: string;
  /** How synthetic items are made; default: handcrafted, not quality-tested. */
  synthesis?: SyntheticSource;
  /** Progress callback (items done, items total, what is happening); may return a promise to yield. */
  onProgress?: (done: number, total: number, phase?: string) => void | Promise<void>;
  /** Checked between items / candidates: true stops the build with a StudyCancelled error. */
  shouldStop?: () => boolean;
}

/** One finished item before numbering: its key and its crop. */
export interface Cropped {
  key: Omit<ItemKey, 'itemId'>;
  crop: Volume<Int16Array>;
}

/** Makes a study's synthetic items (and says how). */
export interface SyntheticSource {
  /**
   * The only organs this source can place tumours in (a specialist S scores its own organ only).
   * Real items are then drawn from these organs too: otherwise every item in another organ would
   * be real, and the anatomy alone would answer the question.
   */
  organs?: readonly Organ[];
  make(
    cases: readonly PrepCase[],
    opts: PrepOptions,
    /** Synthetic items kept so far and a phase text. */
    progress: (kept: number, phase: string) => Promise<void>,
  ): Promise<{ items: Cropped[]; record: SynthesisRecord }>;
}

export const READING_WINDOW = { width: 400, level: 40 } as const;
/** Air: what a crop reaching past the scan is filled with. */
export const PAD_HU = -1024;

/**
 * The field of view `fov` (mm, isotropic display voxels) around voxel `centre`, int16 HU, air past
 * the scan, with the affine's origin moved so the lesion centre is world (0,0,0): the crop says
 * nothing about where in the body it came from, and every item opens at the same world position.
 */
export function lesionCrop(image: ImageVolume, centre: Vec3, fov: FieldOfView): Volume<Int16Array> {
  const crop = sampleFieldOfView(image, centre, fov, PAD_HU);
  const data = new Int16Array(crop.data.length);
  for (let n = 0; n < data.length; n++) data[n] = Math.max(-32768, Math.min(32767, Math.round(crop.data[n])));
  return { dims: crop.dims, affine: centredAffine(crop.affine, Math.floor(fov.size / 2)), data };
}

function centredAffine(affine: Mat4, half: number): Mat4 {
  const out = [...affine];
  for (let r = 0; r < 3; r++) out[r * 4 + 3] = -(affine[r * 4] + affine[r * 4 + 1] + affine[r * 4 + 2]) * half;
  return out;
}

/** The field of view a build's options ask for. */
export const fovOf = (opts: Pick<PrepOptions, 'cropVoxels' | 'fovMm'>): FieldOfView => ({ fovMm: opts.fovMm ?? DEFAULT_FOV_MM, size: opts.cropVoxels });

async function encodeCrop(vol: Volume<Int16Array>): Promise<Uint8Array> {
  return writeNifti(vol, { datatype: 'int16', gzip: true, fileName: 'item.nii.gz' });
}

export interface Planned {
  key: Omit<ItemKey, 'itemId'>;
  /** The image to crop from (the case, or the case with one synthetic tumour pasted in). */
  image: ImageVolume;
}

/** Tumour labels removed (set to 0): synthetic tumours are placed in organ tissue, never on a real tumour. */
export function withoutTumours(label: LabelVolume): LabelVolume {
  const tumourIds = new Set(Object.values(ORGAN_IDS).map((o) => o.tumor));
  const data = new Uint8Array(label.data);
  for (let n = 0; n < data.length; n++) if (tumourIds.has(data[n])) data[n] = 0;
  return { dims: label.dims, affine: label.affine, data };
}

/**
 * One synthetic tumour in `organ` of a case. The synthesis runs on the organ's box (plus room
 * for the tumour), not the whole scan, and the result is pasted into a copy of only that box.
 */
export function synthesizeOne(c: PrepCase, organ: Organ, sizeClass: SizeClass, seed: number): Planned {
  const clean = withoutTumours(c.label);
  const organBox = boundingBox(clean.data, clean.dims, [ORGAN_IDS[organ].organ]);
  if (!organBox) throw new Error(`${c.name} has no ${organ}`);
  const spacing = spacingOf(c.image.affine);
  // The reference box is 2 semi-axes each side; add the blur margin.
  const reachMm = 2 * semiAxisRangeMm(sizeClass, DEFAULT_SIZE_CLASS_CONFIG)[1] + 10;
  const box = expandBox(organBox, spacing.map((s) => Math.ceil(reachMm / s)) as Vec3, c.image.dims);
  const regionImage = cropOrPad(c.image, box);
  const regionLabel = cropOrPad(clean, box);
  const syn = synthesizeHandcrafted(regionImage, regionLabel, { seed, count: 1, organs: [organ], sizeClass });
  const t = syn.simulation.tumours[0];
  if (!t) throw new Error(`no ${sizeClass} tumour fitted in the ${organ} of ${c.name}`);
  // Paste the changed region back over a copy of the case.
  const out = new Float32Array(c.image.data);
  const [nx, ny] = c.image.dims;
  const [bx, by] = syn.image.dims;
  for (let k = box.start[2]; k < box.end[2]; k++) {
    for (let j = box.start[1]; j < box.end[1]; j++) {
      const s = bx * (j - box.start[1] + by * (k - box.start[2]));
      out.set(syn.image.data.subarray(s, s + bx), box.start[0] + nx * (j + ny * k));
    }
  }
  const centre = t.centreVoxel.map((v, a) => v + box.start[a]) as Vec3;
  return {
    image: { dims: c.image.dims, affine: c.image.affine, data: out },
    key: {
      truth: 'synthetic',
      organ,
      sizeClass,
      provenance: 'synthetic-handcrafted',
      caseName: c.name,
      centreVoxel: centre,
      volumeMm3: t.volumeMm3,
      quality: { ...NOT_TESTED },
      seed: t.seed,
      method: 'handcrafted',
    },
  };
}

function realPlan(c: PrepCase, cand: Candidate): Planned {
  return {
    image: c.image,
    key: {
      truth: 'real',
      organ: cand.organ,
      sizeClass: cand.sizeClass,
      provenance: c.tumourProvenance,
      caseName: c.name,
      centreVoxel: cand.centre,
      volumeMm3: cand.volumeMm3,
      quality: { p: null, pass: null, note: 'n/a (real tumour)' },
    },
  };
}

/** Synthetic tumours to make: organs and size classes in turn, each on a case that has the organ. */
export function planSynthetic(cases: readonly PrepCase[], opts: Pick<PrepOptions, 'syntheticCount' | 'sizeClasses' | 'organs'>): { caseIndex: number; organ: Organ; sizeClass: SizeClass }[] {
  const withOrgan = opts.organs
    .map((organ) => ({ organ, cases: cases.map((c, i) => (organsPresent(c.label).includes(organ) ? i : -1)).filter((i) => i >= 0) }))
    .filter((o) => o.cases.length > 0);
  if (opts.syntheticCount > 0 && withOrgan.length === 0) throw new Error('no case has any of the chosen organs');
  if (opts.syntheticCount > 0 && opts.sizeClasses.length === 0) throw new Error('choose at least one size class');
  const out = [];
  for (let n = 0; n < opts.syntheticCount; n++) {
    const o = withOrgan[n % withOrgan.length];
    const round = Math.floor(n / withOrgan.length);
    out.push({ caseIndex: o.cases[round % o.cases.length], organ: o.organ, sizeClass: opts.sizeClasses[n % opts.sizeClasses.length] });
  }
  return out;
}

export const cropOf = (p: Planned, fov: FieldOfView): Cropped => ({ key: p.key, crop: lesionCrop(p.image, p.key.centreVoxel, fov) });

/** Core handcrafted synthesis, organs and size classes in turn, a tumour that does not fit redrawn (5 tries). */
export const handcraftedSource: SyntheticSource = {
  async make(cases, opts, progress) {
    const synth = planSynthetic(cases, opts);
    const items: Cropped[] = [];
    let attempts = 0;
    for (const [n, s] of synth.entries()) {
      let made: Planned | null = null;
      let lastErr: unknown = null;
      // A tumour can fail to fit (small organ, big class): redraw with the next sub-seed.
      for (let attempt = 0; attempt < 5 && !made; attempt++) {
        if (opts.shouldStop?.()) throw new StudyCancelled();
        attempts++;
        try {
          made = synthesizeOne(cases[s.caseIndex], s.organ, s.sizeClass, hashSeed(opts.seed, 'synthetic', n, attempt));
        } catch (err) {
          lastErr = err;
        }
      }
      if (!made) throw new Error(`synthetic tumour ${n + 1} (${s.sizeClass}, ${s.organ}) failed: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`);
      // Keep only the crop: a whole synthetic scan per item would pile up.
      items.push(cropOf(made, fovOf(opts)));
      await progress(items.length, `handcrafted tumour ${items.length} of ${synth.length}`);
    }
    const n = items.length;
    return {
      items,
      record: {
        method: 'handcrafted',
        threshold: null,
        models: null,
        mix: 'any',
        requested: { total: n, pass: null, fail: null },
        got: { pass: 0, fail: 0, notTested: n },
        attempts,
        maxAttempts: 5 * n,
        report: `handcrafted: ${n} not quality-tested`,
      },
    };
  },
};

const synthCountOf = (opts: PrepOptions) => Math.max(0, opts.syntheticCount);

export async function buildStudy(cases: readonly PrepCase[], opts: PrepOptions): Promise<Study> {
  if (!Number.isInteger(opts.cropVoxels) || opts.cropVoxels < 8 || opts.cropVoxels > 256) throw new RangeError(`crop size must be 8–256 voxels, got ${opts.cropVoxels}`);
  const fov = fovOf(opts);
  assertFieldOfView(fov);
  if (fov.fovMm < FOV_MM_RANGE[0] || fov.fovMm > FOV_MM_RANGE[1]) throw new RangeError(`field of view must be ${FOV_MM_RANGE[0]}–${FOV_MM_RANGE[1]} mm, got ${fov.fovMm}`);
  const rng = new Rng(hashSeed(opts.seed, 'reader-study'));
  // Real: every candidate of every case, a seeded choice of realCount of them.
  const only = synthCountOf(opts) > 0 ? opts.synthesis?.organs : undefined;
  const realPool = cases.flatMap((c) => findCandidates(c.label).map((cand) => ({ c, cand }))).filter(({ cand }) => !only || only.includes(cand.organ));
  const reals = rng.shuffle([...realPool]).slice(0, Math.max(0, opts.realCount));
  const synthCount = synthCountOf(opts);
  // Checks organs / size classes up front (throws when no case has a chosen organ).
  planSynthetic(cases, opts);
  const total = reals.length + synthCount;
  if (total === 0) throw new Error('the study would have no items: load a labelled case or ask for synthetic tumours');
  const planned: Cropped[] = [];
  let done = 0;
  for (const { c, cand } of reals) {
    if (opts.shouldStop?.()) throw new StudyCancelled();
    planned.push(cropOf(realPlan(c, cand), fovOf(opts)));
    await opts.onProgress?.(++done, total, `real item ${done} of ${reals.length}`);
  }
  let synthesis: SynthesisRecord | null = null;
  if (synthCount > 0) {
    const source = opts.synthesis ?? handcraftedSource;
    const made = await source.make(cases, { ...opts, syntheticCount: synthCount }, (kept, phase) => Promise.resolve(opts.onProgress?.(reals.length + kept, total, phase)));
    planned.push(...made.items);
    synthesis = made.record;
  }
  rng.shuffle(planned);
  const items: StudyItem[] = [];
  const key: ItemKey[] = [];
  const width = String(planned.length).length < 2 ? 2 : String(planned.length).length;
  for (const [n, p] of planned.entries()) {
    const id = `item-${String(n + 1).padStart(width, '0')}`;
    items.push({ id, crop: await encodeCrop(p.crop) });
    key.push({ itemId: id, ...p.key });
  }
  return {
    format: STUDY_FORMAT,
    version: 1,
    id: opts.id,
    title: opts.title,
    createdAt: opts.createdAt ?? new Date().toISOString(),
    seed: opts.seed,
    cropVoxels: opts.cropVoxels,
    fovMm: fov.fovMm,
    window: { ...READING_WINDOW },
    mechanicsTest: key.some((k) => k.provenance === 'mechanics-test'),
    items,
    key,
    synthesis,
  };
}
