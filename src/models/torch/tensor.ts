/**
 * Tensors of a torch.save file: dtypes, storages (the raw `data/<key>` zip entries) and the
 * materialisation of a (storage, offset, size, stride) view into a C-contiguous typed array.
 */
import { TorchReadError } from './errors.ts';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** float16 and bfloat16 hold their raw bits (Uint16Array); bool holds 0/1 bytes. */
export type TorchArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface TorchTensor {
  dtype: TorchDtype;
  shape: number[];
  /** Always C-contiguous, whatever the saved strides were. */
  data: TorchArray;
  /** As saved, for information: `data` has already been laid out in C order. */
  savedStrides: number[];
  storageOffset: number;
  /** The `data/<key>` entry it came from: tensors with the same key shared one storage. */
  storageKey: string;
}

export interface TorchStorage {
  dtype: TorchDtype;
  key: string;
  numel: number;
  /** The zip entry's bytes (a view into the file, not a copy). */
  bytes: Uint8Array;
}

type ArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TorchArray; new (length: number): TorchArray; BYTES_PER_ELEMENT: number };

const ARRAY: Record<TorchDtype, ArrayCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as unknown as Record<TorchDtype, ArrayCtor>;

/** torch.<Name>Storage → dtype: the legacy storage classes torch.save names in persistent ids. */
export const STORAGE_DTYPES: Record<string, TorchDtype> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

export function bytesPerElement(dtype: TorchDtype): number {
  return ARRAY[dtype].BYTES_PER_ELEMENT;
}

// Typed arrays read in the host's byte order and torch.save writes little-endian storages.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed view of `count` elements from `byteStart` of `bytes`; copied only when misaligned. */
function typedRange(bytes: Uint8Array, dtype: TorchDtype, byteStart: number, count: number): TorchArray {
  const Ctor = ARRAY[dtype];
  const start = bytes.byteOffset + byteStart;
  if (start % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, start, count);
  // A STORED zip places entries wherever the headers end; an unaligned storage must be copied.
  const copy = bytes.slice(byteStart, byteStart + count * Ctor.BYTES_PER_ELEMENT);
  return new Ctor(copy.buffer, 0, count);
}

export function makeTensor(storage: TorchStorage, storageOffset: unknown, size: unknown, stride: unknown, file: string): TorchTensor {
  const isIndexList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
  if (!Number.isSafeInteger(storageOffset) || (storageOffset as number) < 0) throw new TorchReadError(file, `tensor storage offset ${String(storageOffset)} is not a non-negative integer`);
  if (!isIndexList(size) || !isIndexList(stride) || size.length !== stride.length) {
    throw new TorchReadError(file, `tensor size ${JSON.stringify(size)} / stride ${JSON.stringify(stride)} are not matching lists of non-negative integers`);
  }
  if (!HOST_LITTLE_ENDIAN) throw new TorchReadError(file, 'this reader needs a little-endian host');
  const offset = storageOffset as number;
  const shape = [...size];
  const numel = shape.reduce((a, b) => a * b, 1);
  const Ctor = ARRAY[storage.dtype];
  const tensor = (data: TorchArray): TorchTensor => ({ dtype: storage.dtype, shape, data, savedStrides: [...stride], storageOffset: offset, storageKey: storage.key });
  if (numel === 0) return tensor(new Ctor(0));

  let extent = offset + 1;
  for (let d = 0; d < shape.length; d++) extent += (shape[d] - 1) * stride[d];
  if (extent > storage.numel) {
    throw new TorchReadError(
      file,
      `a ${storage.dtype} tensor of shape [${shape}] (offset ${offset}, stride [${stride}]) needs ${extent} elements of storage "${storage.key}", which holds ${storage.numel}`,
    );
  }
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) contiguous = false;
    expect *= shape[d];
  }
  const es = Ctor.BYTES_PER_ELEMENT;
  if (contiguous) return tensor(typedRange(storage.bytes, storage.dtype, offset * es, numel));

  const src = typedRange(storage.bytes, storage.dtype, 0, storage.numel) as unknown as ArrayLike<number>;
  const out = new Ctor(numel);
  const dst = out as unknown as { [i: number]: number };
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    dst[i] = src[at];
    // Odometer over the C-order index, moving the source position by each dimension's stride.
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        at += stride[d];
        break;
      }
      index[d] = 0;
      at -= (shape[d] - 1) * stride[d];
    }
  }
  return tensor(out);
}

function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let e = (h >> 10) & 0x1f;
  let m = h & 0x3ff;
  if (e === 31) return sign | 0x7f800000 | (m << 13);
  if (e === 0) {
    if (m === 0) return sign;
    // Subnormal half: shift the mantissa up until it is normal, lowering the exponent.
    e = 1;
    while (!(m & 0x400)) {
      m <<= 1;
      e--;
    }
    m &= 0x3ff;
  }
  return sign | ((e + 112) << 23) | (m << 13);
}

/** The values as float32 (float32 data is returned as is, not copied). Integer tensors are refused. */
export function toFloat32(t: TorchTensor, what = 'tensor'): Float32Array {
  const d = t.data;
  switch (t.dtype) {
    case 'float32':
      return d as Float32Array;
    case 'float64':
      return Float32Array.from(d as Float64Array);
    case 'float16':
    case 'bfloat16': {
      const out = new Float32Array(d.length);
      const bits = new Uint32Array(out.buffer);
      const h = d as Uint16Array;
      if (t.dtype === 'bfloat16') for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
      else for (let i = 0; i < h.length; i++) bits[i] = halfToFloatBits(h[i]);
      return out;
    }
    default:
      throw new Error(`${what} is ${t.dtype}, not a floating-point tensor`);
  }
}

/** True when every value of an int64 tensor is exact as a JS number (|v| ≤ 2^53 − 1). */
export function int64FitsNumber(t: TorchTensor): boolean {
  if (t.dtype !== 'int64') throw new Error(`int64FitsNumber: tensor is ${t.dtype}`);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (const v of t.data as BigInt64Array) if (v > max || v < -max) return false;
  return true;
}

export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v && 'storageKey' in v;
}
