/** Conv geometry shared by the cpu and webgpu kernels, derived from tfjs's own shape logic. */
import * as tf from '@tensorflow/tfjs';
import type { Conv3DGeom } from './cpu/conv3d.ts';

export type Shape5 = [number, number, number, number, number];
export type Triple = [number, number, number] | number;

export function isOne(v: Triple | undefined): boolean {
  return v === undefined || (typeof v === 'number' ? v === 1 : v.every((d) => d === 1));
}

/** Geometry of conv3d(x: xShape, filter: filterShape) as tfjs computes it (dilation 1). */
export function conv3dGeom(xShape: number[], filterShape: number[], strides: Triple, pad: 'valid' | 'same'): Conv3DGeom {
  const ci = tf.backend_util.computeConv3DInfo(xShape as Shape5, filterShape as Shape5, strides, 1, pad);
  return {
    batch: ci.batchSize,
    inD: ci.inDepth, inH: ci.inHeight, inW: ci.inWidth, inC: ci.inChannels,
    outD: ci.outDepth, outH: ci.outHeight, outW: ci.outWidth, outC: ci.outChannels,
    fD: ci.filterDepth, fH: ci.filterHeight, fW: ci.filterWidth,
    sD: ci.strideDepth, sH: ci.strideHeight, sW: ci.strideWidth,
    padD: ci.padInfo.front, padH: ci.padInfo.top, padW: ci.padInfo.left,
  };
}

/** Multiply-adds ×2 of one conv3d (each of the three kernels does the same work). */
export function conv3dFlops(g: Conv3DGeom): number {
  return 2 * g.batch * g.outD * g.outH * g.outW * g.outC * g.fD * g.fH * g.fW * g.inC;
}
