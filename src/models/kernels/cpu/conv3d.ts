/**
 * 3-D convolution and its two gradients over channels-last Float32Arrays (NDHWC, filters
 * [fd, fh, fw, in, out] as tfjs lays them out), as im2col + the WebAssembly SIMD product in
 * wasmGemm.ts. Dilation is 1 (the callers fall back to tfjs's kernels otherwise).
 *
 * Rows of the implicit GEMM are output positions, processed in chunks sized so a chunk's
 * patch matrix stays in L2; the packed filter stays resident in the module's memory for the call.
 *   forward:          Y[P, out]  = Xcol[P, K] · W[K, out]                     (K = fd·fh·fw·in)
 *   backprop filter:  dW[K, out] = Xcolᵀ[K, P] · dY[P, out]
 *   backprop input:   stride 1: dX = correlate(dY, W flipped and transposed) (the forward path);
 *                     stride > 1: dXcol[P, K] = dY · Wᵀ, then scatter-added (col2im).
 */
import { WasmArena, wasmGemm, type WasmGemm } from './wasmGemm.ts';

export interface Conv3DGeom {
  batch: number;
  inD: number; inH: number; inW: number; inC: number;
  outD: number; outH: number; outW: number; outC: number;
  fD: number; fH: number; fW: number;
  sD: number; sH: number; sW: number;
  /** Padding before the first input voxel along each axis (after is implied by the sizes). */
  padD: number; padH: number; padW: number;
}

/** Floats of patch matrix per chunk: 128 Ki floats = 512 KiB, half of this CPU's L2. */
const CHUNK_FLOATS = 1 << 17;

function chunkRows(k: number, p: number): number {
  const rows = Math.max(4, Math.floor(CHUNK_FLOATS / Math.max(1, k)) & ~3);
  return Math.min(rows, (p + 3) & ~3);
}

let arena: WasmArena | undefined;
function engine(): { w: WasmGemm; a: WasmArena } {
  const w = wasmGemm();
  if (!w) throw new Error('WebAssembly SIMD is unavailable: the fast conv3d kernels cannot run');
  arena ??= new WasmArena(w);
  arena.reset();
  return { w, a: arena };
}

/** Whether these kernels can run in this engine. */
export function fastConv3dAvailable(): boolean {
  return wasmGemm() !== null;
}

/**
 * Write the patch row of output position p (flattened b, od, oh, ow) into f at `dst`, with
 * element stride `es` (1 for Xcol, the chunk height for Xcolᵀ). The target is pre-zeroed, so
 * only in-range taps are written; each in-range (id, ih) pair contributes one contiguous run
 * over (fw, in) when all its fw taps are inside the volume.
 */
function patchRow(x: Float32Array, g: Conv3DGeom, p: number, f: Float32Array, dst: number, es: number): void {
  const { inD, inH, inW, inC, outD, outH, outW, fD, fH, fW } = g;
  const ow = p % outW;
  let q = (p - ow) / outW;
  const oh = q % outH;
  q = (q - oh) / outH;
  const od = q % outD;
  const b = (q - od) / outD;
  const d0 = od * g.sD - g.padD;
  const h0 = oh * g.sH - g.padH;
  const w0 = ow * g.sW - g.padW;
  const wLo = Math.max(0, -w0);
  const wHi = Math.min(fW, inW - w0);
  if (wHi <= wLo) return;
  const run = (wHi - wLo) * inC;
  for (let fd = 0; fd < fD; fd++) {
    const id = d0 + fd;
    if (id < 0 || id >= inD) continue;
    for (let fh = 0; fh < fH; fh++) {
      const ih = h0 + fh;
      if (ih < 0 || ih >= inH) continue;
      const src = (((b * inD + id) * inH + ih) * inW + w0 + wLo) * inC;
      const k0 = ((fd * fH + fh) * fW + wLo) * inC;
      if (es === 1) {
        const o = dst + k0;
        for (let t = 0; t < run; t++) f[o + t] = x[src + t];
      } else {
        let o = dst + k0 * es;
        for (let t = 0; t < run; t++, o += es) f[o] = x[src + t];
      }
    }
  }
}

