/**
 * A deep copy that postMessage can carry: plain objects, arrays, primitives, ArrayBuffers and
 * typed arrays. dcmjs decorates person-name values with non-enumerable toJSON / toString
 * functions, which structured clone refuses, so scanned headers go through this before they
 * leave the worker. The decorations are presentation helpers; the values stay.
 */
export function plainData<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  if (Array.isArray(v)) return v.map(copy);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'function') out[k] = copy(x);
  return out;
}
