/**
 * Where a tumour goes (SynTumor's random_select, without its (0,0,0) fallback bug).
 *
 * An axial slice is drawn uniformly from the band [lo, hi] (fractions, default 30–70 %) of the
 * organ's extent along the superior–inferior axis; the slice's organ region is eroded once with a
 * box kernel (5×5 at 1.5 mm by default); a remaining pixel is drawn uniformly. Slices whose
 * eroded region is empty are set aside and another band slice is drawn, so the slice is uniform
 * among the usable slices of the band. If the band has none, it is widened step by step up to the
 * whole organ; if even that fails, a TumourSimulationError says why. Never a silent default voxel.
 *
 * "Axial" is the plane normal to the voxel axis closest to world superior–inferior (from the
 * affine), which is k only for the usual unrotated scans.
 *
 * On a crop, `siRange` gives the WHOLE organ's superior–inferior extent in the crop's voxel
 * coordinates (it may reach past the crop): the band is then the band of the whole organ, as
 * offline placement on the whole scan has it, not of the organ's truncated part in the crop; only
 * its slices inside the crop are candidates. A crop holding no usable band slice widens the band
 * by the same rule as above.
 */
import type { Rng } from '../random.ts';
import { spacingOf, type Mat4, type Vec3 } from '../volume.ts';
import { TumourSimulationError } from './errors.ts';

export interface CentreOptions {
  /** Slice band as fractions of the organ's superior–inferior extent. */
  band: [number, number];
  /** How much each widening adds on each side (fraction of the extent). */
  bandWidenStep: number;
  /**
   * Half-width of the erosion kernel in mm: 3 mm = 2 voxels at 1.5 mm, i.e. the reference 5×5.
   * Per axis it becomes max(1, round(mm / spacing)) voxels (a 3×3 kernel at 3 mm).
   */
  erosionRadiusMm: number;
  /** Explicit erosion half-widths (voxels) for the two in-slice axes; overrides erosionRadiusMm. */
  erosionRadiusVoxels?: [number, number];
}

export const DEFAULT_CENTRE_OPTIONS: CentreOptions = {
  band: [0.3, 0.7],
  bandWidenStep: 0.1,
  erosionRadiusMm: 3,
};

/** Test for "this voxel is organ" (label, organ ids). */
export type VoxelPredicate = (index: number) => boolean;

export interface CentreChoice {
  voxel: Vec3;
  /** Slice axis (the superior–inferior voxel axis). */
  siAxis: number;
  /** The band that produced the centre (fractions); wider than asked when widened. */
  band: [number, number];
  /** Number of widenings that were needed (0 = the asked band worked). */
  widened: number;
  /** Half-widths of the erosion kernel used, for the two in-slice axes (ascending axis order). */
  erosionRadiusVoxels: [number, number];
}

/** The voxel axis whose direction is closest to world z (superior–inferior in RAS). */
export function superiorInferiorAxis(affine: Mat4): number {
  let best = 2;
  let bestCos = -1;
  // k first, so exact ties (oblique 45° scans) keep the conventional slice axis.
  for (const c of [2, 0, 1]) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
    const cos = norm > 0 ? Math.abs(affine[8 + c]) / norm : 0;
    if (cos > bestCos + 1e-9) {
      best = c;
      bestCos = cos;
    }
  }
  return best;
}

export interface OrganExtent {
  count: number;
  lo: Vec3;
  hi: Vec3;
}

/** Voxel count and inclusive bounding box of the voxels for which `isOrgan` holds. */
export function organExtent(dims: Vec3, isOrgan: VoxelPredicate): OrganExtent {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  let count = 0;
  let n = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, n++) {
        if (!isOrgan(n)) continue;
        count++;
        if (i < lo[0]) lo[0] = i;
        if (i > hi[0]) hi[0] = i;
        if (j < lo[1]) lo[1] = j;
        if (j > hi[1]) hi[1] = j;
        if (k < lo[2]) lo[2] = k;
        if (k > hi[2]) hi[2] = k;
      }
    }
  }
  return { count, lo, hi };
}

