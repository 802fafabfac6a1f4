/**
 * tfjs kernel functions for the cpu backend around conv3d.ts. Anything the fast path does not
 * cover (dilations ≠ 1, NCDHW, no WebAssembly SIMD) goes to the stock kernel saved at
 * registration, so overriding never narrows what tfjs accepts.
 */
import type * as tf from '@tensorflow/tfjs';
import { conv3dBackpropFilter, conv3dBackpropInput, conv3dForward, fastConv3dAvailable } from './conv3d.ts';
import { conv3dGeom, isOne, type Triple } from '../geometry.ts';

interface CpuBackendLike {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type Args = Parameters<tf.KernelFunc>[0];

function f32(backend: CpuBackendLike, t: tf.TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

export function cpuConv3D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; dataFormat?: string; dilations?: Triple };
    if (!fastConv3dAvailable() || !isOne(attrs.dilations) || (attrs.dataFormat ?? 'NDHWC') !== 'NDHWC') return stock(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const g = conv3dGeom(x.shape, filter.shape, attrs.strides, attrs.pad);
    const y = conv3dForward(f32(backend, x), f32(backend, filter), g);
    return backend.makeTensorInfo([g.batch, g.outD, g.outH, g.outW, g.outC], 'float32', y);
  };
}

export function cpuConv3DBackpropInputV2(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; inputShape: number[] };
    if (!fastConv3dAvailable()) return stock(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const g = conv3dGeom(attrs.inputShape, filter.shape, attrs.strides, attrs.pad);
    const dx = conv3dBackpropInput(f32(backend, dy), f32(backend, filter), g);
    return backend.makeTensorInfo([...attrs.inputShape], 'float32', dx);
  };
}

export function cpuConv3DBackpropFilterV2(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; filterShape: number[] };
    if (!fastConv3dAvailable()) return stock(args);
    const backend = args.backend as unknown as CpuBackendLike;
    const g = conv3dGeom(x.shape, attrs.filterShape, attrs.strides, attrs.pad);
    const dw = conv3dBackpropFilter(f32(backend, x), f32(backend, dy), g);
    return backend.makeTensorInfo([...attrs.filterShape], 'float32', dw);
  };
}
