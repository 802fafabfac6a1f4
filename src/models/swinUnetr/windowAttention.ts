/**
 * The core of window attention, softmax(q·kᵀ + bias [+ mask])·v over [B·nW·heads, N, hd], with an
 * explicit gradient.
 *
 * On the cpu backend the forward is one fused loop per (window, head, query row): the N×N score
 * matrices (44 M floats per block at 64³) are never materialised, which measured 2–3× faster than
 * tfjs's batched matMul + elementwise passes. Elsewhere (webgpu) the forward is those tf ops.
 * The gradient recomputes the probabilities with tf ops (no N×N tensor is kept from the forward)
 * and applies the softmax-attention derivatives; attentionReference is the plain autodiff
 * formulation the tests compare both against.
 */
import * as tf from '@tensorflow/tfjs';

export interface AttentionGeometry {
  /** Attention heads; q/k/v batch = batch · nW · heads, windows-major then heads. */
  heads: number;
  /** Windows per sample (nW). */
  windows: number;
  /** Shifted-window mask [nW, N·N] (0 / −100), absent for unshifted blocks. */
  mask?: { tensor: tf.Tensor2D; values: Float32Array };
}

/** Scores softmax(q·kᵀ + bias + mask) with tf ops: [BH, N, N]. */
function probabilities(q: tf.Tensor3D, k: tf.Tensor3D, bias: tf.Tensor2D, g: AttentionGeometry): tf.Tensor3D {
  const [bh, n] = q.shape;
  const batch = bh / (g.windows * g.heads);
  let a = tf.reshape(tf.matMul(q, k, false, true), [batch, g.windows, g.heads, n * n]) as tf.Tensor4D;
  a = tf.add(a, tf.reshape(bias, [1, 1, g.heads, n * n]));
  if (g.mask) a = tf.add(a, tf.reshape(g.mask.tensor, [1, g.windows, 1, n * n]));
  const x = tf.reshape(a, [-1, n]);
  const e = tf.exp(tf.sub(x, tf.max(x, -1, true)));
  return tf.reshape(tf.div(e, tf.sum(e, -1, true)), [bh, n, n]);
}

/** The unfused formulation through tfjs autodiff (the reference of the tests). */
export function attentionReference(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D, g: AttentionGeometry): tf.Tensor3D {
  return tf.matMul(probabilities(q, k, bias, g), v);
}

function fusedCpu(q: Float32Array, k: Float32Array, v: Float32Array, bias: Float32Array, shape: number[], g: AttentionGeometry): Float32Array {
  const [bh, n, hd] = shape;
  const out = new Float32Array(bh * n * hd);
  const s = new Float64Array(n);
  const acc = new Float64Array(hd);
  const mask = g.mask?.values;
  const nn = n * n;
  for (let b = 0; b < bh; b++) {
    const base = b * n * hd;
    const h = b % g.heads;
    const w = Math.floor(b / g.heads) % g.windows;
    for (let i = 0; i < n; i++) {
      const qi = base + i * hd;
      const brow = h * nn + i * n;
      const mrow = w * nn + i * n;
      let mx = -Infinity;
      for (let j = 0; j < n; j++) {
        const kj = base + j * hd;
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q[qi + d] * k[kj + d];
        // Rounded to float32 as each tf op would, so cpu results match the tf-op path.
        let x = Math.fround(Math.fround(dot) + bias[brow + j]);
        if (mask) x = Math.fround(x + mask[mrow + j]);
        s[j] = x;
        if (x > mx) mx = x;
      }
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(s[j] - mx);
        s[j] = e;
        sum += e;
      }
      acc.fill(0);
      for (let j = 0; j < n; j++) {
        const p = s[j] / sum;
        const vj = base + j * hd;
        for (let d = 0; d < hd; d++) acc[d] += p * v[vj + d];
      }
      for (let d = 0; d < hd; d++) out[qi + d] = acc[d];
    }
  }
  return out;
}

/**
 * softmax(q·kᵀ + bias[head] + mask[window])·v. q, k, v: [batch·nW·heads, N, hd] (q already
 * scaled); bias: [heads, N·N] (gathered from the relative-position table, trainable).
 */
export function windowAttentionCore(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor2D, g: AttentionGeometry): tf.Tensor3D {
  const [bh, n] = q.shape;
  if (bh % (g.windows * g.heads) !== 0) throw new Error(`attention batch ${bh} is not a multiple of ${g.windows} windows × ${g.heads} heads`);
  if (bias.shape[0] !== g.heads || bias.shape[1] !== n * n) throw new Error(`attention bias [${bias.shape}] does not fit ${g.heads} heads × ${n}² tokens`);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q3, k3, v3, b2] = args.slice(0, 4) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
    const save = args[4] as tf.GradSaveFunc;
    save([q3, k3, v3, b2]);
    const value =
      tf.getBackend() === 'cpu'
        ? tf.tensor3d(
            fusedCpu(q3.dataSync() as Float32Array, k3.dataSync() as Float32Array, v3.dataSync() as Float32Array, b2.dataSync() as Float32Array, q3.shape, g),
            q3.shape,
          )
        : attentionReference(q3, k3, v3, b2, g);
    return {
      value,
      gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sb] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
        const p = probabilities(sq, sk, sb, g);
        const dy3 = dy as tf.Tensor3D;
        const dv = tf.matMul(p, dy3, true, false);
        const dp = tf.matMul(dy3, sv, false, true);
        const ds = tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true))) as tf.Tensor3D;
        const dq = tf.matMul(ds, sk);
        const dk = tf.matMul(ds, sq, true, false);
        const db = tf.sum(tf.reshape(ds, [-1, g.heads, n * n]), 0);
        return [dq, dk, dv, db];
      },
    };
  });
  return f(q, k, v, bias) as tf.Tensor3D;
}
