/** A tiny synthetic "case" for unit tests: a liver ball with one drawn tumour label (not data). */
import type { PrepCase } from './prepare.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';

export function tinyCase(opts: { tumours?: Vec3[]; size?: number; spacing?: number } = {}): PrepCase {
  const n = opts.size ?? 48;
  const s = opts.spacing ?? 2;
  const dims: Vec3 = [n, n, n];
  const affine: Mat4 = [s, 0, 0, -10, 0, s, 0, 20, 0, 0, s, 30, 0, 0, 0, 1];
  const image = new Float32Array(n * n * n).fill(-50);
  const label = new Uint8Array(n * n * n);
  const c = n / 2;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        const idx = i + n * (j + n * k);
        if ((i - c) ** 2 + (j - c) ** 2 + (k - c) ** 2 <= (0.4 * n) ** 2) {
          label[idx] = 1;
          image[idx] = 60 + ((i * 7 + j * 3 + k) % 5);
        }
        for (const t of opts.tumours ?? []) {
          if ((i - t[0]) ** 2 + (j - t[1]) ** 2 + (k - t[2]) ** 2 <= 9) {
            label[idx] = 2;
            image[idx] = 20;
          }
        }
      }
    }
  }
  return { name: 'tiny-test-case', image: { dims, affine, data: image }, label: { dims, affine, data: label }, tumourProvenance: 'mechanics-test' };
}
