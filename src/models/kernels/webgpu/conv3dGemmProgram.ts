/**
 * Implicit-GEMM WGSL for conv3d and its gradients, written against tfjs-backend-webgpu's program
 * contract (WebGPUProgram: variableNames, outputShape, dispatch, workgroupSize, getUserCode); the
 * backend prepends buffer bindings and helpers and runs it with runWebGPUProgram.
 *
 * One template, three operand loaders. A 64-thread workgroup computes a 32×32 tile of C with a
 * 4×4 block per thread; each 16-deep slice of A and B is staged in workgroup memory (2 × 2 KiB),
 * so every global load feeds 32 multiply-adds instead of one as in tfjs's naive programs.
 *   fwd:        C[P, out]  = Xcol[P, K] · W[K, out]              (K = fd·fh·fw·in, gathered from x)
 *   bwdInput:   C[Pin, in] = dYcol[Pin, K'] · W'[K', in]         (K' = fd·fh·fw·out; the gather
 *               keeps only taps with (i + pad − t) divisible by the stride, so any stride works)
 *   bwdFilter:  C[K, out]  = Σ_split Xcolᵀ[K, P_split] · dY[P_split, out]: split-K partials
 *               [splits, K, out], summed by Conv3DSplitSumProgram (WGSL has no float atomics).
 * The geometry is baked in as constants (one pipeline per layer shape, cached by shaderKey), so
 * the compiler sees constant divisors in the index arithmetic.
 */
import type { Conv3DGeom } from '../cpu/conv3d.ts';

export type GemmMode = 'fwd' | 'bwdInput' | 'bwdFilter';

const BM = 32;
const BN = 32;
const BK = 16;

interface ProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}

/** M, N, K of the implicit GEMM and whether A's k index is the contiguous one in memory. */
export function gemmDims(mode: GemmMode, g: Conv3DGeom): { M: number; N: number; K: number } {
  const taps = g.fD * g.fH * g.fW;
  const P = g.batch * g.outD * g.outH * g.outW;
  const Pin = g.batch * g.inD * g.inH * g.inW;
  if (mode === 'fwd') return { M: P, N: g.outC, K: taps * g.inC };
  if (mode === 'bwdInput') return { M: Pin, N: g.inC, K: taps * g.outC };
  return { M: taps * g.inC, N: g.outC, K: P };
}

const geomKey = (g: Conv3DGeom) =>
  [g.batch, g.inD, g.inH, g.inW, g.inC, g.outD, g.outH, g.outW, g.outC, g.fD, g.fH, g.fW, g.sD, g.sH, g.sW, g.padD, g.padH, g.padW].join('_');

