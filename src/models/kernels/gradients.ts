/**
 * tfjs 4.22 registers no gradient for Conv3DBackpropInputV2, so tf.conv3dTranspose cannot sit in a
 * trained network (src/models/unet.ts works around it with a matmul and rank-6 transposes, which
 * on the cpu backend now cost far more than the convolutions). This supplies it, for every
 * backend: with dx = convᵀ(dy, W),
 *   ∂L/∂dy = conv3d(∂L/∂dx, W)                 (the adjoint of the transposed conv)
 *   ∂L/∂W  = conv3dBackpropFilter(x = ∂L/∂dx, dy)
 */
import * as tf from '@tensorflow/tfjs';

const NAME = 'Conv3DBackpropInputV2';

/** Register the gradient unless tfjs (or an earlier call) already has one. Returns whether it did. */
export function registerConv3dTransposeGradient(): boolean {
  if (tf.getGradient(NAME)) return false;
  tf.registerGradient({
    kernelName: NAME,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (g: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const grad = g as tf.Tensor5D;
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as { strides: [number, number, number] | number; pad: 'valid' | 'same' };
      return {
        dy: () => tf.conv3d(grad, filter, strides, pad),
        filter: () =>
          tf.engine().runKernel('Conv3DBackpropFilterV2', { x: grad, dy }, { strides, pad, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  });
  return true;
}
