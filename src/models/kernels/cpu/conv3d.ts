/**
 * 3-D convolution and its two gradients over channels-last Float32Arrays (NDHWC, filters
 * [fd, fh, fw, in, out] as tfjs lays them out), on the WebAssembly SIMD products in wasmGemm.ts.
 * Dilation is 1 (the callers fall back to tfjs's kernels otherwise). Single-threaded: tfjs
 * kernels are synchronous, and blocking the caller on worker threads needs Atomics.wait, which
 * browsers forbid on the main thread.
 *
 * Per output plane (b, od), the fD input planes it reads are copied into a zero-padded slab in
 * the module's memory, and the products read patches straight from the slab:
 *   forward:          Y[P, out]  = Xcol[P, K] · W[K, out]   (K = fd·fh·fw·in; gemm, A gathered)
 *   backprop filter:  dW[K, out] = Xcolᵀ[K, P] · dY[P, out] (gemmT, inner dimension over voxels)
 *   backprop input:   stride 1: dX = correlate(dY, W flipped and transposed), a forward pass;
 *                     stride > 1: dXcol[P, K] = dY · Wᵀ in chunks sized for L2, then col2im.
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

/**
 * y = x ⋆ w (cross-correlation), with w as a row-major [K, outC] matrix, as an implicit GEMM:
 * per output plane (b, od) the fD input planes it reads are copied once into a zero-padded slab,
 * and the kernel reads patch rows straight from the slab through a row table (one entry per
 * output voxel, the same for every plane) and a segment table (one entry per (fd, fh) tap pair).
 * The patch matrix, 27× the input, is never written.
 */
function correlate(x: Float32Array, w: Float32Array, g: Conv3DGeom, y: Float32Array): Float32Array {
  const { w: m, a } = engine();
  const { inD, inH, inW, inC, outD, outH, outW, fD, fH, fW, sD, sH, sW } = g;
  const K = fD * fH * fW * inC;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const Hp = Math.max(inH + g.padH, (outH - 1) * sH + fH);
  const Wp = Math.max(inW + g.padW, (outW - 1) * sW + fW);
  const plane = outH * outW;
  const rows4 = (plane + 3) & ~3;
  const slabFloats = fD * Hp * Wp * inC;
  const pB = a.alloc(panels * K * 8);
  const pS = a.alloc(slabFloats);
  const pR = a.alloc(rows4);
  const pT = a.alloc(fD * fH);
  const pC = a.alloc(rows4 * np);
  const f = a.f32();
  const iv = a.i32();
  packPanels(w, 0, K, N, f, pB >>> 2);
  for (let r = 0; r < rows4; r++) {
    const oh = r < plane ? Math.floor(r / outW) : 0;
    const ow = r < plane ? r % outW : 0;
    iv[(pR >>> 2) + r] = pS + ((oh * sH * Wp + ow * sW) * inC) * 4;
  }
  for (let fd = 0; fd < fD; fd++) for (let fh = 0; fh < fH; fh++) iv[(pT >>> 2) + fd * fH + fh] = (fd * Hp + fh) * Wp * inC * 4;
  // Keep each call's share of packed filter within ~256 KiB so it stays in L2 for wide layers.
  const group = Math.max(1, Math.floor((1 << 16) / (K * 8)));
  const fs = pS >>> 2;
  const fc = pC >>> 2;
  const rowLen = inW * inC;
  for (let b = 0; b < g.batch; b++) {
    for (let od = 0; od < outD; od++) {
      f.fill(0, fs, fs + slabFloats);
      for (let fd = 0; fd < fD; fd++) {
        const id = od * sD - g.padD + fd;
        if (id < 0 || id >= inD) continue;
        for (let ih = 0; ih < inH; ih++) {
          const src = ((b * inD + id) * inH + ih) * rowLen;
          f.set(x.subarray(src, src + rowLen), fs + ((fd * Hp + ih + g.padH) * Wp + g.padW) * inC);
        }
      }
      f.fill(0, fc, fc + rows4 * np);
      for (let j = 0; j < panels; j += group) {
        const pj = Math.min(group, panels - j);
        m.gemm(pR, rows4 >>> 2, pT, fD * fH, fW * inC, pB + j * K * 32, pj, K * 32, 32, pC + j * 32, np * 4);
      }
      const d = (b * outD + od) * plane * N;
      if (np === N) {
        y.set(f.subarray(fc, fc + plane * N), d);
      } else {
        for (let r = 0; r < plane; r++) {
          const s0 = fc + r * np;
          const d0 = d + r * N;
          for (let c = 0; c < N; c++) y[d0 + c] = f[s0 + c];
        }
      }
    }
  }
  return y;
}

