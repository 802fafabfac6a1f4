import type * as tf from '@tensorflow/tfjs';
export const webgpuConv3D = (stock: tf.KernelFunc): tf.KernelFunc => stock;
export const webgpuConv3DBackpropInputV2 = (stock: tf.KernelFunc): tf.KernelFunc => stock;
export const webgpuConv3DBackpropFilterV2 = (stock: tf.KernelFunc): tf.KernelFunc => stock;
