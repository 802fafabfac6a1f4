/**
 * Sliding-window inference over a whole volume, tile by tile: window = patch, overlap 0.75 by
 * default, Gaussian (or uniform) blending of softmax probabilities, then argmax. Only one batch
 * of windows lives on the backend at a time; accumulation happens in CPU arrays, always in tile
 * order, so with a per-sample network the result does not depend on `batch`.
 */
import * as tf from '@tensorflow/tfjs';
import type { InferenceConfig, NormKind } from './config.ts';
import { DEFAULT_INFERENCE } from './config.ts';

export interface Segmenter {
  apply(x: tf.Tensor5D): tf.Tensor5D;
  config: { outChannels: number; norm?: NormKind };
}

export interface SlidingWindowInput {
  /** NIfTI voxel order: index = x + nx·(y + ny·z). */
  data: Float32Array;
  /** [nx, ny, nz] as in core/volume. */
  dims: [number, number, number];
}

export interface SlidingWindowOptions extends InferenceConfig {
  /** Window edge [z, y, x]. */
  patch: [number, number, number];
  /** Also return the blended class probabilities (K arrays in voxel order). */
  keepProbabilities?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SlidingWindowResult {
  labels: Uint8Array;
  probabilities?: Float32Array[];
  windows: number;
}

/** Window starts along one axis: stride ⌊p(1−overlap)⌋ (≥ 1), last window flush with the end. */
export function windowStarts(n: number, p: number, overlap: number): number[] {
  if (n <= p) return [0];
  const stride = Math.max(1, Math.floor(p * (1 - overlap)));
  const starts: number[] = [];
  for (let s = 0; s + p < n; s += stride) starts.push(s);
  if (starts[starts.length - 1] !== n - p) starts.push(n - p);
  return starts;
}

/** Blending weights of one window, [z][y][x] flattened, max 1 (MONAI-style σ = sigmaScale·p). */
export function importanceMap(patch: [number, number, number], cfg: Pick<InferenceConfig, 'blend' | 'sigmaScale'>): Float32Array {
  const [pz, py, px] = patch;
  const w = new Float32Array(pz * py * px);
  if (cfg.blend === 'uniform') return w.fill(1);
  const g = (p: number) =>
    Array.from({ length: p }, (_, i) => {
      const s = cfg.sigmaScale * p;
      const d = i - (p - 1) / 2;
      return Math.exp(-(d * d) / (2 * s * s));
    });
  const gz = g(pz);
  const gy = g(py);
  const gx = g(px);
  let max = 0;
  for (let z = 0; z < pz; z++) for (let y = 0; y < py; y++) for (let x = 0; x < px; x++) max = Math.max(max, (w[(z * py + y) * px + x] = gz[z] * gy[y] * gx[x]));
  // A floor keeps voxels seen only by window edges well defined.
  for (let i = 0; i < w.length; i++) w[i] = Math.max(w[i] / max, 1e-3);
  return w;
}

export async function slidingWindowInference(
  net: Segmenter,
  vol: SlidingWindowInput,
  opts: Partial<SlidingWindowOptions> & Pick<SlidingWindowOptions, 'patch'>,
): Promise<SlidingWindowResult> {
  const o = { ...DEFAULT_INFERENCE, ...opts };
  // Windows share a forward pass `batch` at a time; only a network that treats each sample on its
  // own (no batch statistics) gives a result independent of that grouping.
  if (net.config.norm === 'batch') {
    throw new Error(
      "sliding-window inference refuses a network with norm 'batch': its output for a window would depend on the " +
        "windows batched with it; use a segmentor with norm 'instance'",
    );
  }
  const [nx, ny, nz] = vol.dims;
  const [pz, py, px] = o.patch;
  const K = net.config.outChannels;
  const nVox = nx * ny * nz;
  if (vol.data.length !== nVox) throw new Error(`volume has ${vol.data.length} voxels, dims say ${nVox}`);
  // Volumes smaller than the window are zero-padded (at the far end) to the window.
  const [Z, Y, X] = [Math.max(nz, pz), Math.max(ny, py), Math.max(nx, px)];
  const acc = Array.from({ length: K }, () => new Float32Array(nVox));
  const wsum = new Float32Array(nVox);
  const imp = importanceMap(o.patch, o);
  const tiles: [number, number, number][] = [];
  for (const z of windowStarts(Z, pz, o.overlap)) for (const y of windowStarts(Y, py, o.overlap)) for (const x of windowStarts(X, px, o.overlap)) tiles.push([z, y, x]);
  const win = pz * py * px;
  for (let t0 = 0; t0 < tiles.length; t0 += o.batch) {
    const batch = tiles.slice(t0, t0 + o.batch);
    const buf = new Float32Array(batch.length * win);
    batch.forEach(([z0, y0, x0], b) => {
      for (let z = 0; z < pz; z++)
        for (let y = 0; y < py; y++) {
          const zz = z0 + z;
          const yy = y0 + y;
          if (zz >= nz || yy >= ny) continue;
          const src = x0 + nx * (yy + ny * zz);
          const dst = b * win + (z * py + y) * px;
          const len = Math.min(px, nx - x0);
          buf.set(vol.data.subarray(src, src + len), dst);
        }
    });
    const probT = tf.tidy(() => tf.softmax(net.apply(tf.tensor5d(buf, [batch.length, pz, py, px, 1]))));
    const prob = await probT.data();
    probT.dispose();
    batch.forEach(([z0, y0, x0], b) => {
      for (let z = 0; z < pz; z++) {
        const zz = z0 + z;
        if (zz >= nz) break;
        for (let y = 0; y < py; y++) {
          const yy = y0 + y;
          if (yy >= ny) break;
          for (let x = 0; x < px; x++) {
            const xx = x0 + x;
            if (xx >= nx) break;
            const wi = (z * py + y) * px + x;
            const w = imp[wi];
            const v = xx + nx * (yy + ny * zz);
            wsum[v] += w;
            const base = (b * win + wi) * K;
            for (let k = 0; k < K; k++) acc[k][v] += w * prob[base + k];
          }
        }
      }
    });
    o.onProgress?.(Math.min(t0 + o.batch, tiles.length), tiles.length);
  }
  const labels = new Uint8Array(nVox);
  for (let v = 0; v < nVox; v++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (acc[k][v] > acc[best][v]) best = k;
    labels[v] = best;
  }
  if (o.keepProbabilities) for (const a of acc) for (let v = 0; v < nVox; v++) a[v] /= wsum[v];
  return { labels, probabilities: o.keepProbabilities ? acc : undefined, windows: tiles.length };
}
