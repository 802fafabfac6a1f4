/**
 * 3-D convolution and its two gradients over channels-last Float32Arrays (NDHWC, filters
 * [fd, fh, fw, in, out] as tfjs lays them out), on the WebAssembly SIMD products in wasmGemm.ts,
 * split into tasks that run on the kernel thread pool when one is configured (threads.ts).
 * Dilation is 1 (the callers fall back to tfjs's kernels otherwise).
 *
 * The input is copied once, zero-padded, into the module's memory, and the products read patches
 * straight from it (the patch matrix, 27× the input, is never written):
 *   forward:          Y[P, out]  = Xcol[P, K] · W[K, out]   (K = fd·fh·fw·in; gemm, A gathered)
 *                     tasks: chunks of output rows
 *   backprop filter:  dW[K, out] = Σ_planes Xcolᵀ[K, P] · dY[P, out]  (gemmT over voxels)
 *                     tasks: blocks of K rows, each looping over all planes in order
 *   backprop input:   stride 1: dX = correlate(dY, W flipped and transposed), a forward pass;
 *                     stride > 1: dXcol[P, K] = dY · Wᵀ in chunks sized for L2 (the tasks),
 *                     then col2im on the calling thread.
 * Each output element is summed by one task in a fixed order, so results do not depend on the
 * thread count, and they equal the per-plane single-threaded kernels these replaced.
 */
import { GemmJob, MAX_TASKS, type GemmRunner } from './threadPool.ts';
import { kernelRunner } from './threads.ts';
import type { WasmArena } from './wasmGemm.ts';

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

/**
 * Output rows per forward task: enough tasks to share among threads (and to balance a loaded
 * machine), few enough that per-task overhead stays negligible. Independent of the thread count.
 */
function forwardTaskRows(p: number): number {
  const rows = Math.ceil(p / 64 / 4) * 4;
  // The MAX_TASKS floor goes last: beyond 4096 rows × MAX_TASKS voxels it must win over the cap.
  return Math.max(Math.min(4096, Math.max(64, rows)), Math.ceil(p / MAX_TASKS / 4) * 4);
}

/**
 * Filter-gradient tasks per thread. Each task streams the whole input and dY once, so few tasks
 * keep the traffic low (16 per thread cost 2× the CPU time of 1–3 at 32³ × 32); two per thread
 * let the others cover a thread that another process slows down. One thread: one task, the
 * old plane-by-plane order over all of K. (Any split gives the same bits: gemmT rows are
 * independent.)
 */
const FILTER_TASKS_PER_THREAD = 2;

function engine(): { r: GemmRunner; a: WasmArena } {
  const r = kernelRunner();
  if (!r) throw new Error('WebAssembly SIMD is unavailable: the fast conv3d kernels cannot run');
  r.arena.reset();
  return { r, a: r.arena };
}

