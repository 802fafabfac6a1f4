/**
 * Channel-wise bias add and its gradient for the cpu backend. Once the convolutions are fast,
 * a U-Net step on tfjs's cpu backend spends most of its time in two generic kernels:
 * Add with a [1,1,1,1,C] operand (every element goes through indexToLoc/locToIndex with array
 * slices) and Sum over all axes but the channels (a full transpose first). These fast paths
 * cover exactly those shapes in float32 and hand everything else to the stock kernel.
 */
import type * as tf from '@tensorflow/tfjs';

interface CpuBackendLike {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type Args = Parameters<tf.KernelFunc>[0];

/** Whether `small` broadcasts to `big` along every axis except the last (a per-channel vector). */
function isChannelBroadcast(big: number[], small: number[]): boolean {
  if (big.length < 2 || small.length > big.length || small.length === 0) return false;
  const c = big[big.length - 1];
  if (small[small.length - 1] !== c) return false;
  for (let i = 0; i < small.length - 1; i++) if (small[i] !== 1) return false;
  return big.slice(0, -1).some((d) => d !== 1);
}

export function cpuAdd(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const [big, small] = isChannelBroadcast(a.shape, b.shape) ? [a, b] : isChannelBroadcast(b.shape, a.shape) ? [b, a] : [null, null];
    if (!big || !small) return stock(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const x = backend.data.get(big.dataId).values as Float32Array;
    const v = backend.data.get(small.dataId).values as Float32Array;
    const c = v.length;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += c) for (let j = 0; j < c; j++) out[i + j] = x[i + j] + v[j];
    return backend.makeTensorInfo([...big.shape], 'float32', out);
  };
}

export function cpuSum(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const r = x.shape.length;
    if (x.dtype !== 'float32' || r < 2) return stock(args);
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((d) => (d < 0 ? d + r : d)))].sort((p, q) => p - q);
    if (axes.length !== r - 1 || axes.some((d, i) => d !== i)) return stock(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const vals = backend.data.get(x.dataId).values as Float32Array;
    const c = x.shape[r - 1];
    const acc = new Float64Array(c);
    for (let i = 0; i < vals.length; i += c) for (let j = 0; j < c; j++) acc[j] += vals[i + j];
    const shape = keepDims ? [...new Array<number>(r - 1).fill(1), c] : [c];
    return backend.makeTensorInfo(shape, 'float32', Float32Array.from(acc));
  };
}