/** Pack rows [r0, r0+rows) of a row-major [*, n] matrix into 8-column panels at f[dst]. */
function packPanels(src: Float32Array, srcOff: number, rows: number, n: number, f: Float32Array, dst: number): void {
  const panels = (n + 7) >> 3;
  for (let j = 0; j < panels; j++) {
    const j0 = j * 8;
    const w = Math.min(8, n - j0);
    let o = dst + j * rows * 8;
    for (let r = 0; r < rows; r++, o += 8) {
      const s = srcOff + r * n + j0;
      for (let c = 0; c < w; c++) f[o + c] = src[s + c];
      for (let c = w; c < 8; c++) f[o + c] = 0;
    }
  }
}

/** y = x ⋆ w (cross-correlation), with w as a row-major [K, outC] matrix. */
function correlate(x: Float32Array, w: Float32Array, g: Conv3DGeom, y: Float32Array): Float32Array {
  const { w: m, a } = engine();
  const K = g.fD * g.fH * g.fW * g.inC;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const P = g.batch * g.outD * g.outH * g.outW;
  const pc = chunkRows(K, P);
  const pB = a.alloc(panels * K * 8);
  const pA = a.alloc(pc * K);
  const pC = a.alloc(pc * np);
  const f = a.f32();
  packPanels(w, 0, K, N, f, pB >> 2);
  const fa = pA >> 2;
  const fc = pC >> 2;
  for (let p0 = 0; p0 < P; p0 += pc) {
    const rows = Math.min(pc, P - p0);
    const rows4 = (rows + 3) & ~3;
    f.fill(0, fa, fa + rows4 * K);
    f.fill(0, fc, fc + rows4 * np);
    for (let r = 0; r < rows; r++) patchRow(x, g, p0 + r, f, fa + r * K, 1);
    m.gemm(pA, K * 4, rows4 >> 2, K, pB, panels, pC, np * 4);
    if (np === N) {
      y.set(f.subarray(fc, fc + rows * N), p0 * N);
    } else {
      for (let r = 0; r < rows; r++) {
        const s = fc + r * np;
        const d = (p0 + r) * N;
        for (let c = 0; c < N; c++) y[d + c] = f[s + c];
      }
    }
  }
  return y;
}

export function conv3dForward(x: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const y = new Float32Array(g.batch * g.outD * g.outH * g.outW * g.outC);
  return correlate(x, w, g, y);
}

/** dW [fd, fh, fw, in, out] from the layer input x and the output gradient dy. */
export function conv3dBackpropFilter(x: Float32Array, dy: Float32Array, g: Conv3DGeom): Float32Array {
  const { w: m, a } = engine();
  const K = g.fD * g.fH * g.fW * g.inC;
  const K4 = (K + 3) & ~3;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const P = g.batch * g.outD * g.outH * g.outW;
  const pc = chunkRows(K, P);
  const pA = a.alloc(K4 * pc);
  const pB = a.alloc(panels * pc * 8);
  const pC = a.alloc(K4 * np);
  const f = a.f32();
  const fa = pA >> 2;
  f.fill(0, pC >> 2, (pC >> 2) + K4 * np);
  for (let p0 = 0; p0 < P; p0 += pc) {
    const rows = Math.min(pc, P - p0);
    // Xcolᵀ is [K4, rows] with row stride pc: the GEMM's inner dimension is the chunk's positions.
    f.fill(0, fa, fa + K4 * pc);
    for (let r = 0; r < rows; r++) patchRow(x, g, p0 + r, f, fa + r, pc);
    packPanels(dy, p0 * N, rows, N, f, pB >> 2);
    m.gemm(pA, pc * 4, K4 >> 2, rows, pB, panels, pC, np * 4);
  }
  const dw = new Float32Array(K * N);
  const fc = pC >> 2;
  for (let k = 0; k < K; k++) for (let c = 0; c < N; c++) dw[k * N + c] = f[fc + k * np + c];
  return dw;
}

/** dX [batch, inD, inH, inW, inC] from the output gradient dy and the filter w. */
export function conv3dBackpropInput(dy: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  if (g.sD === 1 && g.sH === 1 && g.sW === 1) return backpropInputStride1(dy, w, g);
  return backpropInputCol2im(dy, w, g);
}

