/**
 * Vitest setup (vite.config.ts test.setupFiles): tests run the GEMM kernels as the CLI does, with
 * relaxed-SIMD fused multiply-add (FREETUMOR_RELAXED_SIMD=0 runs them on the mul + add fallback).
 */
import { enableRelaxedSimd } from '../relaxedSimd.ts';

enableRelaxedSimd();
