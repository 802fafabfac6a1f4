/**
 * The exact values of a read file, found again from its header when a volume is written with that
 * header. writeNifti's callers already pass the source header to get the source's datatype and
 * scaling back; this lets the same call give back int32 and float64 values float32 rounded,
 * without every caller carrying a second array along.
 */
import type { NiftiHeader } from './types.ts';

const byHeader = new WeakMap<NiftiHeader, Int32Array | Float64Array>();

export function rememberExact(header: NiftiHeader, exact: Int32Array | Float64Array): void {
  byHeader.set(header, exact);
}

export function exactFor(header: NiftiHeader | undefined): Int32Array | Float64Array | undefined {
  return header ? byHeader.get(header) : undefined;
}