function backpropInputStride1(dy: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const { fD, fH, fW, inC, outC } = g;
  // w'[fd, fh, fw, out, in] = w[fD-1-fd, fH-1-fh, fW-1-fw, in, out]
  const wt = new Float32Array(w.length);
  for (let fd = 0; fd < fD; fd++)
    for (let fh = 0; fh < fH; fh++)
      for (let fw = 0; fw < fW; fw++) {
        const tap = (fd * fH + fh) * fW + fw;
        const flip = ((fD - 1 - fd) * fH + (fH - 1 - fh)) * fW + (fW - 1 - fw);
        for (let ci = 0; ci < inC; ci++)
          for (let co = 0; co < outC; co++) wt[(tap * outC + co) * inC + ci] = w[(flip * inC + ci) * outC + co];
      }
  const gt: Conv3DGeom = {
    batch: g.batch,
    inD: g.outD, inH: g.outH, inW: g.outW, inC: outC,
    outD: g.inD, outH: g.inH, outW: g.inW, outC: inC,
    fD, fH, fW, sD: 1, sH: 1, sW: 1,
    padD: fD - 1 - g.padD, padH: fH - 1 - g.padH, padW: fW - 1 - g.padW,
  };
  return correlate(dy, wt, gt, new Float32Array(g.batch * g.inD * g.inH * g.inW * inC));
}

function backpropInputCol2im(dy: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const { w: m, a } = engine();
  const { inD, inH, inW, inC, outD, outH, outW, outC, fD, fH, fW } = g;
  const K = fD * fH * fW * inC;
  const panels = (K + 7) >> 3;
  const kp = panels * 8;
  const P = g.batch * outD * outH * outW;
  const pc = chunkRows(kp, P);
  const pB = a.alloc(panels * outC * 8);
  const pA = a.alloc(pc * outC);
  const pC = a.alloc(pc * kp);
  const f = a.f32();
  // Wᵀ [outC, K] packed: panel j, row co, column c holds w[(j·8 + c)·outC + co].
  const fb = pB >> 2;
  for (let j = 0; j < panels; j++)
    for (let co = 0; co < outC; co++)
      for (let c = 0; c < 8; c++) {
        const k = j * 8 + c;
        f[fb + (j * outC + co) * 8 + c] = k < K ? w[k * outC + co] : 0;
      }
  const dx = new Float32Array(g.batch * inD * inH * inW * inC);
  const fa = pA >> 2;
  const fc = pC >> 2;
  for (let p0 = 0; p0 < P; p0 += pc) {
    const rows = Math.min(pc, P - p0);
    const rows4 = (rows + 3) & ~3;
    f.fill(0, fa, fa + rows4 * outC);
    f.set(dy.subarray(p0 * outC, (p0 + rows) * outC), fa);
    f.fill(0, fc, fc + rows4 * kp);
    m.gemm(pA, outC * 4, rows4 >> 2, outC, pB, panels, pC, kp * 4);
    for (let r = 0; r < rows; r++) {
      const p = p0 + r;
      const ow = p % outW;
      let q = (p - ow) / outW;
      const oh = q % outH;
      q = (q - oh) / outH;
      const od = q % outD;
      const b = (q - od) / outD;
      const d0 = od * g.sD - g.padD;
      const h0 = oh * g.sH - g.padH;
      const w0 = ow * g.sW - g.padW;
      const wLo = Math.max(0, -w0);
      const wHi = Math.min(fW, inW - w0);
      if (wHi <= wLo) continue;
      const run = (wHi - wLo) * inC;
      const row = fc + r * kp;
      for (let fd = 0; fd < fD; fd++) {
        const id = d0 + fd;
        if (id < 0 || id >= inD) continue;
        for (let fh = 0; fh < fH; fh++) {
          const ih = h0 + fh;
          if (ih < 0 || ih >= inH) continue;
          const dst = (((b * inD + id) * inH + ih) * inW + w0 + wLo) * inC;
          const src = row + ((fd * fH + fh) * fW + wLo) * inC;
          for (let t = 0; t < run; t++) dx[dst + t] += f[src + t];
        }
      }
    }
  }
  return dx;
}