/** Whether these kernels can run in this engine. */
export function fastConv3dAvailable(): boolean {
  return kernelRunner() !== null;
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

/** The padded input's extents: big enough for every patch, and for the input with its leading padding. */
function paddedDims(g: Conv3DGeom): { Dp: number; Hp: number; Wp: number } {
  return {
    Dp: Math.max(g.inD + g.padD, (g.outD - 1) * g.sD + g.fD),
    Hp: Math.max(g.inH + g.padH, (g.outH - 1) * g.sH + g.fH),
    Wp: Math.max(g.inW + g.padW, (g.outW - 1) * g.sW + g.fW),
  };
}

/** Copy x [batch, inD, inH, inW, inC] zero-padded into the arena; returns its byte address. */
function padInput(x: Float32Array, g: Conv3DGeom, a: WasmArena): number {
  const { Dp, Hp, Wp } = paddedDims(g);
  const { inD, inH, inW, inC } = g;
  const floats = g.batch * Dp * Hp * Wp * inC;
  const pX = a.alloc(floats);
  const f = a.f32();
  const fx = pX >>> 2;
  f.fill(0, fx, fx + floats);
  const rowLen = inW * inC;
  for (let b = 0; b < g.batch; b++)
    for (let id = 0; id < inD; id++)
      for (let ih = 0; ih < inH; ih++) {
        const src = ((b * inD + id) * inH + ih) * rowLen;
        f.set(x.subarray(src, src + rowLen), fx + (((b * Dp + id + g.padD) * Hp + ih + g.padH) * Wp + g.padW) * inC);
      }
  return pX;
}

/**
 * Row table: byte address of each output voxel's patch corner in the padded input at pX, for all
 * P = batch·outD·outH·outW voxels in order, then `extra` entries repeating the first (pad rows
 * whose results are ignored). Returns its address.
 */
function voxelRows(g: Conv3DGeom, pX: number, extra: number, a: WasmArena): number {
  const { Dp, Hp, Wp } = paddedDims(g);
  const { outD, outH, outW, inC } = g;
  const P = g.batch * outD * outH * outW;
  const pR = a.alloc(P + extra);
  const iv = a.i32();
  let i = pR >>> 2;
  for (let b = 0; b < g.batch; b++)
    for (let od = 0; od < outD; od++)
      for (let oh = 0; oh < outH; oh++) {
        const base = pX + (((b * Dp + od * g.sD) * Hp + oh * g.sH) * Wp) * inC * 4;
        for (let ow = 0; ow < outW; ow++) iv[i++] = base + ow * g.sW * inC * 4;
      }
  for (let e = 0; e < extra; e++) iv[i++] = iv[pR >>> 2];
  return pR;
}

/**
 * y = x ⋆ w (cross-correlation), with w as a row-major [K, outC] matrix, as an implicit GEMM:
 * the kernel reads patch rows straight from the padded input through the row table and a
 * segment table (one entry per (fd, fh) tap pair, each a contiguous run over (fw, channels)).
 */
function correlate(x: Float32Array, w: Float32Array, g: Conv3DGeom, y: Float32Array): Float32Array {
  const { r: run, a } = engine();
  const { inC, outD, outH, outW, fD, fH, fW } = g;
  const { Hp, Wp } = paddedDims(g);
  const K = fD * fH * fW * inC;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const P = g.batch * outD * outH * outW;
  const P4 = (P + 3) & ~3;
  if (P === 0 || N === 0) return y;
  const pB = a.alloc(panels * K * 8);
  packPanels(w, 0, K, N, a.f32(), pB >>> 2);
  const pX = padInput(x, g, a);
  const pR = voxelRows(g, pX, P4 - P, a);
  const pT = a.alloc(fD * fH);
  const pC = a.alloc(P4 * np);
  const f = a.f32();
  const iv = a.i32();
  for (let fd = 0; fd < fD; fd++) for (let fh = 0; fh < fH; fh++) iv[(pT >>> 2) + fd * fH + fh] = (fd * Hp + fh) * Wp * inC * 4;
  const fc = pC >>> 2;
  f.fill(0, fc, fc + P4 * np);
  // Keep each call's share of packed filter within ~256 KiB so it stays in L2 for wide layers.
  const group = Math.max(1, Math.floor((1 << 16) / (K * 8)));
  const rowsPerTask = forwardTaskRows(P);
  const job = new GemmJob();
  job.flops = 2 * P * K * N;
  for (let r0 = 0; r0 < P4; r0 += rowsPerTask) {
    const rows = Math.min(rowsPerTask, P4 - r0);
    job.task();
    for (let j = 0; j < panels; j += group) {
      const pj = Math.min(group, panels - j);
      job.gemm(pR + r0 * 4, rows >>> 2, pT, fD * fH, fW * inC, pB + j * K * 32, pj, K * 32, 32, pC + (r0 * np + j * 8) * 4, np * 4);
    }
  }
  run.run(job);
  const out = a.f32();
  if (np === N) {
    y.set(out.subarray(fc, fc + P * N));
  } else {
    for (let r = 0; r < P; r++) {
      const s0 = fc + r * np;
      const d0 = r * N;
      for (let c = 0; c < N; c++) y[d0 + c] = out[s0 + c];
    }
  }
  return y;
}

export function conv3dForward(x: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const y = new Float32Array(g.batch * g.outD * g.outH * g.outW * g.outC);
  return correlate(x, w, g, y);
}

/**
 * dW [fd, fh, fw, in, out] from the layer input x and the output gradient dy: gemmT accumulates
 * dW[k, n] += Σ_voxels x_padded[voxel + tap k] · dY[voxel, n] straight from the padded input,
 * one call per output plane (b, od), planes in order; a task owns a block of k rows.
 */
export function conv3dBackpropFilter(x: Float32Array, dy: Float32Array, g: Conv3DGeom): Float32Array {
  const { r: run, a } = engine();
  const { inC, outD, outH, outW, fD, fH, fW } = g;
  const { Hp, Wp } = paddedDims(g);
  const K = fD * fH * fW * inC;
  const K4 = (K + 3) & ~3;
  const N = g.outC;
  const panels = (N + 7) >> 3;
  const np = panels * 8;
  const plane = outH * outW;
  const planes = g.batch * outD;
  const dw = new Float32Array(K * N);
  if (plane * planes === 0 || N === 0) return dw;
  const pX = padInput(x, g, a);
  const pR = voxelRows(g, pX, 0, a);
  const pK = a.alloc(K4);
  const pB = a.alloc(planes * panels * plane * 8);
  const pC = a.alloc(K4 * np);
  const f = a.f32();
  const iv = a.i32();
  for (let k = 0; k < K4; k++) {
    const kk = k < K ? k : 0;
    const ci = kk % inC;
    const t = (kk - ci) / inC;
    const fw = t % fW;
    const fh = ((t - fw) / fW) % fH;
    const fd = Math.floor(t / (fW * fH));
    iv[(pK >>> 2) + k] = (((fd * Hp + fh) * Wp + fw) * inC + ci) * 4;
  }
  for (let q = 0; q < planes; q++) packPanels(dy, q * plane * N, plane, N, f, (pB >>> 2) + q * panels * plane * 8);
  const fc = pC >>> 2;
  f.fill(0, fc, fc + K4 * np);
  const quads = K4 >>> 2;
  const perTask = Math.ceil(quads / (run.threads === 1 ? 1 : FILTER_TASKS_PER_THREAD * run.threads));
  const job = new GemmJob();
  job.flops = 2 * plane * planes * K * N;
  for (let q0 = 0; q0 < quads; q0 += perTask) {
    const nq = Math.min(perTask, quads - q0);
    job.task();
    for (let q = 0; q < planes; q++) {
      job.gemmT(pR + q * plane * 4, plane, pK + q0 * 16, nq, pB + q * panels * plane * 32, panels, plane * 32, pC + q0 * 4 * np * 4, np * 4);
    }
  }
  run.run(job);
  const out = a.f32();
  for (let k = 0; k < K; k++) for (let c = 0; c < N; c++) dw[k * N + c] = out[fc + k * np + c];
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

/** Floats of dXcol kept per round of parallel chunks before col2im (128 MiB). */
const COL2IM_ROUND_FLOATS = 1 << 25;

function backpropInputCol2im(dy: Float32Array, w: Float32Array, g: Conv3DGeom): Float32Array {
  const { r: run, a } = engine();
  const { inD, inH, inW, inC, outD, outH, outW, outC, fD, fH, fW } = g;
  const K = fD * fH * fW * inC;
  const panels = (K + 7) >> 3;
  const kp = panels * 8;
  const P = g.batch * outD * outH * outW;
  const dx = new Float32Array(g.batch * inD * inH * inW * inC);
  if (P === 0 || K === 0) return dx;
  const P4 = (P + 3) & ~3;
  const pc = chunkRows(kp, P);
  // Chunks of one round are multiplied in parallel, then scattered in order by the caller.
  const round = Math.max(pc, Math.floor(COL2IM_ROUND_FLOATS / kp / pc) * pc);
  const pB = a.alloc(panels * outC * 8);
  const pA = a.alloc(P4 * outC);
  const pC = a.alloc(Math.min(round, P4) * kp);
  const pR = a.plainRows(pA, outC * 4, P);
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
  const fa = pA >>> 2;
  f.set(dy.subarray(0, P * outC), fa);
  f.fill(0, fa + P * outC, fa + P4 * outC);
  const fc = pC >>> 2;
  for (let s0 = 0; s0 < P; s0 += round) {
    const sRows = Math.min(round, P - s0);
    const sRows4 = (sRows + 3) & ~3;
    f.fill(0, fc, fc + sRows4 * kp);
    const job = new GemmJob();
    job.flops = 2 * sRows * outC * K;
    for (let p0 = s0; p0 < s0 + sRows; p0 += pc) {
      const rows4 = (Math.min(pc, s0 + sRows - p0) + 3) & ~3;
      job.task().gemm(pR + p0 * 4, rows4 >>> 2, pT, 1, outC, pB, panels, outC * 32, 32, pC + (p0 - s0) * kp * 4, kp * 4);
    }
    run.run(job);
    const out = a.f32();
    for (let r = 0; r < sRows; r++) {
      const p = s0 + r;
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
      const n = (wHi - wLo) * inC;
      const row = fc + r * kp;
      for (let fd = 0; fd < fD; fd++) {
        const id = d0 + fd;
        if (id < 0 || id >= inD) continue;
        for (let fh = 0; fh < fH; fh++) {
          const ih = h0 + fh;
          if (ih < 0 || ih >= inH) continue;
          const dst = (((b * inD + id) * inH + ih) * inW + w0 + wLo) * inC;
          const src = row + ((fd * fH + fh) * fW + wLo) * inC;
          for (let t = 0; t < n; t++) dx[dst + t] += out[src + t];
        }
      }
    }
  }
  return dx;
}
