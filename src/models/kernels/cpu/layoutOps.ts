/**
 * Data-movement and pooling fast paths for the cpu backend, where tfjs's generic kernels go
 * element by element through TensorBuffer.get / indexToLoc:
 *   SplitV        (concat's gradient) — per output a strided copy of contiguous runs
 *   Concat        the same in reverse
 *   Transpose     any rank and permutation — axes collapsed, one strided inner loop
 *   MaxPool3D, MaxPool3DGrad  channels-last, dilation 1, any window / stride / padding
 * Numerical results are identical to the stock kernels (copies; max with tfjs's tie rules: the
 * forward keeps the first maximum via `>`, the gradient goes to the last maximum in window order
 * via `>=`, exactly as tfjs's maxPool3dPositions). Other dtypes (string) go to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { f32Values, type CpuBackendLike } from './channelOps.ts';

type Args = Parameters<tf.KernelFunc>[0];
type Typed = Float32Array | Int32Array | Uint8Array;

function typedValues(backend: CpuBackendLike, t: tf.TensorInfo): Typed | null {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : null;
}

function like(v: Typed, n: number): Typed {
  return v instanceof Float32Array ? new Float32Array(n) : v instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
}

export function cpuSplitV(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const backend = args.backend as unknown as CpuBackendLike;
    const vals = typedValues(backend, x);
    if (!vals) return stock(args);
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, $axis);
    let outer = 1;
    for (let i = 0; i < $axis; i++) outer *= x.shape[i];
    let inner = 1;
    for (let i = $axis + 1; i < x.shape.length; i++) inner *= x.shape[i];
    const full = x.shape[$axis] * inner;
    let off = 0;
    return sizes.map((s) => {
      const run = s * inner;
      const out = like(vals, outer * run);
      if (run >= 64) {
        for (let o = 0; o < outer; o++) out.set(vals.subarray(o * full + off, o * full + off + run), o * run);
      } else {
        for (let o = 0; o < outer; o++) {
          const src = o * full + off;
          const dst = o * run;
          for (let j = 0; j < run; j++) out[dst + j] = vals[src + j];
        }
      }
      off += run;
      const shape = [...x.shape];
      shape[$axis] = s;
      return backend.makeTensorInfo(shape, x.dtype, out);
    });
  };
}

export function cpuConcat(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const xs = args.inputs as unknown as tf.TensorInfo[];
    const { axis } = args.attrs as unknown as { axis: number };
    const backend = args.backend as unknown as CpuBackendLike;
    if (!Array.isArray(xs) || xs.length < 2 || xs.some((t) => t.dtype !== xs[0].dtype || t.shape.length !== xs[0].shape.length)) return stock(args);
    const vals = xs.map((t) => typedValues(backend, t));
    if (vals.some((v) => !v)) return stock(args);
    const $axis = tf.util.parseAxisParam(axis, xs[0].shape)[0];
    const shape = [...xs[0].shape];
    shape[$axis] = xs.reduce((s, t) => s + t.shape[$axis], 0);
    for (const t of xs) for (let i = 0; i < shape.length; i++) if (i !== $axis && t.shape[i] !== shape[i]) return stock(args);
    let outer = 1;
    for (let i = 0; i < $axis; i++) outer *= shape[i];
    let inner = 1;
    for (let i = $axis + 1; i < shape.length; i++) inner *= shape[i];
    const full = shape[$axis] * inner;
    const out = like(vals[0]!, outer * full);
    let off = 0;
    xs.forEach((t, k) => {
      const v = vals[k]!;
      const run = t.shape[$axis] * inner;
      if (run >= 64) {
        for (let o = 0; o < outer; o++) out.set(v.subarray(o * run, (o + 1) * run), o * full + off);
      } else {
        for (let o = 0; o < outer; o++) {
          const src = o * run;
          const dst = o * full + off;
          for (let j = 0; j < run; j++) out[dst + j] = v[src + j];
        }
      }
      off += run;
    });
    return backend.makeTensorInfo(shape, xs[0].dtype, out);
  };
}

/** out = transpose(vals: shape, perm) for typed arrays, collapsing axes that stay adjacent. */
export function transposeTyped(vals: Typed, shape: number[], perm: number[]): Typed {
  const out = like(vals, vals.length);
  // Drop size-1 axes, renumber.
  const keep = shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
  const renum = new Map(keep.map((a, i) => [a, i]));
  const s1 = keep.map((a) => shape[a]);
  const p1 = perm.filter((a) => shape[a] !== 1).map((a) => renum.get(a)!);
  // Merge runs of consecutive input axes in the permutation.
  const groups: number[][] = [];
  for (const a of p1) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === a) g.push(a);
    else groups.push([a]);
  }
  const order = [...groups].sort((g, h) => g[0] - h[0]);
  const inSizes = order.map((g) => g.reduce((m, a) => m * s1[a], 1));
  const inStr = new Array<number>(order.length).fill(1);
  for (let k = order.length - 2; k >= 0; k--) inStr[k] = inStr[k + 1] * inSizes[k + 1];
  const gi = groups.map((g) => order.indexOf(g));
  const sizes = gi.map((k) => inSizes[k]);
  const strides = gi.map((k) => inStr[k]);
  const n = sizes.length;
  if (n <= 1) {
    out.set(vals);
    return out;
  }
  const last = sizes[n - 1];
  const sl = strides[n - 1];
  const idx = new Array<number>(n).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += last) {
    for (let j = 0; j < last; j++) out[o + j] = vals[src + j * sl];
    for (let k = n - 2; k >= 0; k--) {
      idx[k]++;
      src += strides[k];
      if (idx[k] < sizes[k]) break;
      src -= strides[k] * sizes[k];
      idx[k] = 0;
    }
  }
  return out;
}

