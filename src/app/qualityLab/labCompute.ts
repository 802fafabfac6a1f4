/**
 * One tumour of the quality-test lab, end to end (Eq. 1 + quality test), on the lab worker's tfjs:
 *   1. M, M̃ by core's position simulation on the SOURCE grid (so exports keep the source geometry),
 *      never on or next to an existing tumour (so P is over the new tumour's voxels only);
 *   2. a patch-sized crop at the MODEL's spacing around the tumour centre, sampled from the source
 *      (image trilinear then HU window −175..250 → [0,1]; M̃ trilinear; M and organ nearest);
 *   3. G on the crop, x̂ = x − M̃·B(tanh G(x))[organ]·T inside the organ (synthesizeWithGenerator);
 *   4. S on x̂ (one tile: the crop), P = |M ∩ argmax ∈ tumour| / |M| (qualityCounts);
 *   5. the change x̂ − x and S's tumour prediction are mapped back to the source grid for viewing and
 *      export (outside M̃ the source voxels are untouched, bit for bit).
 * Every tensor is created inside tf.tidy or disposed in finally.
 */
import * as tf from '@tensorflow/tfjs';
import { ORGAN_IDS, type Organ } from '../../core/labels.ts';
import { Rng, hashSeed } from '../../core/random.ts';
import { cropTexture, drawTextureOffset, getTexture, simulateTumourPositions, textureSeedOf, type SizeClass } from '../../core/tumor/index.ts';
import { spacingOf, type ImageVolume, type LabelVolume, type Vec3 } from '../../core/volume.ts';
import { HU_WINDOW_HI, HU_WINDOW_LO } from '../../core/window.ts';
import { TUMOUR_CLASSES, type LabelScheme } from '../../models/config.ts';
import { classSelector } from '../../models/losses.ts';
import type { Network } from '../../models/networks.ts';
import { qualityCounts, qualityFromCounts } from '../../models/qualityTest.ts';
import { organChannelOf, synthesizeWithGenerator } from '../../models/synthesis.ts';
import type { LabItem, Thumbnail } from './messages.ts';

export interface LabCase {
  /** HU, source grid. */
  image: ImageVolume;
  /** Project label ids, source grid. */
  label: LabelVolume;
}

export interface LabModels {
  generator: Network;
  /** Only apply is used: a U-Net S or an imported SwinUNETR. */
  segmentor: Pick<Network, 'apply'>;
  /** Crop edge [x, y, z] voxels and voxel size (mm) of G's grid (and S's, unless given below). */
  patch: Vec3;
  spacingMm: number;
  /** S's own grid when it differs from G's (an imported 96³ @ 1.5 mm SwinUNETR beside a 16³ @ 3 mm G). */
  segPatch?: Vec3;
  segSpacingMm?: number;
  scheme: LabelScheme;
  /** A specialist S's organ (its card's `organ`): tumours elsewhere cannot be scored by it. */
  organ?: Organ | null;
}

export interface Box {
  lo: Vec3;
  hi: Vec3;
}

/** One tumour's outcome: its summary and the source-grid box it changed / predicted in. */
export interface TumourResult {
  item: LabItem;
  box: Box;
  /** x̂ in HU inside the box (x fastest). */
  image: Float32Array;
  /** M (1) inside the box. */
  mask: Uint8Array;
  /** S predicts tumour (1) inside the box, on the crop. */
  pred: Uint8Array;
}

const boxDims = (b: Box): Vec3 => [b.hi[0] - b.lo[0] + 1, b.hi[1] - b.lo[1] + 1, b.hi[2] - b.lo[2] + 1];

/** Trilinear read of `data` (dims d) at fractional voxel (x, y, z); `outside` beyond the edge. */
export function trilinear(data: ArrayLike<number>, d: Vec3, x: number, y: number, z: number, outside: number): number {
  if (x < 0 || y < 0 || z < 0 || x > d[0] - 1 || y > d[1] - 1 || z > d[2] - 1) return outside;
  const x0 = Math.min(Math.floor(x), d[0] - 1);
  const y0 = Math.min(Math.floor(y), d[1] - 1);
  const z0 = Math.min(Math.floor(z), d[2] - 1);
  const x1 = Math.min(x0 + 1, d[0] - 1);
  const y1 = Math.min(y0 + 1, d[1] - 1);
  const z1 = Math.min(z0 + 1, d[2] - 1);
  const fx = x - x0;
  const fy = y - y0;
  const fz = z - z0;
  const at = (i: number, j: number, k: number) => data[i + d[0] * (j + d[1] * k)];
  const c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx;
  const c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx;
  const c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx;
  const c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx;
  return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
}

