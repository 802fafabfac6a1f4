/**
 * Random-grid elastic deformation of a binary shape (the reference uses elasticdeform's
 * deform_random_grid with points=3, order=0, once per axis pair (0,1), (1,2), (0,2)).
 *
 * For an axis pair (a, b): a coarse grid of `points`×`points` control points spread evenly over the
 * box (corners included) holds displacements drawn from N(0, σ) along a and along b. The grid is
 * interpolated to every voxel with an interpolating cubic (Catmull–Rom, ends extrapolated
 * linearly; for 3 points this is a smooth, exact-through-the-knots surface, close to elasticdeform's
 * cubic spline). The output voxel p takes the input at round(p + d(p)) — nearest neighbour, so the
 * shape stays binary — and 0 outside the box. The same 2-D field applies to every slice along the
 * third axis, as in the reference.
 *
 * σ is per axis in voxels: the caller converts a physical σ (mm) by each axis' spacing, so the
 * deformation is the same in millimetres on anisotropic scans.
 */
import type { Rng } from '../random.ts';
import type { Vec3 } from '../volume.ts';

export interface ElasticOptions {
  /** Control points per axis (reference 3). */
  points: number;
  /** Axis pairs deformed in turn (reference (0,1), (1,2), (0,2)). */
  axisPairs: ReadonlyArray<readonly [number, number]>;
}

export const DEFAULT_ELASTIC_OPTIONS: ElasticOptions = {
  points: 3,
  axisPairs: [
    [0, 1],
    [1, 2],
    [0, 2],
  ],
};

/** Per-position interpolation weights: 4 control indices and 4 weights per voxel along one axis. */
function splineWeights(n: number, points: number): { idx: Int32Array; w: Float64Array } {
  const idx = new Int32Array(n * 4);
  const w = new Float64Array(n * 4);
  const segs = points - 1;
  for (let x = 0; x < n; x++) {
    const t = n > 1 ? (x * segs) / (n - 1) : 0;
    const s = Math.min(segs - 1, Math.floor(t));
    const u = t - s;
    // Catmull–Rom basis on knots s-1, s, s+1, s+2.
    const u2 = u * u;
    const u3 = u2 * u;
    const c = [
      -0.5 * u3 + u2 - 0.5 * u,
      1.5 * u3 - 2.5 * u2 + 1,
      -1.5 * u3 + 2 * u2 + 0.5 * u,
      0.5 * u3 - 0.5 * u2,
    ];
    // Ghost knots extrapolate linearly: P(-1) = 2P(0) - P(1), P(m) = 2P(m-1) - P(m-2).
    const acc = new Map<number, number>();
    const add = (knot: number, weight: number): void => {
      acc.set(knot, (acc.get(knot) ?? 0) + weight);
    };
    for (let q = 0; q < 4; q++) {
      const knot = s - 1 + q;
      if (knot < 0) {
        add(0, 2 * c[q]);
        add(1, -c[q]);
      } else if (knot > segs) {
        add(segs, 2 * c[q]);
        add(segs - 1, -c[q]);
      } else add(knot, c[q]);
    }
    let q = 0;
    for (const [knot, weight] of [...acc.entries()].sort((p1, p2) => p1[0] - p2[0])) {
      idx[x * 4 + q] = knot;
      w[x * 4 + q] = weight;
      q++;
    }
    for (; q < 4; q++) {
      idx[x * 4 + q] = 0;
      w[x * 4 + q] = 0;
    }
  }
  return { idx, w };
}

/** Inclusive voxel bounds of a shape's non-zero voxels inside its box. */
export interface ShapeBounds {
  lo: Vec3;
  hi: Vec3;
}

/** Bounds of the non-zero voxels (null when there is none). */
export function shapeBounds(data: Uint8Array, dims: Vec3): ShapeBounds | null {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, n++) {
        if (!data[n]) continue;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  return hi[0] < 0 ? null : { lo, hi };
}

/**
 * One deformation pass over the axis pair (a, b); returns a new array and its shape's bounds.
 * `bounds` (the input shape's) lets the pass skip the empty part of the box: an output voxel can
 * only be set if its source, at most max|d| away, lies within them.
 */
