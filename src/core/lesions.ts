/**
 * Lesion statistics of a label map, in the manner of Slicer's segment statistics: every
 * connected component of every tumour label is one lesion, with its organ, volume, longest
 * diameter and mean intensity. Pure: the browser runs it in a worker, tests run it directly.
 */
import { ORGAN_IDS, ORGANS, type Organ } from './labels.ts';
import type { Mat4, Vec3 } from './volume.ts';

export interface Lesion {
  /** 1-based position in the list (the order N / Shift+N steps through). */
  index: number;
  organ: Organ;
  /** Project tumour id: 2 liver, 4 pancreas, 6 kidney. */
  tumourId: number;
  synthetic: boolean;
  voxels: number;
  volumeMl: number;
  /** Largest distance between two voxel centres of the lesion, in mm. */
  longestDiameterMm: number;
  /** Mean image value (HU for CT) over the lesion; null without an image on the same grid. */
  meanHu: number | null;
  /** A voxel of the lesion nearest its centroid (the centroid itself when inside). */
  anchorVoxel: Vec3;
  anchorMm: Vec3;
}

export interface LesionInput {
  dims: Vec3;
  affine: Mat4;
  /** Project label ids (0–6) on this grid. */
  labels: ArrayLike<number>;
  /** Synthetic tumours on the same grid: their project tumour id, 0 elsewhere. */
  synthetic?: ArrayLike<number> | null;
  /** Image values on the same grid, read as value × slope + inter. */
  image?: { data: ArrayLike<number>; slope?: number; inter?: number } | null;
}

const TUMOUR_ORGAN = new Map<number, Organ>(ORGANS.map((o) => [ORGAN_IDS[o].tumor, o]));
/** Synthetic components are keyed apart from real ones so a synthetic tumour is never merged into a real one. */
const SYNTHETIC_KEY = 16;

/** 26-connectivity: voxels touching by a face, edge or corner are one lesion (as cc3d's default). */
const NEIGHBOURS: Vec3[] = [];
for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) if (di || dj || dk) NEIGHBOURS.push([di, dj, dk]);

export function findLesions(input: LesionInput): Lesion[] {
  const { dims, affine, labels } = input;
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (labels.length !== n) throw new Error(`label map has ${labels.length} voxels, expected ${dims.join('×')} = ${n}`);
  const synth = input.synthetic ?? null;
  if (synth && synth.length !== n) throw new Error(`synthetic tumour mask has ${synth.length} voxels, expected ${n}`);
  const img = input.image && input.image.data.length === n ? input.image : null;
  const slope = img?.slope || 1;
  const inter = img?.inter ?? 0;
  const keyAt = (v: number): number => {
    const s = synth ? synth[v] : 0;
    if (s && TUMOUR_ORGAN.has(s)) return SYNTHETIC_KEY + s;
    const l = labels[v];
    return TUMOUR_ORGAN.has(l) ? l : 0;
  };
  const voxelMl = Math.abs(det3(affine)) / 1000;
  const seen = new Uint8Array(n);
  let queue = new Int32Array(1024);
  const found: Omit<Lesion, 'index'>[] = [];
  const sxy = nx * ny;
  for (let start = 0; start < n; start++) {
    if (seen[start]) continue;
    const key = keyAt(start);
    if (key === 0) continue;
    // Breadth-first flood; the queue ends up holding every voxel of the component.
    seen[start] = 1;
    queue[0] = start;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const v = queue[head++];
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / sxy);
      for (const [di, dj, dk] of NEIGHBOURS) {
        const a = i + di, b = j + dj, c = k + dk;
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const w = a + nx * (b + ny * c);
        if (seen[w] || keyAt(w) !== key) continue;
        seen[w] = 1;
        if (tail === queue.length) {
          const grown = new Int32Array(queue.length * 2);
          grown.set(queue);
          queue = grown;
        }
        queue[tail++] = w;
      }
    }
    const members = queue.subarray(0, tail);
    const tumourId = key > SYNTHETIC_KEY ? key - SYNTHETIC_KEY : key;
    let hu = 0;
    if (img) for (const v of members) hu += img.data[v] * slope + inter;
    const anchorVoxel = anchorOf(members, nx, ny);
    found.push({
      organ: TUMOUR_ORGAN.get(tumourId)!,
      tumourId,
      synthetic: key > SYNTHETIC_KEY,
      voxels: tail,
      volumeMl: tail * voxelMl,
      longestDiameterMm: longestDiameter(members, nx, ny, affine),
      meanHu: img ? hu / tail : null,
      anchorVoxel,
      anchorMm: toWorld(affine, anchorVoxel),
    });
  }
  // Organ by organ, real before synthetic, largest first: the reading order of a report.
  found.sort((a, b) => a.tumourId - b.tumourId || Number(a.synthetic) - Number(b.synthetic) || b.voxels - a.voxels || a.anchorVoxel[2] - b.anchorVoxel[2]);
  return found.map((l, n) => ({ index: n + 1, ...l }));
}

