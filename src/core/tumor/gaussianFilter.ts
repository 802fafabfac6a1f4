/**
 * Separable 3-D Gaussian filter on a Float32Array in NIfTI order (i fastest).
 *
 * Kernel: the sampled Gaussian exp(-x²/2σ²) for |x| ≤ ceil(truncate·σ), divided by its sum, so a
 * constant stays constant (scipy.ndimage.gaussian_filter's kernel, truncate 4 by default).
 *
 * Border: half-sample symmetric reflection ("d c b a | a b c d", scipy's mode 'reflect'). With a
 * symmetric, normalised kernel this keeps the total sum exactly (in exact arithmetic): the weight a
 * border voxel loses past the edge is reflected back onto voxels inside. We rely on that: a blurred
 * tumour mask keeps its mass even when the tumour touches the edge of a crop. Kernels longer than
 * the line keep reflecting (period 2n), which preserves the same property.
 *
 * Sums are accumulated in doubles and stored as float32 after each axis pass.
 */
import type { Vec3 } from '../volume.ts';

export interface GaussianOptions {
  /** Kernel half-width in sigmas (scipy's default 4). */
  truncate?: number;
}

export const DEFAULT_GAUSSIAN_TRUNCATE = 4;

/** Normalised 1-D kernel of length 2·radius+1, radius = ceil(truncate·σ). σ ≤ 0 gives [1]. */
export function gaussianKernel1d(sigma: number, truncate = DEFAULT_GAUSSIAN_TRUNCATE): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const radius = Math.max(1, Math.ceil(truncate * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 * x * x) / (sigma * sigma));
    k[x + radius] = v;
    sum += v;
  }
  for (let n = 0; n < k.length; n++) k[n] /= sum;
  return k;
}

/** Kernel radius (voxels) for a sigma, i.e. how far a blur reaches. */
export function gaussianRadius(sigma: number, truncate = DEFAULT_GAUSSIAN_TRUNCATE): number {
  return sigma > 0 ? Math.max(1, Math.ceil(truncate * sigma)) : 0;
}

/** Index into a line of length n extended by half-sample symmetric reflection. */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** Blur `data` (dims) with per-axis sigmas in voxels; returns a new array. */
export function gaussianFilter3d(data: Float32Array, dims: Vec3, sigma: Vec3, opts: GaussianOptions = {}): Float32Array {
  const truncate = opts.truncate ?? DEFAULT_GAUSSIAN_TRUNCATE;
  const n = dims[0] * dims[1] * dims[2];
  if (data.length !== n) throw new RangeError(`gaussianFilter3d: data has ${data.length} values, dims say ${n}`);
  const out = new Float32Array(data);
  for (let axis = 0; axis < 3; axis++) {
    if (sigma[axis] > 0 && dims[axis] > 1) blurAxis(out, dims, axis, gaussianKernel1d(sigma[axis], truncate));
  }
  return out;
}

/** In-place 1-D convolution of every line along `axis`. */
function blurAxis(data: Float32Array, dims: Vec3, axis: number, kernel: Float64Array): void {
  const len = dims[axis];
  const radius = (kernel.length - 1) >> 1;
  const stride = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
  const padded = new Float64Array(len + 2 * radius);
  // Where each padded slot reads from (fixed for every line along this axis).
  const src = new Int32Array(len + 2 * radius);
  for (let p = 0; p < src.length; p++) src[p] = reflectIndex(p - radius, len);
  const [a, b] = axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
  const strideOf = (ax: number): number => (ax === 0 ? 1 : ax === 1 ? dims[0] : dims[0] * dims[1]);
  const sa = strideOf(a);
  const sb = strideOf(b);
  const klen = kernel.length;
  for (let ib = 0; ib < dims[b]; ib++) {
    for (let ia = 0; ia < dims[a]; ia++) {
      const base = ia * sa + ib * sb;
      // Only outputs within the kernel's reach of a non-zero input can be non-zero: a blurred
      // mask's box is mostly margin, so this skips most of the work.
      let first = -1;
      let last = -1;
      for (let p = 0; p < padded.length; p++) {
        const v = data[base + src[p] * stride];
        padded[p] = v;
        if (v !== 0) {
          if (first < 0) first = p;
          last = p;
        }
      }
      if (first < 0) continue; // an all-zero line stays zero
      const x0 = Math.max(0, first - klen + 1);
      const x1 = Math.min(len - 1, last);
      for (let x = 0; x < x0; x++) data[base + x * stride] = 0;
      for (let x = x1 + 1; x < len; x++) data[base + x * stride] = 0;
      for (let x = x0; x <= x1; x++) {
        let acc = 0;
        for (let t = 0; t < klen; t++) acc += kernel[t] * padded[x + t];
        data[base + x * stride] = acc;
      }
    }
  }
}