export function deformAxisPair(
  data: Uint8Array,
  dims: Vec3,
  axes: readonly [number, number],
  sigmaVoxels: Vec3,
  points: number,
  rng: Rng,
  bounds: ShapeBounds | null = shapeBounds(data, dims),
): { data: Uint8Array; bounds: ShapeBounds | null } {
  const [a, b] = axes;
  if (a === b || a < 0 || b < 0 || a > 2 || b > 2) throw new RangeError(`bad axis pair (${a}, ${b})`);
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`control points must be an integer >= 2, got ${points}`);
  const c = 3 - a - b;
  const na = dims[a];
  const nb = dims[b];
  // Control displacements: component along a, then along b; grid row-major (a outer, b inner).
  // Drawn even for an empty shape so the stream does not depend on the shape.
  const grid = [new Float64Array(points * points), new Float64Array(points * points)];
  const sig = [sigmaVoxels[a], sigmaVoxels[b]];
  for (let comp = 0; comp < 2; comp++) {
    for (let g = 0; g < points * points; g++) grid[comp][g] = rng.normal(0, sig[comp]);
  }
  const out = new Uint8Array(data.length);
  if (!bounds) return { data: out, bounds: null };
  const wa = splineWeights(na, points);
  const wb = splineWeights(nb, points);
  // Source offsets (rounded) for every (x_a, x_b): -1 marks "outside the box".
  const srcA = new Int32Array(na * nb);
  const srcB = new Int32Array(na * nb);
  for (let xa = 0; xa < na; xa++) {
    for (let xb = 0; xb < nb; xb++) {
      let da = 0;
      let db = 0;
      for (let p = 0; p < 4; p++) {
        const wp = wa.w[xa * 4 + p];
        if (wp === 0) continue;
        const ga = wa.idx[xa * 4 + p];
        for (let q = 0; q < 4; q++) {
          const wq = wb.w[xb * 4 + q];
          if (wq === 0) continue;
          const g = ga * points + wb.idx[xb * 4 + q];
          const ww = wp * wq;
          da += ww * grid[0][g];
          db += ww * grid[1][g];
        }
      }
      const sa = Math.round(xa + da);
      const sb = Math.round(xb + db);
      // Sources outside the shape's bounds read zero; mark them like out-of-box ones.
      const inside = sa >= bounds.lo[a] && sa <= bounds.hi[a] && sb >= bounds.lo[b] && sb <= bounds.hi[b];
      srcA[xa * nb + xb] = inside ? sa : -1;
      srcB[xa * nb + xb] = inside ? sb : -1;
    }
  }
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  // Which (x_a, x_b) read from inside the bounds: only those are visited for every slice.
  const live: number[] = [];
  for (let s = 0; s < na * nb; s++) if (srcA[s] >= 0) live.push(s);
  for (let xc = bounds.lo[c]; xc <= bounds.hi[c]; xc++) {
    const baseC = xc * stride[c];
    let any = false;
    for (const s of live) {
      if (!data[baseC + srcA[s] * stride[a] + srcB[s] * stride[b]]) continue;
      const xa = Math.floor(s / nb);
      const xb = s - xa * nb;
      out[baseC + xa * stride[a] + xb * stride[b]] = 1;
      any = true;
      if (xa < lo[a]) lo[a] = xa;
      if (xa > hi[a]) hi[a] = xa;
      if (xb < lo[b]) lo[b] = xb;
      if (xb > hi[b]) hi[b] = xb;
    }
    if (any) {
      if (xc < lo[c]) lo[c] = xc;
      if (xc > hi[c]) hi[c] = xc;
    }
  }
  return { data: out, bounds: hi[0] < 0 ? null : { lo, hi } };
}

/** All passes of the reference deformation. */
export function elasticDeform(
  data: Uint8Array,
  dims: Vec3,
  sigmaVoxels: Vec3,
  rng: Rng,
  opts: ElasticOptions = DEFAULT_ELASTIC_OPTIONS,
  bounds: ShapeBounds | null = shapeBounds(data, dims),
): { data: Uint8Array; bounds: ShapeBounds | null } {
  let cur = { data, bounds };
  for (const pair of opts.axisPairs) cur = deformAxisPair(cur.data, dims, pair, sigmaVoxels, opts.points, rng, cur.bounds);
  return cur;
}