export function conv3dForward(x: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const y = new Float32Array(g.batch * g.outD * g.outH * g.outW * g.outC);
  return correlate(x, w, g, y);
}

/**
 * dW [fd, fh, fw, in, out] from the layer input x and the output gradient dy. Per output plane
 * the fD input planes are copied into a padded slab (as in correlate) and gemmT accumulates
 * dW[k, n] += Σ_voxels slab[voxel + tap k] · dY[voxel, n] straight from it: no patch matrix.
 */
export function conv3dBackpropFilter(x: Float32Array, dy: Float32Array, g: Conv3DGeom): Float32Array {
  const { w: m, a } = engine();
  const { inD, inH, inW, inC, outD, outH, outW, fD, fH, fW, sD, sH, sW } = g;
  const K = fD * fH * fW * inC;
  const K4 = (K + 3) & ~3;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const Hp = Math.max(inH + g.padH, (outH - 1) * sH + fH);
  const Wp = Math.max(inW + g.padW, (outW - 1) * sW + fW);
  const plane = outH * outW;
  const slabFloats = fD * Hp * Wp * inC;
  const pS = a.alloc(slabFloats);
  const pR = a.alloc(plane);
  const pK = a.alloc(K4);
  const pB = a.alloc(panels * plane * 8);
  const pC = a.alloc(K4 * np);
  const f = a.f32();
  const iv = a.i32();
  for (let r = 0; r < plane; r++) {
    const oh = Math.floor(r / outW);
    const ow = r % outW;
    iv[(pR >>> 2) + r] = pS + ((oh * sH * Wp + ow * sW) * inC) * 4;
  }
  for (let k = 0; k < K4; k++) {
    const kk = k < K ? k : 0;
    const ci = kk % inC;
    const t = (kk - ci) / inC;
    const fw = t % fW;
    const fh = ((t - fw) / fW) % fH;
    const fd = Math.floor(t / (fW * fH));
    iv[(pK >>> 2) + k] = (((fd * Hp + fh) * Wp + fw) * inC + ci) * 4;
  }
  const fs = pS >>> 2;
  const fc = pC >>> 2;
  f.fill(0, fc, fc + K4 * np);
  const rowLen = inW * inC;
  for (let b = 0; b < g.batch; b++) {
    for (let od = 0; od < outD; od++) {
      f.fill(0, fs, fs + slabFloats);
      for (let fd = 0; fd < fD; fd++) {
        const id = od * sD - g.padD + fd;
        if (id < 0 || id >= inD) continue;
        for (let ih = 0; ih < inH; ih++) {
          const src = ((b * inD + id) * inH + ih) * rowLen;
          f.set(x.subarray(src, src + rowLen), fs + ((fd * Hp + ih + g.padH) * Wp + g.padW) * inC);
        }
      }
      packPanels(dy, (b * outD + od) * plane * N, plane, N, f, pB >>> 2);
      m.gemmT(pR, plane, pK, K4 >>> 2, pB, panels, plane * 32, pC, np * 4);
    }
  }
  const dw = new Float32Array(K * N);
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
  const pR = a.plainRows(pA, outC * 4, pc);
  const pT = a.zeroSeg();
  const f = a.f32();
  // Wᵀ [outC, K] packed: panel j, row co, column c holds w[(j·8 + c)·outC + co].
  const fb = pB >>> 2;
  for (let j = 0; j < panels; j++)
    for (let co = 0; co < outC; co++)
      for (let c = 0; c < 8; c++) {
        const k = j * 8 + c;
        f[fb + (j * outC + co) * 8 + c] = k < K ? w[k * outC + co] : 0;
      }
  const dx = new Float32Array(g.batch * inD * inH * inW * inC);
  const fa = pA >>> 2;
  const fc = pC >>> 2;
  for (let p0 = 0; p0 < P; p0 += pc) {
    const rows = Math.min(pc, P - p0);
    const rows4 = (rows + 3) & ~3;
    f.fill(0, fa, fa + rows4 * outC);
    f.set(dy.subarray(p0 * outC, (p0 + rows) * outC), fa);
    f.fill(0, fc, fc + rows4 * kp);
    m.gemm(pR, rows4 >>> 2, pT, 1, outC, pB, panels, outC * 32, 32, pC, kp * 4);
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
