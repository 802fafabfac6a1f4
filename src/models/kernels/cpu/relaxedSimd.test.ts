/**
 * The GEMM kernels with relaxed-SIMD fused multiply-add and with the mul + add fallback
 * (FREETUMOR_RELAXED_SIMD=0): each against a float64 product, and against each other. Each path
 * is a fresh copy of wasmGemm.ts (vi.resetModules) because the choice is made once per module.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WasmArena as Arena } from './wasmGemm.ts';

type GemmModule = typeof import('./wasmGemm.ts');

async function loadPath(relaxedEnv: '0' | '1'): Promise<GemmModule> {
  vi.resetModules();
  vi.stubEnv('FREETUMOR_RELAXED_SIMD', relaxedEnv);
  return import('./wasmGemm.ts');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

const [M, K, N, NPOS] = [10, 300, 20, 200];
const panels = (N + 7) >> 3;
const np = panels * 8;
const rand = rng(19);
const A = Float64Array.from({ length: M * K }, rand);
const B = Float64Array.from({ length: K * N }, rand);
// gemmT: A[i, p] = X[p·16 + i] (rows 0..11 of a 16-wide table), B' [NPOS, N]
const X = Float64Array.from({ length: NPOS * 16 }, rand);
const BT = Float64Array.from({ length: NPOS * N }, rand);

/** Pack row-major [rows, N] into [panels][rows][8] at float index dst. */
function pack(src: Float64Array, rows: number, f: Float32Array, dst: number): void {
  for (let j = 0; j < panels; j++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < 8; c++) f[dst + (j * rows + r) * 8 + c] = j * 8 + c < N ? src[r * N + j * 8 + c] : 0;
}

interface Products {
  c: Float32Array;
  cT: Float32Array;
}

function run(mod: GemmModule): Products {
  const w = mod.wasmGemm();
  if (!w) throw new Error('WebAssembly SIMD unavailable');
  const a: Arena = new mod.WasmArena(w);
  a.reset();
  const rows4 = (M + 3) & ~3;
  const pA = a.alloc(M * K);
  const pB = a.alloc(panels * K * 8);
  const pC = a.alloc(rows4 * np);
  const pR = a.plainRows(pA, K * 4, M);
  const pT = a.zeroSeg();
  const pX = a.alloc(NPOS * 16);
  const pRT = a.alloc(NPOS);
  const pK = a.alloc(12);
  const pBT = a.alloc(panels * NPOS * 8);
  const pCT = a.alloc(12 * np);
  const f = a.f32();
  const iv = a.i32();
  f.set(A, pA >>> 2);
  pack(B, K, f, pB >>> 2);
  f.fill(0, pC >>> 2, (pC >>> 2) + rows4 * np);
  f.set(X, pX >>> 2);
  for (let p = 0; p < NPOS; p++) iv[(pRT >>> 2) + p] = pX + p * 64;
  for (let i = 0; i < 12; i++) iv[(pK >>> 2) + i] = i * 4;
  pack(BT, NPOS, f, pBT >>> 2);
  f.fill(0, pCT >>> 2, (pCT >>> 2) + 12 * np);
  w.gemm(pR, rows4 >>> 2, pT, 1, K, pB, panels, K * 32, 32, pC, np * 4);
  w.gemmT(pRT, NPOS, pK, 3, pBT, panels, NPOS * 32, pCT, np * 4);
  const g = a.f32();
  const c = new Float32Array(M * N);
  const cT = new Float32Array(12 * N);
  for (let i = 0; i < M; i++) for (let n = 0; n < N; n++) c[i * N + n] = g[(pC >>> 2) + i * np + n];
  for (let i = 0; i < 12; i++) for (let n = 0; n < N; n++) cT[i * N + n] = g[(pCT >>> 2) + i * np + n];
  return { c, cT };
}

/** Float64 products and Σ|a·b| per entry (the scale rounding error is measured against). */
function reference(): { c: Float64Array; cAbs: Float64Array; cT: Float64Array; cTAbs: Float64Array } {
  const c = new Float64Array(M * N);
  const cAbs = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++) {
        const v = A[i * K + k] * B[k * N + n];
        c[i * N + n] += v;
        cAbs[i * N + n] += Math.abs(v);
      }
  const cT = new Float64Array(12 * N);
  const cTAbs = new Float64Array(12 * N);
  for (let i = 0; i < 12; i++)
    for (let n = 0; n < N; n++)
      for (let p = 0; p < NPOS; p++) {
        const v = X[p * 16 + i] * BT[p * N + n];
        cT[i * N + n] += v;
        cTAbs[i * N + n] += Math.abs(v);
      }
  return { c, cAbs, cT, cTAbs };
}

/** Largest |got − want| / Σ|a·b| (float32 accumulation of these lengths stays well under 1e-6). */
function worst(got: Float32Array, want: Float64Array, scale: Float64Array): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale[i]);
  return e;
}

describe('relaxed-SIMD GEMM', () => {
  const ref = reference();

  it('is on in Node tests unless FREETUMOR_RELAXED_SIMD=0 (the vitest setup sets the V8 flag)', async () => {
    vi.resetModules();
    const mod = await import('./wasmGemm.ts');
    expect(mod.engineHasRelaxedSimd()).toBe(true);
    expect(mod.relaxedSimdAvailable()).toBe(process.env.FREETUMOR_RELAXED_SIMD !== '0');
  });

  it('fused and fallback products both match float64 and differ only by rounding', async () => {
    const fused = await loadPath('1');
    expect(fused.relaxedSimdAvailable()).toBe(true);
    const f = run(fused);
    const plain = await loadPath('0');
    expect(plain.relaxedSimdAvailable()).toBe(false);
    const p = run(plain);

    for (const r of [f, p]) {
      expect(worst(r.c, ref.c, ref.cAbs)).toBeLessThan(1e-6);
      expect(worst(r.cT, ref.cT, ref.cTAbs)).toBeLessThan(1e-6);
    }
    let diff = 0;
    for (let i = 0; i < f.c.length; i++) diff = Math.max(diff, Math.abs(f.c[i] - p.c[i]) / ref.cAbs[i]);
    for (let i = 0; i < f.cT.length; i++) diff = Math.max(diff, Math.abs(f.cT[i] - p.cT[i]) / ref.cTAbs[i]);
    expect(diff).toBeLessThan(1e-6);
    // Fusing skips one rounding per step, so some of 440 sums of 200–300 terms must differ: this
    // fails if the relaxed module silently ran mul + add (a CPU without FMA3 would, by design).
    expect(diff).toBeGreaterThan(0);
    // The same path twice rounds the same way.
    expect(run(fused)).toEqual(f);
  });
});
