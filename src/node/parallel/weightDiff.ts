/**
 * How far two sets of named weights are apart: ‖a − b‖₂ / ‖b‖₂ over all of them, and the largest
 * element difference. A relative norm, not an element-wise bound: a parameter whose gradient is
 * zero up to rounding (a conv bias right before instance norm) has its Adam step set by the sign
 * of that rounding, which a different but equally valid summation order may flip.
 */
export function relativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): { relative: number; maxAbs: number } {
  const keys = [...a.keys()].sort();
  const other = [...b.keys()].sort();
  if (keys.join('\n') !== other.join('\n')) throw new Error('the two weight sets name different parameters');
  let diff = 0;
  let norm = 0;
  let maxAbs = 0;
  for (const k of keys) {
    const x = a.get(k)!;
    const y = b.get(k)!;
    if (x.length !== y.length) throw new Error(`parameter ${k}: ${x.length} vs ${y.length} values`);
    for (let i = 0; i < x.length; i++) {
      const d = x[i] - y[i];
      diff += d * d;
      norm += y[i] * y[i];
      maxAbs = Math.max(maxAbs, Math.abs(d));
    }
  }
  return { relative: Math.sqrt(diff) / Math.max(Math.sqrt(norm), Number.MIN_VALUE), maxAbs };
}