export function cpuTranspose(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    const backend = args.backend as unknown as CpuBackendLike;
    const vals = typedValues(backend, x);
    if (!vals || perm.length !== x.shape.length) return stock(args);
    const shape = perm.map((a) => x.shape[a]);
    return backend.makeTensorInfo(shape, x.dtype, transposeTyped(vals, x.shape, perm));
  };
}

interface PoolAttrs {
  filterSize: number | [number, number, number];
  strides: number | [number, number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
}

function poolInfo(shape: number[], a: PoolAttrs): tf.backend_util.Conv3DInfo | null {
  if ((a.dataFormat ?? 'NDHWC') !== 'NDHWC') return null;
  const info = tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.dilationDepth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return info;
}

/**
 * Max over each output voxel's window (clamped to the input), channels innermost: into y (values,
 * first maximum, NaN never admitted, as tfjs's pool3d) or into arg (flat input index of the last
 * maximum, -1 for an empty or all-NaN window, as tfjs's maxPool3dPositions).
 */
function maxPoolCore(x: Float32Array, ci: tf.backend_util.Conv3DInfo, y: Float32Array | null, arg: Int32Array | null): void {
  const C = ci.inChannels;
  const { inDepth: D, inHeight: H, inWidth: W, outDepth: OD, outHeight: OH, outWidth: OW } = ci;
  const fD = ci.filterDepth;
  const fH = ci.filterHeight;
  const fW = ci.filterWidth;
  const best = new Float32Array(C);
  const pos = new Int32Array(C);
  for (let b = 0; b < ci.batchSize; b++) {
    for (let od = 0; od < OD; od++) {
      const d0 = od * ci.strideDepth - ci.padInfo.front;
      const dLo = Math.max(0, d0);
      const dHi = Math.min(D, d0 + fD);
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * ci.strideHeight - ci.padInfo.top;
        const hLo = Math.max(0, h0);
        const hHi = Math.min(H, h0 + fH);
        for (let ow = 0; ow < OW; ow++) {
          const w0 = ow * ci.strideWidth - ci.padInfo.left;
          const wLo = Math.max(0, w0);
          const wHi = Math.min(W, w0 + fW);
          const o = (((b * OD + od) * OH + oh) * OW + ow) * C;
          best.fill(-Infinity);
          pos.fill(-1);
          for (let d = dLo; d < dHi; d++)
            for (let h = hLo; h < hHi; h++)
              for (let w = wLo; w < wHi; w++) {
                const s = (((b * D + d) * H + h) * W + w) * C;
                if (y) {
                  for (let c = 0; c < C; c++) {
                    const v = x[s + c];
                    if (v > best[c]) best[c] = v;
                  }
                } else {
                  // tfjs's maxPool3dPositions: `>=`, so the last maximum in window order wins.
                  for (let c = 0; c < C; c++) {
                    const v = x[s + c];
                    if (v >= best[c]) {
                      best[c] = v;
                      pos[c] = s + c;
                    }
                  }
                }
              }
          if (y) y.set(best, o);
          else arg!.set(pos, o);
        }
      }
    }
  }
}

export function cpuMaxPool3D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as unknown as CpuBackendLike;
    const vals = f32Values(backend, x);
    const ci = vals && poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    if (!vals || !ci) return stock(args);
    const y = new Float32Array(ci.outShape.reduce((p, q) => p * q, 1));
    maxPoolCore(vals, ci, y, null);
    return backend.makeTensorInfo([...ci.outShape], 'float32', y);
  };
}

export function cpuMaxPool3DGrad(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const backend = args.backend as unknown as CpuBackendLike;
    const xv = f32Values(backend, input);
    const dyv = f32Values(backend, dy);
    const ci = xv && dyv && poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    if (!xv || !dyv || !ci) return stock(args);
    const arg = new Int32Array(dyv.length);
    maxPoolCore(xv, ci, null, arg);
    // Overlapping windows add several dy into one dx: sum in float64 and round once, as tfjs does.
    const acc = new Float64Array(xv.length);
    for (let i = 0; i < arg.length; i++) if (arg[i] >= 0) acc[arg[i]] += dyv[i];
    return backend.makeTensorInfo([...input.shape], 'float32', Float32Array.from(acc));
  };
}
