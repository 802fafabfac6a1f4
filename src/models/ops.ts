/** Small tensor helpers that work around tfjs 4.22 backend gaps (measured, see tests). */
import * as tf from '@tensorflow/tfjs';

/**
 * tf.where for any rank: tfjs-backend-webgpu's Select throws "Where for rank 5 is not yet
 * supported", so operands are broadcast to one shape, flattened, selected, and reshaped back.
 */
export function whereAnyRank<T extends tf.Tensor>(cond: tf.Tensor, a: T, b: tf.Tensor): T {
  return tf.tidy(() => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(cond.shape, a.shape), b.shape);
    const flat = (t: tf.Tensor) => tf.reshape(tf.util.arraysEqual(t.shape, shape) ? t : tf.broadcastTo(t, shape), [-1]);
    return tf.reshape(tf.where(flat(cond), flat(a), flat(b)), shape) as T;
  });
}
