/**
 * Node 20's V8 (11.3) compiles relaxed SIMD only behind --experimental-wasm-relaxed-simd; Chromium
 * and Node ≥ 22 have it by default. Turning the flag on gives the conv GEMM its fused
 * multiply-add (src/models/kernels/cpu/wasmGemm.ts). V8 reads it when a module compiles, so this
 * must run before the first kernel does; the flag is process-wide, so worker threads started
 * later see it too. src/models cannot do this itself: it may not import node: built-ins.
 *
 * wasmGemm.ts imports no tfjs (only kernels/env.ts), so the vitest setup can load it before every
 * test file cheaply.
 */
import { setFlagsFromString } from 'node:v8';
import { engineHasRelaxedSimd } from '../models/kernels/cpu/wasmGemm.ts';

/** Turn relaxed SIMD on where the engine has it behind a flag; returns whether it is on now. */
export function enableRelaxedSimd(): boolean {
  // Setting a flag a newer V8 no longer knows would only print a warning: ask first.
  if (!engineHasRelaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return engineHasRelaxedSimd();
}
