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

/**
 * tf.reverse for any rank: tfjs-backend-webgpu's Reverse pads shapes to rank 4 and throws for
 * rank 5 tensors. Each axis is reversed in a rank-3 view [before, axis, after].
 */
export function reverseAnyRank<T extends tf.Tensor>(t: T, axes: number[]): T {
  return tf.tidy(() => {
    let y: tf.Tensor = t;
    for (const ax of axes) {
      const before = t.shape.slice(0, ax).reduce((a, b) => a * b, 1);
      const after = t.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
      y = tf.reshape(tf.reverse(tf.reshape(y, [before, t.shape[ax], after]), 1), t.shape);
    }
    return y as T;
  });
}
