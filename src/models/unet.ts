/**
 * A 3-D U-Net as plain functions over named tf.Variables, so custom training loops can use
 * tf.variableGrads on exactly the variables they train and checkpoints address weights by name.
 *
 * Layout is channels-last [batch, z, y, x, channels]; a crop stored in NIfTI voxel order
 * (x fastest) is therefore `tensor(data, [1, nz, ny, nx, 1])` with no transposition.
 *
 * Every per-channel parameter is reshaped to [1,1,1,1,C] before it meets a 5-D tensor: tfjs
 * 4.22's webgpu backend compiles an invalid shader for 5-D ⊕ 1-D broadcasts and returns zeros.
 */
import * as tf from '@tensorflow/tfjs';
import type { UNetConfig } from './config.ts';
import { spatialMultiple } from './config.ts';
import { fastKernelsActive, registerConv3dTransposeGradient } from './kernels/index.ts';
import { normAffineActivate } from './kernels/norm.ts';

export type Params = Map<string, tf.Variable>;
export type UNetTap = (name: string, activation: tf.Tensor5D) => void;

export interface UNet3D {
  readonly config: UNetConfig;
  /** Named weights in a stable order (creation order). */
  readonly params: Params;
  /**
   * Logits [B, z, y, x, outChannels]. Batch-norm always uses the batch's statistics. `tap`, for
   * parity checks against other implementations, sees intermediate activations: `enc{l}.conv{i}`
   * (each encoder block after its activation), `enc{l}` (a level's output before pooling: the
   * skip) and `dec{l}` (a decoder level's output). They are disposed when apply returns unless
   * the callback copies them (tf.keep / tf.clone).
   */
  apply(x: tf.Tensor5D, tap?: UNetTap): tf.Tensor5D;
  /** The trainable variables, for tf.variableGrads / optimisers. */
  variables(): tf.Variable[];
  dispose(): void;
}

/** Shape of every parameter, by name, for a config (no tensors allocated). */
export function unetParamShapes(cfg: UNetConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const conv = (name: string, k: number, cin: number, cout: number) => {
    shapes.set(`${name}.kernel`, [k, k, k, cin, cout]);
    shapes.set(`${name}.bias`, [cout]);
  };
  const norm = (name: string, c: number) => {
    if (cfg.norm === 'none') return;
    shapes.set(`${name}.gamma`, [c]);
    shapes.set(`${name}.beta`, [c]);
  };
  if (cfg.encoder.length < 1 || cfg.encoder.some((l) => l.length < 1)) {
    throw new Error('UNetConfig.encoder needs at least one level with at least one conv');
  }
  let c = cfg.inChannels;
  const skips: number[] = [];
  cfg.encoder.forEach((widths, l) => {
    widths.forEach((w, i) => {
      conv(`enc${l}.conv${i}`, 3, c, w);
      norm(`enc${l}.norm${i}`, w);
      c = w;
    });
    skips.push(c);
  });
  for (let l = cfg.encoder.length - 2; l >= 0; l--) {
    // Transposed conv filter layout in tfjs: [d, h, w, outChannels, inChannels].
    shapes.set(`dec${l}.up.kernel`, [2, 2, 2, c, c]);
    shapes.set(`dec${l}.up.bias`, [c]);
    let cin = c + skips[l];
    const w = skips[l];
    for (let i = 0; i < 2; i++) {
      conv(`dec${l}.conv${i}`, 3, cin, w);
      norm(`dec${l}.norm${i}`, w);
      cin = w;
    }
    c = w;
  }
  conv('head', 1, c, cfg.outChannels);
  return shapes;
}

