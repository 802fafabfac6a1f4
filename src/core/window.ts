/** HU windowing to [0,1], METHOD.md's default abdominal window. */
import type { Volume } from './volume.ts';

export const HU_WINDOW_LO = -175;
export const HU_WINDOW_HI = 250;

/** Clip to [lo, hi] and scale linearly to [0, 1]. Returns new data; the input is not touched. */
export function windowToUnit(data: ArrayLike<number>, lo?: number, hi?: number): Float32Array;
export function windowToUnit(vol: Volume, lo?: number, hi?: number): Volume<Float32Array>;
export function windowToUnit(input: ArrayLike<number> | Volume, lo = HU_WINDOW_LO, hi = HU_WINDOW_HI): Float32Array | Volume<Float32Array> {
  if (!(hi > lo)) throw new RangeError(`windowToUnit: window hi (${hi}) must be above lo (${lo})`);
  const isVolume = 'dims' in input && 'data' in input;
  const src: ArrayLike<number> = isVolume ? (input as Volume).data : (input as ArrayLike<number>);
  const out = new Float32Array(src.length);
  const scale = 1 / (hi - lo);
  for (let n = 0; n < src.length; n++) {
    const v = src[n];
    // NaN stays NaN rather than being passed off as a valid intensity.
    out[n] = v <= lo ? 0 : v >= hi ? 1 : (v - lo) * scale;
  }
  if (!isVolume) return out;
  const vol = input as Volume;
  return { dims: [...vol.dims], affine: [...vol.affine], data: out };
}
