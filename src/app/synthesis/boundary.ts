/**
 * The boundary of a 3-D mask: voxels of the mask with at least one of their six face neighbours
 * outside it (or outside the volume). Shown as an overlay it draws the tumour as an outline on any
 * slice, so the texture underneath stays visible.
 */
export function boundaryMask(mask: ArrayLike<number>, dims: readonly [number, number, number]): Uint8Array {
  const [nx, ny, nz] = dims;
  const sxy = nx * ny;
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = nx * (j + ny * k);
      for (let i = 0; i < nx; i++) {
        const idx = row + i;
        if (!mask[idx]) continue;
        const edge =
          i === 0 || i === nx - 1 || j === 0 || j === ny - 1 || k === 0 || k === nz - 1 ||
          !mask[idx - 1] || !mask[idx + 1] || !mask[idx - nx] || !mask[idx + nx] || !mask[idx - sxy] || !mask[idx + sxy];
        if (edge) out[idx] = 1;
      }
    }
  }
  return out;
}