/** organExtent for "label is one of `ids`", without a per-voxel callback (a whole-volume scan). */
export function labelExtent(data: Uint8Array, dims: Vec3, ids: readonly number[]): OrganExtent {
  const hit = new Uint8Array(256);
  for (const id of ids) hit[id] = 1;
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-1, -1, -1];
  let count = 0;
  const nx = dims[0];
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      const row = nx * (j + dims[1] * k);
      let first = -1;
      let last = -1;
      for (let i = 0; i < nx; i++) {
        if (hit[data[row + i]]) {
          if (first < 0) first = i;
          last = i;
          count++;
        }
      }
      if (first < 0) continue;
      if (first < lo[0]) lo[0] = first;
      if (last > hi[0]) hi[0] = last;
      if (j < lo[1]) lo[1] = j;
      if (j > hi[1]) hi[1] = j;
      if (k < lo[2]) lo[2] = k;
      if (k > hi[2]) hi[2] = k;
    }
  }
  return { count, lo, hi };
}

/** Integer slices of a band [f0, f1] over the extent [zs, ze]. */
function bandSlices(zs: number, ze: number, f0: number, f1: number): [number, number] {
  const len = ze - zs;
  return [Math.ceil(zs + f0 * len - 1e-9), Math.floor(zs + f1 * len + 1e-9)];
}

export interface ChooseCentreInput {
  dims: Vec3;
  affine: Mat4;
  isOrgan: VoxelPredicate;
  extent: OrganExtent;
  /** Extra veto on candidate voxels (vessel avoidance): true = may be a centre. */
  accept?: VoxelPredicate;
  /**
   * Inclusive superior–inferior extent [first, last] of the whole organ in this volume's voxel
   * coordinates, for a crop of a larger scan (default: the extent in this volume).
   */
  siRange?: [number, number];
  /** For error messages. */
  organName: string;
}

