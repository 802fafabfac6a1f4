/**
 * safetensors reader/writer (no tfjs): 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}, then the raw
 * little-endian data. Half-precision inputs (F16, BF16) are widened to Float32 on read.
 */

export type SafeDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I32' | 'I64' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type SafeArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I32: 4, I64: 8, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function dtypeOf(a: SafeArray): SafeDType {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Int16Array) return 'I16';
  if (a instanceof Int8Array) return 'I8';
  if (a instanceof BigInt64Array) return 'I64';
  return 'U8';
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Serialise tensors (insertion order) and string metadata. */
export function writeSafetensors(tensors: Map<string, { shape: number[]; data: SafeArray; dtype?: SafeDType }>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor "${name}": shape [${t.shape}] needs ${n} values, got ${t.data.length}`);
    const dtype = t.dtype ?? dtypeOf(t.data);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const hbytes = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  const pad = (8 - ((hbytes.length + 8) % 8)) % 8;
  const out = new Uint8Array(8 + hbytes.length + pad + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length + pad), true);
  out.set(hbytes, 8);
  out.fill(0x20, 8 + hbytes.length, 8 + hbytes.length + pad);
  let p = 8 + hbytes.length + pad;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new Error('not a safetensors file: shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw new Error(`not a safetensors file: header length ${hlen} exceeds the file`);
  let header: Record<string, { dtype: SafeDType; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new Error(`not a safetensors file: header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: SafeDType; shape: number[]; data_offsets: [number, number] };
    const size = BYTES[dtype];
    if (!size) throw new Error(`tensor "${name}": unsupported dtype ${dtype}`);
    const [b, e] = data_offsets;
    const n = shape.reduce((a, c) => a * c, 1);
    if (e - b !== n * size || base + e > bytes.length) throw new Error(`tensor "${name}": data_offsets [${b}, ${e}] do not fit shape [${shape}] ${dtype}`);
    // Copy: the file's data region need not be aligned for typed-array views.
    const raw = bytes.slice(base + b, base + e);
    const view = new DataView(raw.buffer);
    let data: SafeArray;
    switch (dtype) {
      case 'F32':
        data = new Float32Array(raw.buffer);
        break;
      case 'F64':
        data = new Float64Array(raw.buffer);
        break;
      case 'I32':
        data = new Int32Array(raw.buffer);
        break;
      case 'I64':
        data = new BigInt64Array(raw.buffer);
        break;
      case 'I16':
        data = new Int16Array(raw.buffer);
        break;
      case 'I8':
        data = new Int8Array(raw.buffer);
        break;
      case 'U8':
      case 'BOOL':
        data = raw;
        break;
      case 'F16':
        data = Float32Array.from({ length: n }, (_, i) => f16ToF32(view.getUint16(2 * i, true)));
        break;
      case 'BF16': {
        const f = new Float32Array(n);
        const u = new Uint32Array(f.buffer);
        for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
        data = f;
        break;
      }
    }
    tensors.set(name, { dtype: dtype === 'F16' || dtype === 'BF16' ? 'F32' : dtype, shape, data });
  }
  return { tensors, metadata };
}

/** Permute a dense row-major array of `shape` by `perm` (out axis i = in axis perm[i]). */
export function permuteArray(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStride = new Array<number>(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStride[i] = s;
    s *= shape[i];
  }
  const out = new Float32Array(data.length);
  const idx = new Array<number>(r).fill(0);
  const strideOut = perm.map((p) => inStride[p]);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i] * strideOut[i];
    out[o] = data[src];
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}
