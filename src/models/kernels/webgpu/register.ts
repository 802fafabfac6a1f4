/**
 * tfjs kernel functions for the webgpu backend around conv3dGemmProgram.ts. Dilations ≠ 1 and
 * NCDHW go to the stock kernel saved at registration.
 */
import type * as tf from '@tensorflow/tfjs';
import { Conv3DGemmProgram, Conv3DSplitSumProgram } from './conv3dGemmProgram.ts';
import { conv3dGeom, isOne, type Triple } from '../geometry.ts';

interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(id: object): boolean;
}

type Args = Parameters<tf.KernelFunc>[0];

export function webgpuConv3D(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; dataFormat?: string; dilations?: Triple };
    if (!isOne(attrs.dilations) || (attrs.dataFormat ?? 'NDHWC') !== 'NDHWC') return stock(args);
    const backend = args.backend as unknown as WebGPUBackendLike;
    const g = conv3dGeom(x.shape, filter.shape, attrs.strides, attrs.pad);
    const program = new Conv3DGemmProgram('fwd', g, [g.batch, g.outD, g.outH, g.outW, g.outC]);
    return backend.runWebGPUProgram(program, [x, filter], 'float32');
  };
}

export function webgpuConv3DBackpropInputV2(_stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; inputShape: number[] };
    const backend = args.backend as unknown as WebGPUBackendLike;
    const g = conv3dGeom(attrs.inputShape, filter.shape, attrs.strides, attrs.pad);
    const program = new Conv3DGemmProgram('bwdInput', g, [...attrs.inputShape]);
    return backend.runWebGPUProgram(program, [dy, filter], 'float32');
  };
}

export function webgpuConv3DBackpropFilterV2(_stock: tf.KernelFunc): tf.KernelFunc {
  return (args: Args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as { strides: Triple; pad: 'valid' | 'same'; filterShape: number[] };
    const backend = args.backend as unknown as WebGPUBackendLike;
    const g = conv3dGeom(x.shape, attrs.filterShape, attrs.strides, attrs.pad);
    const program = new Conv3DGemmProgram('bwdFilter', g, [...attrs.filterShape]);
    const out = backend.runWebGPUProgram(program, [x, dy], 'float32');
    if (program.splits === 1) return out;
    const count = attrs.filterShape.reduce((a, b) => a * b, 1);
    const summed = backend.runWebGPUProgram(new Conv3DSplitSumProgram(program.splits, count, [...attrs.filterShape]), [out], 'float32');
    backend.disposeData(out.dataId);
    return summed;
  };
}