function nearest(data: ArrayLike<number>, d: Vec3, x: number, y: number, z: number): number {
  const i = Math.round(x);
  const j = Math.round(y);
  const k = Math.round(z);
  if (i < 0 || j < 0 || k < 0 || i >= d[0] || j >= d[1] || k >= d[2]) return 0;
  return data[i + d[0] * (j + d[1] * k)];
}

/** The model grid of a crop: model voxel n ↦ source voxel centre + (n − half)·ratio per axis. */
export interface CropGrid {
  centre: Vec3;
  half: Vec3;
  ratio: Vec3;
  patch: Vec3;
}

export function cropGrid(centre: Vec3, patch: Vec3, sourceSpacing: Vec3, modelSpacingMm: number): CropGrid {
  return {
    centre,
    patch,
    half: patch.map((p) => Math.floor(p / 2)) as Vec3,
    ratio: sourceSpacing.map((s) => modelSpacingMm / s) as Vec3,
  };
}

/** Source-grid box covered by the crop, clipped to the volume (null if none). */
export function cropSourceBox(g: CropGrid, dims: Vec3): Box | null {
  const lo = [0, 1, 2].map((a) => Math.max(0, Math.ceil(g.centre[a] - g.half[a] * g.ratio[a] - 1e-6))) as Vec3;
  const hi = [0, 1, 2].map((a) => Math.min(dims[a] - 1, Math.floor(g.centre[a] + (g.patch[a] - 1 - g.half[a]) * g.ratio[a] + 1e-6))) as Vec3;
  return lo.every((l, a) => l <= hi[a]) ? { lo, hi } : null;
}

/** Sample a source-grid array onto the crop (x fastest). */
function sampleCrop(g: CropGrid, data: ArrayLike<number>, dims: Vec3, mode: 'linear' | 'nearest', outside: number, map?: (v: number) => number): Float32Array {
  const [px, py, pz] = g.patch;
  const out = new Float32Array(px * py * pz);
  let n = 0;
  for (let k = 0; k < pz; k++) {
    const z = g.centre[2] + (k - g.half[2]) * g.ratio[2];
    for (let j = 0; j < py; j++) {
      const y = g.centre[1] + (j - g.half[1]) * g.ratio[1];
      for (let i = 0; i < px; i++) {
        const x = g.centre[0] + (i - g.half[0]) * g.ratio[0];
        const v = mode === 'linear' ? trilinear(data, dims, x, y, z, outside) : nearest(data, dims, x, y, z);
        out[n++] = map ? map(v) : v;
      }
    }
  }
  return out;
}

const windowUnit = (hu: number) => Math.min(1, Math.max(0, (hu - HU_WINDOW_LO) / (HU_WINDOW_HI - HU_WINDOW_LO)));

export interface TumourRequest {
  index: number;
  seed: number;
  organ: Organ;
  centre: Vec3 | null;
  sizeClass?: SizeClass | null;
  /** The run's seed for the texture (s, b, β): a batch's base seed; default this tumour's seed. */
  textureSeed?: number;
}