export function chooseTumourCentre(input: ChooseCentreInput, rng: Rng, opts: CentreOptions = DEFAULT_CENTRE_OPTIONS): CentreChoice {
  const { dims, affine, isOrgan, extent, accept, organName, siRange } = input;
  if (extent.count === 0) throw new TumourSimulationError(`the ${organName} label is empty: no voxel to place a tumour in`);
  const z = superiorInferiorAxis(affine);
  const [u, v] = z === 0 ? [1, 2] : z === 1 ? [0, 2] : [0, 1];
  const spacing = spacingOf(affine);
  const rad: [number, number] = opts.erosionRadiusVoxels
    ? [opts.erosionRadiusVoxels[0], opts.erosionRadiusVoxels[1]]
    : [Math.max(1, Math.round(opts.erosionRadiusMm / spacing[u])), Math.max(1, Math.round(opts.erosionRadiusMm / spacing[v]))];
  if (opts.erosionRadiusMm <= 0 && !opts.erosionRadiusVoxels) {
    rad[0] = 0;
    rad[1] = 0;
  }
  const stride: Vec3 = [1, dims[0], dims[0] * dims[1]];
  if (siRange && !(Number.isInteger(siRange[0]) && Number.isInteger(siRange[1]) && siRange[0] <= siRange[1])) {
    throw new RangeError(`siRange must be two integers first <= last, got [${siRange}]`);
  }
  const zs = siRange ? siRange[0] : extent.lo[z];
  const ze = siRange ? siRange[1] : extent.hi[z];
  const uLo = extent.lo[u];
  const vLo = extent.lo[v];
  const nu = extent.hi[u] - uLo + 1;
  const nv = extent.hi[v] - vLo + 1;
  const slice = new Uint8Array(nu * nv);
  const tmp = new Uint8Array(nu * nv);

  /** Candidate in-slice positions (indices into the bbox slice) for slice zz. */
  const candidates = (zz: number): number[] => {
    // Organ pixels of the slice, within the organ's bbox (everything outside is background).
    for (let b = 0; b < nv; b++) {
      for (let a = 0; a < nu; a++) {
        const idx = (uLo + a) * stride[u] + (vLo + b) * stride[v] + zz * stride[z];
        slice[a + nu * b] = isOrgan(idx) ? 1 : 0;
      }
    }
    // Separable box erosion; out of the volume counts as background, so a crop's edge erodes too.
    erodeLines(slice, tmp, nu, nv, rad[0], true);
    erodeLines(tmp, slice, nu, nv, rad[1], false);
    const out: number[] = [];
    for (let b = 0; b < nv; b++) {
      for (let a = 0; a < nu; a++) {
        if (!slice[a + nu * b]) continue;
        if (accept) {
          const idx = (uLo + a) * stride[u] + (vLo + b) * stride[v] + zz * stride[z];
          if (!accept(idx)) continue;
        }
        out.push(a + nu * b);
      }
    }
    return out;
  };

  const useless = new Set<number>();
  let [f0, f1] = opts.band;
  if (!(f0 >= 0 && f1 <= 1 && f0 <= f1)) throw new RangeError(`centre band must satisfy 0 <= lo <= hi <= 1, got [${f0}, ${f1}]`);
  const step = opts.bandWidenStep > 0 ? opts.bandWidenStep : 1;
  for (let widened = 0; ; widened++) {
    const [b0, b1] = bandSlices(zs, ze, f0, f1);
    // Only slices that hold organ in this volume (a whole-organ band may reach past a crop).
    const s0 = Math.max(b0, extent.lo[z]);
    const s1 = Math.min(b1, extent.hi[z]);
    const pool: number[] = [];
    for (let zz = s0; zz <= s1; zz++) if (!useless.has(zz)) pool.push(zz);
    while (pool.length > 0) {
      const pick = rng.int(0, pool.length - 1);
      const zz = pool[pick];
      const cand = candidates(zz);
      if (cand.length > 0) {
        const p = cand[rng.int(0, cand.length - 1)];
        const voxel: Vec3 = [0, 0, 0];
        voxel[u] = uLo + (p % nu);
        voxel[v] = vLo + Math.floor(p / nu);
        voxel[z] = zz;
        return { voxel, siAxis: z, band: [f0, f1], widened, erosionRadiusVoxels: rad };
      }
      useless.add(zz);
      pool[pick] = pool[pool.length - 1];
      pool.pop();
    }
    if (f0 <= 0 && f1 >= 1) break;
    f0 = Math.max(0, f0 - step);
    f1 = Math.min(1, f1 + step);
  }
  const kernel = `${2 * rad[0] + 1}×${2 * rad[1] + 1}`;
  throw new TumourSimulationError(
    `the ${organName} is too small or too thin to place a tumour: no voxel of its ${extent.count} survives a ` +
      `${kernel} erosion in any axial slice${accept ? ' (with vessel avoidance on)' : ''}; ` +
      'try a smaller erosion radius, turn vessel avoidance off, or give a centre voxel',
  );
}

/** 1-D box erosion of every line along the first (alongU) or second in-slice axis. */
function erodeLines(src: Uint8Array, dst: Uint8Array, nu: number, nv: number, r: number, alongU: boolean): void {
  if (r <= 0) {
    dst.set(src);
    return;
  }
  const lines = alongU ? nv : nu;
  const len = alongU ? nu : nv;
  const step = alongU ? 1 : nu;
  const width = 2 * r + 1;
  for (let l = 0; l < lines; l++) {
    const base = alongU ? l * nu : l;
    // A pixel survives when the window [x-r, x+r] is all organ; a run-length of trailing ones
    // makes that one pass per line.
    let run = 0;
    for (let x = 0; x < len + r; x++) {
      if (x < len) run = src[base + x * step] ? run + 1 : 0;
      else run = 0; // beyond the bbox is background
      const centre = x - r;
      if (centre >= 0) dst[base + centre * step] = x < len && run >= width ? 1 : 0;
    }
  }
}
