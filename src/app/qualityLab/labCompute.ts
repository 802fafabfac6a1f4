/**
 * One tumour of the quality-test lab, end to end (Eq. 1 + quality test), on the lab worker's tfjs:
 *   1. M, M̃ by core's position simulation on the SOURCE grid (so exports keep the source geometry);
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
import { cropTexture, drawTextureOffset, getTexture, simulateTumourPositions, type SizeClass } from '../../core/tumor/index.ts';
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
  segmentor: Network;
  /** Crop edge [x, y, z] voxels and voxel size (mm) of the model grid. */
  patch: Vec3;
  spacingMm: number;
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
  const box = cropSourceBox(g, dims);
  if (!box) throw new Error('the tumour centre lies outside the image');
  const ids = ORGAN_IDS[r.organ];
  const organSrc = new Uint8Array(c.label.data.length);
  for (let n = 0; n < organSrc.length; n++) organSrc[n] = c.label.data[n] === ids.organ || c.label.data[n] === ids.tumor ? 1 : 0;

  const image = sampleCrop(g, c.image.data, dims, 'linear', HU_WINDOW_LO, windowUnit);
  const soft = sampleCrop(g, sim.softMask, dims, 'linear', 0);
  const hard = sampleCrop(g, sim.tumourLabel, dims, 'nearest', 0, (v) => (v > 0 ? 1 : 0));
  const organ = sampleCrop(g, organSrc, dims, 'nearest', 0);
  const tex = getTexture([m.spacingMm, m.spacingMm, m.spacingMm]);
  const offset = drawTextureOffset(tex, m.patch, new Rng(hashSeed(r.seed, 'lab-texture')));
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
      const logits = m.segmentor.apply(xhat);
      const k = logits.shape[4];
      const classes = TUMOUR_CLASSES[m.scheme];
      const pred = tf.sum(tf.mul(tf.oneHot(tf.argMax(logits, 4), k).toFloat(), classSelector(classes, k)), 4);
      return [tf.sub(xhat, x), pred, qualityCounts(logits, tf.tensor5d(hard, shape), classes)] as tf.Tensor[];
    });
    try {
      return [(await out[0].data()) as Float32Array, (await out[1].data()) as Float32Array, await out[2].data()];
    } finally {
      tf.dispose(out);
    }
  })();
  const { P } = qualityFromCounts(counts, 0.7);

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
        outPred[n] = nearest(predData, m.patch, ux, uy, uz) > 0.5 ? 1 : 0;
      }
    }
  }
  return {
    item: {
      index: r.index,
      seed: r.seed,
      organ: t.organ,
      sizeClass: t.sizeClass,
      centreVoxel: [...t.centreVoxel] as Vec3,
      volumeMm3: t.volumeMm3,
      hitVoxels: counts[0],
      maskVoxels: counts[1],
      P: P[0],
      elapsedMs: performance.now() - t0,
    },
    box,
    image: outImage,
    mask: outMask,
    pred: outPred,
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
