/**
 * Shifted-window geometry of MONAI 1.3.0's Swin transformer (window sizes, relative position
 * index, attention masks) in plain arrays, and the window tensor ops over channels-last
 * [B, d, h, w, C] volumes — our z, y, x are PyTorch's D, H, W, so every order here (window
 * partition, token order inside a window, relative coordinates) is MONAI's.
 *
 * Tensor ops keep every split and concat at rank 3 (one spatial axis between two flattened
 * groups): on webgpu a rank-5 Pad — and so the gradient of a rank-5 slice — is silently wrong,
 * and tfjs transposes only up to rank 6. Splits and concats rather than slice / pad: on cpu those
 * two are registered fast kernels, while tfjs's strided Slice took a quarter of a forward.
 */
import * as tf from '@tensorflow/tfjs';

export type Vec3 = [number, number, number];

/**
 * MONAI's get_window_size: an axis no longer than the window gets a window of its own size and
 * no shift.
 */
export function windowAndShift(dims: Vec3, window: number, shift: number): { ws: Vec3; ss: Vec3 } {
  const ws = dims.map((d) => (d <= window ? d : window)) as Vec3;
  const ss = dims.map((d) => (d <= window ? 0 : shift)) as Vec3;
  return { ws, ss };
}

/**
 * relative_position_index of a window of edge w (MONAI's buffer, [w³, w³]), row-major:
 * index(i, j) = Σ (c_i − c_j + w − 1) · (2w − 1)^(2 − axis) over the (d, h, w) coordinates.
 */
export function relativePositionIndex(w: number): Int32Array {
  const n = w ** 3;
  const m = 2 * w - 1;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    const di = Math.floor(i / (w * w));
    const hi = Math.floor(i / w) % w;
    const wi = i % w;
    for (let j = 0; j < n; j++) {
      const dj = Math.floor(j / (w * w));
      const hj = Math.floor(j / w) % w;
      const wj = j % w;
      out[i * n + j] = (di - dj + w - 1) * m * m + (hi - hj + w - 1) * m + (wi - wj + w - 1);
    }
  }
  return out;
}

/**
 * The bias-table rows a window of n tokens reads: MONAI slices the full window's index to
 * `[:n, :n]` even when the window was clamped (e.g. 4³ at the last stage), so a clamped window
 * uses the first n token coordinates of the full 7³ window, not its own geometry. Kept for parity.
 */
export function truncatedIndex(full: Int32Array, w: number, n: number): Int32Array {
  const nf = w ** 3;
  if (n > nf) throw new Error(`window of ${n} tokens is larger than the ${w}³ window`);
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) out.set(full.subarray(i * nf, i * nf + n), i * n);
  return out;
}

/** Python's slice(start, stop) over length n → [lo, hi). */
function pySlice(start: number | null, stop: number | null, n: number): [number, number] {
  const norm = (v: number) => (v < 0 ? Math.max(0, n + v) : Math.min(v, n));
  const lo = start === null ? 0 : norm(start);
  const hi = stop === null ? n : norm(stop);
  return [lo, Math.max(lo, hi)];
}

/**
 * MONAI's compute_mask for the padded dims: region labels painted in its loop order (a zero
 * shift makes `slice(-0, None)` the whole axis, as in Python), then −100 between tokens of one
 * window with different labels. Returns [nW, N, N] flat, windows in (d, h, w) order.
 */
export function attentionMask(padded: Vec3, ws: Vec3, ss: Vec3): Float32Array {
  const [D, H, W] = padded;
  const label = new Float32Array(D * H * W);
  const regions = (a: number): [number, number][] => {
    const n = padded[a];
    return [pySlice(null, -ws[a], n), pySlice(-ws[a], -ss[a], n), pySlice(-ss[a], null, n)];
  };
  let cnt = 0;
  for (const [d0, d1] of regions(0))
    for (const [h0, h1] of regions(1))
      for (const [w0, w1] of regions(2)) {
        for (let d = d0; d < d1; d++) for (let h = h0; h < h1; h++) label.fill(cnt, (d * H + h) * W + w0, (d * H + h) * W + w1);
        cnt++;
      }
  const nd = D / ws[0];
  const nh = H / ws[1];
  const nw = W / ws[2];
  const N = ws[0] * ws[1] * ws[2];
  const mask = new Float32Array(nd * nh * nw * N * N);
  const tok = new Float32Array(N);
  let win = 0;
  for (let a = 0; a < nd; a++)
    for (let b = 0; b < nh; b++)
      for (let c = 0; c < nw; c++, win++) {
        let t = 0;
        for (let i = 0; i < ws[0]; i++)
          for (let j = 0; j < ws[1]; j++)
            for (let k = 0; k < ws[2]; k++) tok[t++] = label[((a * ws[0] + i) * H + b * ws[1] + j) * W + c * ws[2] + k];
        const base = win * N * N;
        for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) mask[base + i * N + j] = tok[i] === tok[j] ? 0 : -100;
      }
  return mask;
}