export function countParams(cfg: UNetConfig): number {
  let n = 0;
  for (const s of unetParamShapes(cfg).values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}

/**
 * 2×2×2 transposed conv with stride 2, i.e. tf.conv3dTranspose(x, kernel, 2× shape, 2, 'same').
 * With kernel = stride the output blocks do not overlap: out[2i + a] = x[i] · kernel[a] (as
 * PyTorch's ConvTranspose3d(k=2, s=2)). `kernel` keeps tfjs's transposed layout
 * [2, 2, 2, outChannels, inChannels]. Two equal formulations (same parameters, same numbers to
 * float rounding; tested fast against stock and against PyTorch):
 * - on the cpu backend with the fast kernels registered: tf.conv3dTranspose itself, trainable
 *   through registerConv3dTransposeGradient (tfjs 4.22 has no gradient for Conv3DBackpropInputV2);
 * - everywhere else: one matMul plus reshapes and a rank-6 transpose (wasm's
 *   Conv3DBackpropInputV2 is wrong, and stock kernels stay the comparison baseline).
 */
export function upsample2x(x: tf.Tensor5D, kernel: tf.Tensor5D): tf.Tensor5D {
  return tf.tidy(() => {
    const [b, d, h, w, cin] = x.shape;
    const cout = kernel.shape[3];
    if (kernel.shape[4] !== cin || kernel.shape[0] !== 2 || kernel.shape[1] !== 2 || kernel.shape[2] !== 2) {
      throw new Error(`upsample kernel [${kernel.shape}] does not fit ${cin} input channels`);
    }
    if (useTransposedConv()) {
      // The same numbers through the fast cpu Conv3DBackpropInputV2 (and, for its gradient,
      // stride-2 Conv3D / Conv3DBackpropFilterV2): ~20× cheaper there than matMul + rank-6 transposes.
      return tf.conv3dTranspose(x, kernel, [b, 2 * d, 2 * h, 2 * w, cout], 2, 'same');
    }
    const wm = tf.reshape(tf.transpose(kernel, [4, 0, 1, 2, 3]), [cin, 8 * cout]);
    const y = tf.matMul(tf.reshape(x, [b * d * h * w, cin]), wm);
    // [b·d, h, w, kd, kh, (kw, c)] → [b·d, kd, h, kh, w, (kw, c)]: rank ≤ 6 so every backend transposes it.
    const t = tf.transpose(tf.reshape(y, [b * d, h, w, 2, 2, 2 * cout]), [0, 3, 1, 4, 2, 5]);
    return tf.reshape(t, [b, 2 * d, 2 * h, 2 * w, cout]) as tf.Tensor5D;
  });
}

/**
 * Whether upsample2x may use tf.conv3dTranspose: only on the cpu backend with the fast kernels
 * registered (registerFastKernels), after registering its gradient. Elsewhere the matMul form
 * stays: the wasm backend's Conv3DBackpropInputV2 is wrong, stock kernels are kept for comparison,
 * and on webgpu (Dawn + lavapipe, docs/benchmarks.md) the matMul network's step measured faster.
 */
function useTransposedConv(): boolean {
  if (tf.getBackend() !== 'cpu' || !fastKernelsActive('cpu')) return false;
  registerConv3dTransposeGradient();
  return true;
}

function initialValue(name: string, shape: number[], seed: number): tf.Tensor {
  if (name.endsWith('.gamma')) return tf.ones(shape);
  if (name.endsWith('.beta') || name.endsWith('.bias')) return tf.zeros(shape);
  // He normal over the fan-in; transposed kernels are [k,k,k,out,in] so their fan-in is k³·in.
  const k = shape[0] * shape[1] * shape[2];
  const fanIn = name.includes('.up.') ? k * shape[4] : k * shape[3];
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}

/**
 * Build a U-Net. With `weights`, every parameter must be present with the right shape (the
 * tensors are copied into new variables; the caller keeps ownership of `weights`).
 */
export function createUNet(cfg: UNetConfig, weights?: Map<string, tf.Tensor>): UNet3D {
  const shapes = unetParamShapes(cfg);
  const params: Params = new Map();
  let idx = 0;
  for (const [name, shape] of shapes) {
    const seed = cfg.seed * 100003 + idx++;
    let v: tf.Variable;
    if (weights) {
      const w = weights.get(name);
      if (!w) throw new Error(`weights lack parameter "${name}" required by this U-Net config`);
      if (!tf.util.arraysEqual(w.shape, shape)) {
        throw new Error(`parameter "${name}" has shape [${w.shape}] but the config needs [${shape}]`);
      }
      v = tf.tidy(() => tf.variable(tf.cast(w, 'float32'), true));
    } else {
      v = tf.tidy(() => tf.variable(initialValue(name, shape, seed), true));
    }
    params.set(name, v);
  }
  const get = (n: string): tf.Variable => {
    const v = params.get(n);
    if (!v) throw new Error(`missing parameter ${n}`);
    return v;
  };
  const as5d = (n: string): tf.Tensor5D => {
    const v = get(n);
    return tf.reshape(v, [1, 1, 1, 1, v.shape[0]]) as tf.Tensor5D;
  };
  const act = (x: tf.Tensor5D): tf.Tensor5D => {
    switch (cfg.activation) {
      case 'relu':
        return tf.relu(x);
      case 'leakyRelu':
        return tf.leakyRelu(x, cfg.leakySlope);
      case 'elu':
        return tf.elu(x);
    }
  };
  // Conv bias, normalisation and activation together: one fused kernel each way on the cpu backend
  // with the fast kernels, the original composite of tfjs ops elsewhere (kernels/norm.ts).
  const convNormAct = (x: tf.Tensor5D, conv_: string, norm_: string): tf.Tensor5D => {
    if (cfg.norm === 'none') return act(conv(x, conv_));
    return normAffineActivate(convNoBias(x, conv_), as5d(`${conv_}.bias`), as5d(`${norm_}.gamma`), as5d(`${norm_}.beta`), {
      axes: cfg.norm,
      eps: cfg.normEps,
      activation: cfg.activation,
      leakySlope: cfg.leakySlope,
    });
  };
  const convNoBias = (x: tf.Tensor5D, name: string): tf.Tensor5D => tf.conv3d(x, get(`${name}.kernel`) as tf.Tensor5D, 1, 'same');
  const conv = (x: tf.Tensor5D, name: string): tf.Tensor5D => tf.add(convNoBias(x, name), as5d(`${name}.bias`)) as tf.Tensor5D;
  // Its own tidy: the conv and norm temporaries go when the block ends instead of when apply()
  // does (at 96³ the whole forward's temporaries would be several GB); the tape keeps what
  // gradients need.
  const block = (x: tf.Tensor5D, conv_: string, norm_: string): tf.Tensor5D => tf.tidy(() => convNormAct(x, conv_, norm_));

  const multiple = spatialMultiple(cfg);
  const apply = (x: tf.Tensor5D, tap?: UNetTap): tf.Tensor5D =>
    tf.tidy(() => {
      if (x.rank !== 5) throw new Error(`U-Net input must be 5-D [B,z,y,x,C], got rank ${x.rank}`);
      if (x.shape[4] !== cfg.inChannels) {
        throw new Error(`U-Net expects ${cfg.inChannels} input channel(s), got ${x.shape[4]}`);
      }
      for (let a = 1; a <= 3; a++) {
        if (x.shape[a] % multiple !== 0) {
          throw new Error(`U-Net spatial size [${x.shape.slice(1, 4)}] must be divisible by ${multiple}`);
        }
      }
      let h = x;
      const skips: tf.Tensor5D[] = [];
      cfg.encoder.forEach((widths, l) => {
        if (l > 0) h = tf.maxPool3d(h, 2, 2, 'valid');
        widths.forEach((_, i) => {
          h = block(h, `enc${l}.conv${i}`, `enc${l}.norm${i}`);
          tap?.(`enc${l}.conv${i}`, h);
        });
        tap?.(`enc${l}`, h);
        skips.push(h);
      });
      for (let l = cfg.encoder.length - 2; l >= 0; l--) {
        h = tf.add(upsample2x(h, get(`dec${l}.up.kernel`) as tf.Tensor5D), as5d(`dec${l}.up.bias`)) as tf.Tensor5D;
        h = tf.concat([h, skips[l]], 4);
        h = block(h, `dec${l}.conv0`, `dec${l}.norm0`);
        h = block(h, `dec${l}.conv1`, `dec${l}.norm1`);
        tap?.(`dec${l}`, h);
      }
      return conv(h, 'head');
    });

  return {
    config: cfg,
    params,
    apply,
    variables: () => [...params.values()],
    dispose: () => {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}
