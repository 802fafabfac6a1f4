/**
 * Voxel bytes → float32 in scaled units, plus an exact copy when float32 is not enough.
 *
 * The workbench computes in float32, which holds every uint8, int16 and float32 value but not
 * int32 values beyond ±2^24 nor most float64 ones. Rounding those silently made `inspect` report
 * int32 extremes as ±2147483648 and made a rewrite of the file refuse its own data. So int32 and
 * float64 files whose values float32 rounds also keep them exactly (an Int32Array view of the file
 * when unscaled, else float64), and writeNifti puts them back for every voxel still at its
 * read value. A value beyond float32's range is refused as such, not called non-finite.
 */
import { VolumeError } from '../errors.ts';
import type { NiftiHeader } from './types.ts';
import { allocate } from './allocate.ts';
import { BYTES_PER_VOXEL, type NiftiDatatype } from './types.ts';
import type { Layout } from './layout.ts';

export interface Decoded {
  data: Float32Array;
  exact?: Int32Array | Float64Array;
}

const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Voxels converted per step when the file's bytes cannot be viewed in place (swapped or misaligned). */
const CHUNK = 1 << 16;

type View = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;
const VIEW_CTORS: Record<NiftiDatatype, { new (buffer: ArrayBufferLike, byteOffset: number, length: number): View }> = {
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * Views of the voxel data, `count` voxels from voxel `first`: in place when byte order and
 * alignment allow, else through one reused chunk-sized scratch buffer, so a big-endian or oddly
 * offset file never costs a second full copy.
 */
function voxelViews(raw: Uint8Array, h: NiftiHeader, datatype: NiftiDatatype, n: number) {
  const bpv = BYTES_PER_VOXEL[datatype];
  const start = raw.byteOffset + h.voxOffset;
  const inPlace = h.littleEndian === PLATFORM_LITTLE_ENDIAN && start % bpv === 0;
  const whole = inPlace ? new VIEW_CTORS[datatype](raw.buffer, start, n) : undefined;
  let scratch: Uint8Array | undefined;
  return {
    whole,
    view(first: number, count: number): View {
      if (whole) return whole.subarray(first, first + count);
      scratch ??= new Uint8Array(CHUNK * bpv);
      const bytes = scratch.subarray(0, count * bpv);
      bytes.set(raw.subarray(h.voxOffset + first * bpv, h.voxOffset + (first + count) * bpv));
      if (h.littleEndian !== PLATFORM_LITTLE_ENDIAN) swapBytes(bytes, bpv);
      return new VIEW_CTORS[datatype](scratch.buffer, 0, count);
    },
  };
}

export function decodeVoxels(raw: Uint8Array, h: NiftiHeader, layout: Layout, file: string): Decoded {
  const { voxels: n, datatype, scaled } = layout;
  const src = voxelViews(raw, h, datatype, n);
  const out = allocate(file, 4 * n, `the float32 copy of dims ${layout.dims.join('×')} (dim[1..3])`, () => new Float32Array(n));
  const slope = h.sclSlope;
  const inter = Number.isNaN(h.sclInter) ? 0 : h.sclInter;
  const mayRound = datatype === 'int32' || datatype === 'float64';
  let rounded = false;
  const bad = { nonFinite: 0, firstNonFinite: -1, outOfRange: 0, firstOutOfRange: -1, outOfRangeValue: 0 };

  for (let first = 0; first < n; first += CHUNK) {
    const count = Math.min(CHUNK, n - first);
    const s = src.view(first, count);
    if (!scaled && !mayRound) {
      out.set(s, first);
      continue;
    }
    for (let k = 0; k < count; k++) {
      const x = scaled ? s[k] * slope + inter : s[k];
      const f = Math.fround(x);
      out[first + k] = f;
      if (f - f === 0) {
        if (f !== x) rounded = true;
      } else if (x - x !== 0) {
        if (bad.nonFinite++ === 0) bad.firstNonFinite = first + k;
      } else if (bad.outOfRange++ === 0) {
        bad.firstOutOfRange = first + k;
        bad.outOfRangeValue = x;
      }
    }
  }
  if (datatype === 'float32' && !scaled) countNonFinite(out, bad);
  const after = scaled ? ' after scl_slope/scl_inter' : '';
  if (bad.nonFinite > 0) {
    throw new VolumeError(file, `${bad.nonFinite} non-finite voxel value(s)${after} (first at index ${bad.firstNonFinite}: ${out[bad.firstNonFinite]})`);
  }
  if (bad.outOfRange > 0) {
    throw new VolumeError(
      file,
      `${bad.outOfRange} voxel value(s)${after} beyond float32's range of ±3.4e38 (first at index ${bad.firstOutOfRange}: ${bad.outOfRangeValue}); the workbench computes in float32`,
    );
  }
  if (!rounded || !mayRound) return { data: out };
  return { data: out, exact: exactCopy(src, datatype, scaled, slope, inter, n, layout, file) };
}

function exactCopy(
  src: ReturnType<typeof voxelViews>,
  datatype: NiftiDatatype,
  scaled: boolean,
  slope: number,
  inter: number,
  n: number,
  layout: Layout,
  file: string,
): Int32Array | Float64Array {
  if (!scaled && src.whole) return src.whole as Int32Array | Float64Array;
  const why = `the exact ${datatype} values of dims ${layout.dims.join('×')} (dim[1..3])`;
  const exact = !scaled && datatype === 'int32'
    ? allocate(file, 4 * n, why, () => new Int32Array(n))
    : allocate(file, 8 * n, why, () => new Float64Array(n));
  for (let first = 0; first < n; first += CHUNK) {
    const count = Math.min(CHUNK, n - first);
    const s = src.view(first, count);
    if (!scaled) exact.set(s, first);
    else for (let k = 0; k < count; k++) exact[first + k] = s[k] * slope + inter;
  }
  return exact;
}

function countNonFinite(data: Float32Array, bad: { nonFinite: number; firstNonFinite: number }): void {
  for (let v = 0; v < data.length; v++) {
    const x = data[v];
    if (x - x !== 0 && bad.nonFinite++ === 0) bad.firstNonFinite = v;
  }
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let at = 0; at < bytes.length; at += width) {
    for (let a = at, b = at + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