/** View x as [outer, shape[axis], inner] so an op on one spatial axis stays rank 3. */
function alongAxis(x: tf.Tensor5D, axis: number): { v: tf.Tensor3D; outer: number; inner: number } {
  const s = x.shape;
  const outer = s.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { v: tf.reshape(x, [outer, s[axis], inner]), outer, inner };
}

/** torch.roll(x, shifts, dims=(1,2,3)): out[i] = x[(i − shift) mod n] on each spatial axis. */
export function roll3(x: tf.Tensor5D, shifts: Vec3): tf.Tensor5D {
  let y = x;
  for (let a = 0; a < 3; a++) {
    const n = y.shape[a + 1];
    const s = ((shifts[a] % n) + n) % n;
    if (s === 0) continue;
    const [tail, head] = tf.split(alongAxis(y, a + 1).v, [n - s, s], 1);
    y = tf.reshape(tf.concat([head, tail], 1), y.shape);
  }
  return y;
}

/** Zero padding at the far end of each spatial axis (F.pad(x, (0,0, 0,pw, 0,ph, 0,pd))). */
export function padEnd3(x: tf.Tensor5D, pads: Vec3): tf.Tensor5D {
  let y = x;
  for (let a = 0; a < 3; a++) {
    if (pads[a] === 0) continue;
    const { v, outer, inner } = alongAxis(y, a + 1);
    const shape = [...y.shape] as [number, number, number, number, number];
    shape[a + 1] += pads[a];
    y = tf.reshape(tf.concat([v, tf.zeros([outer, pads[a], inner])], 1), shape);
  }
  return y;
}

/** x[:, :d, :h, :w, :] — undoes padEnd3. */
export function cropStart3(x: tf.Tensor5D, dims: Vec3): tf.Tensor5D {
  let y = x;
  for (let a = 0; a < 3; a++) {
    if (y.shape[a + 1] === dims[a]) continue;
    const shape = [...y.shape] as [number, number, number, number, number];
    shape[a + 1] = dims[a];
    const [kept] = tf.split(alongAxis(y, a + 1).v, [dims[a], y.shape[a + 1] - dims[a]], 1);
    y = tf.reshape(kept, shape);
  }
  return y;
}

/**
 * window_partition: [B, D, H, W, C] → [B·nW, N, C], windows in (b, d, h, w) order and tokens in
 * (d, h, w) order, through one rank-6 transpose.
 */
export function windowPartition(x: tf.Tensor5D, ws: Vec3): tf.Tensor3D {
  const [b, d, h, w, c] = x.shape;
  const [nd, nh, nw] = [d / ws[0], h / ws[1], w / ws[2]];
  const v = tf.reshape(x, [b * nd, ws[0], nh, ws[1], nw, ws[2] * c]);
  const t = tf.transpose(v, [0, 2, 4, 1, 3, 5]);
  return tf.reshape(t, [b * nd * nh * nw, ws[0] * ws[1] * ws[2], c]);
}

/** window_reverse: [B·nW, N, C] → [B, D, H, W, C]. */
export function windowReverse(windows: tf.Tensor3D, ws: Vec3, dims: [number, number, number, number]): tf.Tensor5D {
  const [b, d, h, w] = dims;
  const c = windows.shape[2];
  const [nd, nh, nw] = [d / ws[0], h / ws[1], w / ws[2]];
  const v = tf.reshape(windows, [b * nd, nh, nw, ws[0], ws[1], ws[2] * c]);
  const t = tf.transpose(v, [0, 3, 1, 4, 2, 5]);
  return tf.reshape(t, [b, d, h, w, c]);
}