/** Synthesise one tumour with G and score it with S. */
export async function synthesizeAndScore(c: LabCase, m: LabModels, r: TumourRequest): Promise<TumourResult> {
  const t0 = performance.now();
  if (m.organ && r.organ !== m.organ) throw new Error(`the segmentor is a ${m.organ} specialist; it cannot score a ${r.organ} tumour`);
  const dims = c.image.dims;
  const spacing = spacingOf(c.image.affine);
  const sim = simulateTumourPositions(c.label, { seed: r.seed, count: 1, organs: [r.organ], ...(r.centre ? { centres: [r.centre] } : {}), ...(r.sizeClass ? { sizeClass: r.sizeClass } : {}) }, c.image);
  const t = sim.tumours[0];
  const g = cropGrid(t.centreVoxel, m.patch, spacing, m.spacingMm);
  const own = segmentorGridOf(m);
  const box = cropSourceBox(g, dims);
  if (!box) throw new Error('the tumour centre lies outside the image');
  const ids = ORGAN_IDS[r.organ];
  const organSrc = new Uint8Array(c.label.data.length);
  // Eq. 1 changes organ voxels only: an existing tumour is not organ (never synthesised on).
  for (let n = 0; n < organSrc.length; n++) organSrc[n] = c.label.data[n] === ids.organ ? 1 : 0;

  const image = sampleCrop(g, c.image.data, dims, 'linear', HU_WINDOW_LO, windowUnit);
  const soft = sampleCrop(g, sim.softMask, dims, 'linear', 0);
  const hard = sampleCrop(g, sim.tumourLabel, dims, 'nearest', 0, (v) => (v > 0 ? 1 : 0));
  const organ = sampleCrop(g, organSrc, dims, 'nearest', 0);
  const tex = getTexture([m.spacingMm, m.spacingMm, m.spacingMm], { seed: textureSeedOf(r.textureSeed ?? r.seed) });
  const offset = drawTextureOffset(tex, new Rng(hashSeed(r.seed, 'lab-texture')));
  const texture = cropTexture(tex, offset, m.patch);

  const shape: [number, number, number, number, number] = [1, m.patch[2], m.patch[1], m.patch[0], 1];
  const [delta, predData, counts] = await (async () => {
    const out = tf.tidy(() => {
      const x = tf.tensor5d(image, shape);
      const xhat = synthesizeWithGenerator(m.generator, {
        image: x,
        softMask: tf.tensor5d(soft, shape),
        texture: tf.tensor5d(texture, shape),
        organChannel: [organChannelOf(r.organ)],
        organMask: tf.tensor5d(organ, shape),
      });
      // S on its own grid reads x̂ from the source grid after G's change is mapped back (below).
      if (own) return [tf.sub(xhat, x)];
      const logits = m.segmentor.apply(xhat);
      const k = logits.shape[4];
      const classes = TUMOUR_CLASSES[m.scheme];
      const pred = tf.sum(tf.mul(tf.oneHot(tf.argMax(logits, 4), k).toFloat(), classSelector(classes, k)), 4);
      return [tf.sub(xhat, x), pred, qualityCounts(logits, tf.tensor5d(hard, shape), classes)] as tf.Tensor[];
    });
    try {
      return [(await out[0].data()) as Float32Array, own ? null : ((await out[1].data()) as Float32Array), own ? null : await out[2].data()];
    } finally {
      tf.dispose(out);
    }
  })();

  // Back to the source grid, inside the crop's box.
  const bd = boxDims(box);
  const outImage = new Float32Array(bd[0] * bd[1] * bd[2]);
  const outMask = new Uint8Array(outImage.length);
  const outPred = new Uint8Array(outImage.length);
  const huScale = HU_WINDOW_HI - HU_WINDOW_LO;
  let n = 0;
  for (let k = box.lo[2]; k <= box.hi[2]; k++) {
    const uz = (k - g.centre[2]) / g.ratio[2] + g.half[2];
    for (let j = box.lo[1]; j <= box.hi[1]; j++) {
      const uy = (j - g.centre[1]) / g.ratio[1] + g.half[1];
      for (let i = box.lo[0]; i <= box.hi[0]; i++, n++) {
        const ux = (i - g.centre[0]) / g.ratio[0] + g.half[0];
        const s = i + dims[0] * (j + dims[1] * k);
        const hu = c.image.data[s];
        outImage[n] = sim.softMask[s] > 0 ? hu + trilinear(delta, m.patch, ux, uy, uz, 0) * huScale : hu;
        outMask[n] = sim.tumourLabel[s] > 0 ? 1 : 0;
        outPred[n] = predData && nearest(predData, m.patch, ux, uy, uz) > 0.5 ? 1 : 0;
      }
    }
  }
  const scored = own
    ? await scoreOnSegmentorGrid(c, m, own, t.centreVoxel, sim.tumourLabel, { box, image: outImage })
    : { box, image: outImage, mask: outMask, pred: outPred, counts: counts! };
  const { P } = qualityFromCounts(scored.counts, 0.7);
  return {
    item: {
      index: r.index,
      seed: r.seed,
      organ: t.organ,
      sizeClass: t.sizeClass,
      centreVoxel: [...t.centreVoxel] as Vec3,
      volumeMm3: t.volumeMm3,
      newVoxels: t.voxelCount,
      hitVoxels: scored.counts[0],
      maskVoxels: scored.counts[1],
      P: P[0],
      elapsedMs: performance.now() - t0,
    },
    box: scored.box,
    image: scored.image,
    mask: scored.mask,
    pred: scored.pred,
  };
}

