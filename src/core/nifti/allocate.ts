/**
 * Typed-array allocation that fails like bad input: "Invalid typed array length: 5005520256" or
 * "Array buffer allocation failed" say nothing about which file asked for the memory or why, so
 * they are reworded with the file and the header field the size came from.
 */
import { VolumeError } from '../errors.ts';
import { formatBytes } from './limits.ts';

export function allocate<T>(file: string, bytes: number, why: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new VolumeError(file, `cannot allocate ${formatBytes(bytes)} for ${why} (${e.message})`);
  }
}
