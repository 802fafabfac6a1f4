/** Shapes shared by the cpu and webgpu kernel tests: strides 1 and 2, same/valid, 1–64 channels, odd sizes, batch > 1. */
export interface ConvCase {
  x: [number, number, number, number, number];
  f: [number, number, number, number, number];
  stride: number | [number, number, number];
  pad: 'same' | 'valid';
}

export const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 6, 5, 3], f: [3, 3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [1, 9, 8, 7, 4], f: [3, 3, 3, 4, 6], stride: 2, pad: 'same' },
  { x: [3, 9, 7, 8, 2], f: [3, 3, 3, 2, 7], stride: 2, pad: 'valid' },
  { x: [1, 8, 8, 8, 16], f: [2, 2, 2, 16, 16], stride: 2, pad: 'valid' },
  { x: [2, 5, 7, 6, 1], f: [1, 1, 1, 1, 2], stride: 1, pad: 'same' },
  { x: [1, 8, 8, 8, 17], f: [3, 3, 3, 17, 9], stride: 1, pad: 'valid' },
  { x: [1, 5, 6, 7, 64], f: [3, 3, 3, 64, 64], stride: 1, pad: 'same' },
  { x: [2, 6, 5, 7, 1], f: [3, 3, 3, 1, 16], stride: 1, pad: 'same' },
  { x: [1, 7, 9, 6, 33], f: [3, 2, 3, 33, 3], stride: [2, 1, 2], pad: 'same' },
  { x: [1, 11, 3, 13, 5], f: [5, 3, 3, 5, 8], stride: [1, 2, 1], pad: 'valid' },
];

/** max |a − b| / max |b|: one scale for the whole tensor, so near-zero entries do not dominate. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}