/** In-plane (axial) outline of a mask: a set voxel with a 4-neighbour in its slice unset. */
function isEdge(mask: ArrayLike<number>, d: Vec3, i: number, j: number, k: number): boolean {
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= d[0] || y >= d[1] ? 0 : mask[x + d[0] * (y + d[1] * k)]);
  return at(i, j) > 0 && (!at(i - 1, j) || !at(i + 1, j) || !at(i, j - 1) || !at(i, j + 1));
}

/** Full source-grid volumes for the viewer: x̂ (HU) and outlines (1 M, 2 S, 3 both). */
export function composeView(c: LabCase, r: TumourResult): { image: Float32Array; outline: Uint8Array } {
  const dims = c.image.dims;
  const image = new Float32Array(c.image.data);
  const outline = new Uint8Array(image.length);
  const bd = boxDims(r.box);
  let n = 0;
  for (let k = r.box.lo[2]; k <= r.box.hi[2]; k++) {
    for (let j = r.box.lo[1]; j <= r.box.hi[1]; j++) {
      for (let i = r.box.lo[0]; i <= r.box.hi[0]; i++, n++) {
        const s = i + dims[0] * (j + dims[1] * k);
        image[s] = r.image[n];
        const bi = i - r.box.lo[0];
        const bj = j - r.box.lo[1];
        const bk = k - r.box.lo[2];
        outline[s] = (isEdge(r.mask, bd, bi, bj, bk) ? 1 : 0) | (isEdge(r.pred, bd, bi, bj, bk) ? 2 : 0);
      }
    }
  }
  return { image, outline };
}

/** The axial slice through the tumour centre, cropped to the crop's box in-plane. */
export function thumbnailOf(r: TumourResult): Thumbnail {
  const bd = boxDims(r.box);
  const k = Math.min(bd[2] - 1, Math.max(0, r.item.centreVoxel[2] - r.box.lo[2]));
  const nx = bd[0];
  const ny = bd[1];
  const hu = new Float32Array(nx * ny);
  const outline = new Uint8Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const s = i + nx * (j + ny * k);
      hu[i + nx * j] = r.image[s];
      outline[i + nx * j] = (isEdge(r.mask, bd, i, j, k) ? 1 : 0) | (isEdge(r.pred, bd, i, j, k) ? 2 : 0);
    }
  }
  return { nx, ny, hu, outline };
}

/** The case's label with M painted as the organ's tumour id (project scheme), for export. */
export function labelWithTumour(c: LabCase, r: TumourResult): Uint8Array {
  const out = new Uint8Array(c.label.data);
  const dims = c.label.dims;
  const id = ORGAN_IDS[r.item.organ].tumor;
  let n = 0;
  for (let k = r.box.lo[2]; k <= r.box.hi[2]; k++) {
    for (let j = r.box.lo[1]; j <= r.box.hi[1]; j++) {
      for (let i = r.box.lo[0]; i <= r.box.hi[0]; i++, n++) if (r.mask[n]) out[i + dims[0] * (j + dims[1] * k)] = id;
    }
  }
  return out;
}

// ---- S on its own grid ----

/** S's grid when it differs from G's, else null (one crop serves both, as before). */
export function segmentorGridOf(m: LabModels): { patch: Vec3; spacingMm: number } | null {
  const patch = m.segPatch ?? m.patch;
  const spacingMm = m.segSpacingMm ?? m.spacingMm;
  return spacingMm === m.spacingMm && patch.every((v, a) => v === m.patch[a]) ? null : { patch, spacingMm };
}

