/**
 * Node 20's V8 (11.3) compiles relaxed SIMD only behind --experimental-wasm-relaxed-simd; Chromium
 * and Node ≥ 22 have it by default. Turning the flag on gives the conv GEMM its fused
 * multiply-add (src/models/kernels/cpu/wasmGemm.ts). V8 reads it when a module compiles, so this
 * must run before the first kernel does; the flag is process-wide, so worker threads started
 * later see it too. src/models cannot do this itself: it may not import node: built-ins.
 *
 * Self-contained (no project imports) because the vitest setup runs it before every test file,
 * where importing the kernel module measured ≈ 1 s a file.
 */
import { setFlagsFromString } from 'node:v8';

// (module (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))):
// header, type section, function section, code section (one 60-byte body).
const zero = `fd0c${'00'.repeat(16)}`;
const PROBE_HEX = ['0061736d01000000', '010401600000', '03020100', '0a3e013c00', zero, zero, zero, 'fd8502', '1a0b'].join('');
const PROBE = Uint8Array.from(PROBE_HEX.match(/../g)!, (h) => parseInt(h, 16));

const relaxedValidates = (): boolean => WebAssembly.validate(PROBE);

/** Turn relaxed SIMD on where the engine has it behind a flag; returns whether it is on now. */
export function enableRelaxedSimd(): boolean {
  // Setting a flag a newer V8 no longer knows would only print a warning: ask first.
  if (!relaxedValidates()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedValidates();
}
