import { describe, expect, it } from 'vitest';
import type { Mat4, Vec3 } from '../../core/volume.ts';
import { labelsOnGrid } from './sourceGeometry.ts';

describe('labelsOnGrid (a prediction carried back to the scan by nearest neighbour)', () => {
  it('a 2 mm grid offset by one source voxel, onto a 1 mm grid flipped along x', () => {
    // Coarse grid: 3×2×2 voxels of 2 mm, origin at (1, 0, 0) mm; label = its voxel index + 1.
    const coarseDims: Vec3 = [3, 2, 2];
    const coarse: Mat4 = [2, 0, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];
    const labels = Uint8Array.from({ length: 12 }, (_, n) => n + 1);
    // Source grid: 8×4×4 voxels of 1 mm, x running from +7 mm down to 0 (LPS-like flip).
    const dims: Vec3 = [8, 4, 4];
    const flipped: Mat4 = [-1, 0, 0, 7, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const out = labelsOnGrid(labels, coarseDims, coarse, dims, flipped);
    // Source voxel i sits at x = 7 − i mm → coarse x index round((7 − i − 1)/2); outside 0..2 → 0.
    // i: 0→x 7 → 3 (outside) · 1→6 → 2.5 → 3 (outside: Math.round rounds .5 up) · 2→5 → 2 · 3→4 → 1.5 → 2
    //    4→3 → 1 · 5→2 → 0.5 → 1 · 6→1 → 0 · 7→0 → −0.5 → −0 → 0
    const expectX = [-1, -1, 2, 2, 1, 1, 0, 0];
    for (let k = 0; k < 4; k++)
      for (let j = 0; j < 4; j++)
        for (let i = 0; i < 8; i++) {
          const cj = Math.round(j / 2);
          const ck = Math.round(k / 2);
          const cx = expectX[i];
          const want = cx < 0 || cj > 1 || ck > 1 ? 0 : labels[cx + 3 * (cj + 2 * ck)];
          expect(out[i + 8 * (j + 4 * k)], `voxel ${i},${j},${k}`).toBe(want);
        }
  });
});