export class Conv3DGemmProgram implements ProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number] = [64, 1, 1];
  /** tfjs always binds the uniform buffer; a shader that never reads it loses the binding. */
  size = true;
  private readonly M: number;
  private readonly N: number;
  private readonly K: number;
  private readonly tilesM: number;
  private readonly tilesN: number;
  /** K range per split (a multiple of BK); 1 split except for bwdFilter. */
  private readonly kPerSplit: number;
  readonly splits: number;

  constructor(private readonly mode: GemmMode, private readonly g: Conv3DGeom, outputShape: number[]) {
    const { M, N, K } = gemmDims(mode, g);
    this.M = M;
    this.N = N;
    this.K = K;
    this.tilesM = Math.ceil(M / BM);
    this.tilesN = Math.ceil(N / BN);
    const tiles = this.tilesM * this.tilesN;
    // The filter gradient has few output tiles and a huge inner dimension: split it so the GPU
    // gets a few hundred workgroups.
    const wantSplits = mode === 'bwdFilter' ? Math.max(1, Math.min(Math.ceil(256 / tiles), Math.ceil(K / (BK * 8)))) : 1;
    this.kPerSplit = Math.ceil(Math.ceil(K / wantSplits) / BK) * BK;
    this.splits = Math.ceil(K / this.kPerSplit);
    this.outputShape = this.splits > 1 ? [this.splits, M, N] : outputShape;
    this.dispatchLayout = { x: this.outputShape.map((_, i) => i) };
    this.dispatch = [tiles * this.splits, 1, 1];
    this.variableNames = mode === 'fwd' ? ['xin', 'wgt'] : mode === 'bwdInput' ? ['dyin', 'wgt'] : ['xin', 'dyin'];
    this.shaderKey = `ftconv3dgemm_${mode}_${geomKey(g)}_${this.splits}`;
  }

  /** WGSL returning operand A at (m, k), zero outside the volume. */
  private loadA(): string {
    const g = this.g;
    if (this.mode === 'fwd') {
      return `
  fn loadA(m: i32, k: i32) -> f32 {
    if (m >= ${this.M} || k >= ${this.K}) { return 0.0; }
    let ow = m % ${g.outW}; let t0 = m / ${g.outW};
    let oh = t0 % ${g.outH}; let t1 = t0 / ${g.outH};
    let od = t1 % ${g.outD}; let b = t1 / ${g.outD};
    let ci = k % ${g.inC}; let u0 = k / ${g.inC};
    let fw = u0 % ${g.fW}; let u1 = u0 / ${g.fW};
    let fh = u1 % ${g.fH}; let fd = u1 / ${g.fH};
    let id = od * ${g.sD} - ${g.padD} + fd;
    let ih = oh * ${g.sH} - ${g.padH} + fh;
    let iw = ow * ${g.sW} - ${g.padW} + fw;
    if (id < 0 || id >= ${g.inD} || ih < 0 || ih >= ${g.inH} || iw < 0 || iw >= ${g.inW}) { return 0.0; }
    return xin[(((b * ${g.inD} + id) * ${g.inH} + ih) * ${g.inW} + iw) * ${g.inC} + ci];
  }`;
    }
    if (this.mode === 'bwdInput') {
      // dx[b, i, ci] = Σ_{t, co} dy[b, (i + pad − t)/s, co] · w[t, ci, co] over exact divisions.
      return `
  fn loadA(m: i32, k: i32) -> f32 {
    if (m >= ${this.M} || k >= ${this.K}) { return 0.0; }
    let iw = m % ${g.inW}; let t0 = m / ${g.inW};
    let ih = t0 % ${g.inH}; let t1 = t0 / ${g.inH};
    let id = t1 % ${g.inD}; let b = t1 / ${g.inD};
    let co = k % ${g.outC}; let u0 = k / ${g.outC};
    let fw = u0 % ${g.fW}; let u1 = u0 / ${g.fW};
    let fh = u1 % ${g.fH}; let fd = u1 / ${g.fH};
    let nd = id + ${g.padD} - fd;
    let nh = ih + ${g.padH} - fh;
    let nw = iw + ${g.padW} - fw;
    if (nd < 0 || nh < 0 || nw < 0) { return 0.0; }
    if (nd % ${g.sD} != 0 || nh % ${g.sH} != 0 || nw % ${g.sW} != 0) { return 0.0; }
    let od = nd / ${g.sD}; let oh = nh / ${g.sH}; let ow = nw / ${g.sW};
    if (od >= ${g.outD} || oh >= ${g.outH} || ow >= ${g.outW}) { return 0.0; }
    return dyin[(((b * ${g.outD} + od) * ${g.outH} + oh) * ${g.outW} + ow) * ${g.outC} + co];
  }`;
    }
    // bwdFilter: A[m = (tap, ci), k = output position p]
    return `
  fn loadA(m: i32, k: i32) -> f32 {
    if (m >= ${this.M} || k >= ${this.K}) { return 0.0; }
    let ci = m % ${g.inC}; let u0 = m / ${g.inC};
    let fw = u0 % ${g.fW}; let u1 = u0 / ${g.fW};
    let fh = u1 % ${g.fH}; let fd = u1 / ${g.fH};
    let ow = k % ${g.outW}; let t0 = k / ${g.outW};
    let oh = t0 % ${g.outH}; let t1 = t0 / ${g.outH};
    let od = t1 % ${g.outD}; let b = t1 / ${g.outD};
    let id = od * ${g.sD} - ${g.padD} + fd;
    let ih = oh * ${g.sH} - ${g.padH} + fh;
    let iw = ow * ${g.sW} - ${g.padW} + fw;
    if (id < 0 || id >= ${g.inD} || ih < 0 || ih >= ${g.inH} || iw < 0 || iw >= ${g.inW}) { return 0.0; }
    return xin[(((b * ${g.inD} + id) * ${g.inH} + ih) * ${g.inW} + iw) * ${g.inC} + ci];
  }`;
  }

  /** WGSL returning operand B at (k, n). */
  private loadB(): string {
    const g = this.g;
    if (this.mode === 'fwd') {
      return `
  fn loadB(k: i32, n: i32) -> f32 {
    if (k >= ${this.K} || n >= ${this.N}) { return 0.0; }
    return wgt[k * ${this.N} + n];
  }`;
    }
    if (this.mode === 'bwdInput') {
      // B[(t, co), ci] = w[t, ci, co]
      return `
  fn loadB(k: i32, n: i32) -> f32 {
    if (k >= ${this.K} || n >= ${this.N}) { return 0.0; }
    let co = k % ${g.outC}; let t = k / ${g.outC};
    return wgt[(t * ${g.inC} + n) * ${g.outC} + co];
  }`;
    }
    return `
  fn loadB(k: i32, n: i32) -> f32 {
    if (k >= ${this.K} || n >= ${this.N}) { return 0.0; }
    return dyin[k * ${this.N} + n];
  }`;
  }

  getUserCode(): string {
    // A is staged k-major (kk fastest over threads) when consecutive k are adjacent in memory
    // (channels), m-major for the filter gradient where consecutive m (= channels) are.
    const aKFastest = this.mode !== 'bwdFilter';
    const aIdx = aKFastest
      ? 'let kk = e % BK; let mm = e / BK;'
      : 'let mm = e % BM; let kk = e / BM;';
    return `
  const BM = ${BM};
  const BN = ${BN};
  const BK = ${BK};
  var<workgroup> As: array<vec4<f32>, ${(BK * BM) / 4}>;
  var<workgroup> Bs: array<vec4<f32>, ${(BK * BN) / 4}>;
  ${this.loadA()}
  ${this.loadB()}

  ${'fn main(index: i32)'} {
    let wg = i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x);
    let valid = wg < ${this.tilesM * this.tilesN * this.splits} && uniforms.size > 0;
    let split = wg / ${this.tilesM * this.tilesN};
    let tile = wg % ${this.tilesM * this.tilesN};
    let m0 = (tile / ${this.tilesN}) * BM;
    let n0 = (tile % ${this.tilesN}) * BN;
    let kBegin = split * ${this.kPerSplit};
    let kEnd = min(kBegin + ${this.kPerSplit}, ${this.K});
    let lid = i32(localIndex);
    let tx = lid % 8;
    let ty = lid / 8;
    var acc: array<vec4<f32>, 4>;
    // A constant trip count keeps the barriers in uniform control flow: tfjs copies the builtins
    // into private variables, which the uniformity analysis treats as non-uniform.
    for (var kt = 0; kt < ${this.kPerSplit}; kt = kt + BK) {
      let k0 = kBegin + kt;
      for (var r = 0; r < 8; r = r + 1) {
        let e = lid + r * 64;
        ${aIdx}
        var va = 0.0;
        if (valid && k0 + kk < kEnd) { va = loadA(m0 + mm, k0 + kk); }
        As[kk * (BM / 4) + mm / 4][mm % 4] = va;
        let nn = e % BN; let kb = e / BN;
        var vb = 0.0;
        if (valid && k0 + kb < kEnd) { vb = loadB(k0 + kb, n0 + nn); }
        Bs[kb * (BN / 4) + nn / 4][nn % 4] = vb;
      }
      workgroupBarrier();
      for (var kk = 0; kk < BK; kk = kk + 1) {
        let a = As[kk * (BM / 4) + ty];
        let b = Bs[kk * (BN / 4) + tx];
        acc[0] = fma(vec4<f32>(a.x), b, acc[0]);
        acc[1] = fma(vec4<f32>(a.y), b, acc[1]);
        acc[2] = fma(vec4<f32>(a.z), b, acc[2]);
        acc[3] = fma(vec4<f32>(a.w), b, acc[3]);
      }
      workgroupBarrier();
    }
    if (!valid) { return; }
    for (var i = 0; i < 4; i = i + 1) {
      let m = m0 + ty * 4 + i;
      if (m >= ${this.M}) { break; }
      for (var j = 0; j < 4; j = j + 1) {
        let n = n0 + tx * 4 + j;
        if (n < ${this.N}) { result[(split * ${this.M} + m) * ${this.N} + n] = acc[i][j]; }
      }
    }
  }`;
  }
}

/** Sums split-K partials [splits, size] into [size]. */
export class Conv3DSplitSumProgram implements ProgramLike {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames = ['partials'];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(private readonly splits: number, private readonly count: number, outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(count / 64), 1, 1];
    this.shaderKey = `ftconv3dsplitsum_${splits}_${count}`;
  }

  getUserCode(): string {
    return `
  fn main(index: i32) {
    if (index < uniforms.size) {
      var s = 0.0;
      for (var i = 0; i < ${this.splits}; i = i + 1) { s = s + partials[i * ${this.count} + index]; }
      result[index] = s;
    }
  }`;
  }
}