/**
 * Score x̂ with S at S's own patch and spacing: the S crop around the tumour centre is resampled
 * from the source-grid x̂ (G's change inside G's box, the source elsewhere; trilinear, windowed),
 * M nearest; P = |M ∩ S| / |M| on S's grid. The result covers the union of both boxes, so the view,
 * thumbnails and exports show S's prediction wherever S looked.
 */
async function scoreOnSegmentorGrid(
  c: LabCase,
  m: LabModels,
  grid: { patch: Vec3; spacingMm: number },
  centre: Vec3,
  tumourLabel: ArrayLike<number>,
  fromG: { box: Box; image: Float32Array },
): Promise<{ box: Box; image: Float32Array; mask: Uint8Array; pred: Uint8Array; counts: ArrayLike<number> }> {
  const dims = c.image.dims;
  const gs = cropGrid(centre, grid.patch, spacingOf(c.image.affine), grid.spacingMm);
  const sBox = cropSourceBox(gs, dims)!;
  // One voxel of margin: S's outermost samples interpolate with the voxel beyond its box.
  const box: Box = {
    lo: [0, 1, 2].map((a) => Math.max(0, Math.min(sBox.lo[a], fromG.box.lo[a]) - 1)) as Vec3,
    hi: [0, 1, 2].map((a) => Math.min(dims[a] - 1, Math.max(sBox.hi[a], fromG.box.hi[a]) + 1)) as Vec3,
  };
  const bd = boxDims(box);
  const gd = boxDims(fromG.box);
  const image = new Float32Array(bd[0] * bd[1] * bd[2]);
  const mask = new Uint8Array(image.length);
  let n = 0;
  for (let k = box.lo[2]; k <= box.hi[2]; k++) {
    for (let j = box.lo[1]; j <= box.hi[1]; j++) {
      for (let i = box.lo[0]; i <= box.hi[0]; i++, n++) {
        const s = i + dims[0] * (j + dims[1] * k);
        const gi = i - fromG.box.lo[0];
        const gj = j - fromG.box.lo[1];
        const gk = k - fromG.box.lo[2];
        const inG = gi >= 0 && gj >= 0 && gk >= 0 && gi < gd[0] && gj < gd[1] && gk < gd[2];
        image[n] = inG ? fromG.image[gi + gd[0] * (gj + gd[1] * gk)] : c.image.data[s];
        mask[n] = tumourLabel[s] > 0 ? 1 : 0;
      }
    }
  }
  // The same grid, its centre relative to the box.
  const local: CropGrid = { ...gs, centre: centre.map((v, a) => v - box.lo[a]) as Vec3 };
  const xs = sampleCrop(local, image, bd, 'linear', HU_WINDOW_LO, windowUnit);
  const ms = sampleCrop(local, mask, bd, 'nearest', 0);
  const shape: [number, number, number, number, number] = [1, grid.patch[2], grid.patch[1], grid.patch[0], 1];
  const out = tf.tidy(() => {
    const logits = m.segmentor.apply(tf.tensor5d(xs, shape));
    const k = logits.shape[4];
    const classes = TUMOUR_CLASSES[m.scheme];
    const pred = tf.sum(tf.mul(tf.oneHot(tf.argMax(logits, 4), k).toFloat(), classSelector(classes, k)), 4);
    return [pred, qualityCounts(logits, tf.tensor5d(ms, shape), classes)] as tf.Tensor[];
  });
  let predData: Float32Array;
  let counts: ArrayLike<number>;
  try {
    predData = (await out[0].data()) as Float32Array;
    counts = await out[1].data();
  } finally {
    tf.dispose(out);
  }
  const pred = new Uint8Array(image.length);
  n = 0;
  for (let k = 0; k < bd[2]; k++) {
    const uz = (k - local.centre[2]) / local.ratio[2] + local.half[2];
    for (let j = 0; j < bd[1]; j++) {
      const uy = (j - local.centre[1]) / local.ratio[1] + local.half[1];
      for (let i = 0; i < bd[0]; i++, n++) {
        const ux = (i - local.centre[0]) / local.ratio[0] + local.half[0];
        pred[n] = nearest(predData, grid.patch, ux, uy, uz) > 0.5 ? 1 : 0;
      }
    }
  }
  return { box, image, mask, pred, counts };
}