function det3(m: Mat4): number {
  return m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) + m[2] * (m[4] * m[9] - m[5] * m[8]);
}

function toWorld(m: Mat4, v: Vec3): Vec3 {
  return [0, 1, 2].map((r) => m[4 * r] * v[0] + m[4 * r + 1] * v[1] + m[4 * r + 2] * v[2] + m[4 * r + 3]) as Vec3;
}

function anchorOf(members: Int32Array, nx: number, ny: number): Vec3 {
  let si = 0, sj = 0, sk = 0;
  for (const v of members) {
    si += v % nx;
    sj += Math.floor(v / nx) % ny;
    sk += Math.floor(v / (nx * ny));
  }
  const c: Vec3 = [si / members.length, sj / members.length, sk / members.length];
  // The centroid of a crescent lies outside it; the crosshair must land in the lesion.
  let best = members[0];
  let bestD = Infinity;
  for (const v of members) {
    const d = (v % nx - c[0]) ** 2 + (Math.floor(v / nx) % ny - c[1]) ** 2 + (Math.floor(v / (nx * ny)) - c[2]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))];
}

/**
 * The diameter of a point set is reached between two vertices of its convex hull, and a hull
 * vertex is the first or last voxel of its row along each of the three axes; only those are
 * compared pairwise. Exact for voxel centres, and cheap: a sphere keeps a few hundred candidates.
 */
export function longestDiameter(members: ArrayLike<number>, nx: number, ny: number, affine: Mat4): number {
  const m = members.length;
  if (m < 2) return 0;
  const ext = [new Map<number, [number, number]>(), new Map<number, [number, number]>(), new Map<number, [number, number]>()];
  const coord = (v: number): Vec3 => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
  const rowKey = (p: Vec3, axis: number) => (axis === 0 ? p[1] * 1e6 + p[2] : axis === 1 ? p[0] * 1e6 + p[2] : p[0] * 1e6 + p[1]);
  for (let t = 0; t < m; t++) {
    const p = coord(members[t]);
    for (let axis = 0; axis < 3; axis++) {
      const key = rowKey(p, axis);
      const r = ext[axis].get(key);
      if (!r) ext[axis].set(key, [p[axis], p[axis]]);
      else {
        if (p[axis] < r[0]) r[0] = p[axis];
        if (p[axis] > r[1]) r[1] = p[axis];
      }
    }
  }
  const pts: Vec3[] = [];
  for (let t = 0; t < m; t++) {
    const p = coord(members[t]);
    let hull = true;
    for (let axis = 0; axis < 3 && hull; axis++) {
      const r = ext[axis].get(rowKey(p, axis))!;
      hull = p[axis] === r[0] || p[axis] === r[1];
    }
    if (hull) pts.push([
      affine[0] * p[0] + affine[1] * p[1] + affine[2] * p[2],
      affine[4] * p[0] + affine[5] * p[1] + affine[6] * p[2],
      affine[8] * p[0] + affine[9] * p[1] + affine[10] * p[2],
    ]);
  }
  let best = 0;
  for (let a = 0; a < pts.length; a++) {
    const [x, y, z] = pts[a];
    for (let b = a + 1; b < pts.length; b++) {
      const d = (pts[b][0] - x) ** 2 + (pts[b][1] - y) ** 2 + (pts[b][2] - z) ** 2;
      if (d > best) best = d;
    }
  }
  return Math.sqrt(best);
}
