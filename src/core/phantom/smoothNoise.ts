import type { Rng } from '../random.ts';

/**
 * Smooth random field ("value noise"): standard-normal values on a coarse lattice, trilinearly
 * interpolated. Tissue in CT is not flat: perfusion and partial volume vary over centimetres, and
 * organ outlines are not ellipsoids. A lattice of Gaussian draws gives both from one seeded source
 * at a cost of one interpolation per lookup.
 */
export class SmoothNoise {
  private readonly lattice: Float32Array;
  private readonly n: [number, number, number];

  /**
   * @param extentMm the box the field must cover, from (0, 0, 0) in mm
   * @param cellMm lattice spacing: the length over which the field changes
   */
  constructor(rng: Rng, extentMm: [number, number, number], readonly cellMm: number) {
    if (!(cellMm > 0)) throw new RangeError(`SmoothNoise: cell size must be positive, got ${cellMm}`);
    this.n = extentMm.map((e) => Math.ceil(e / cellMm) + 2) as [number, number, number];
    this.lattice = new Float32Array(this.n[0] * this.n[1] * this.n[2]);
    for (let v = 0; v < this.lattice.length; v++) this.lattice[v] = rng.normal();
  }

  /** The field at a point in mm (inside the extent; outside it is clamped to the edge). */
  at(x: number, y: number, z: number): number {
    const [nx, ny, nz] = this.n;
    const fx = Math.min(Math.max(x / this.cellMm, 0), nx - 1.001);
    const fy = Math.min(Math.max(y / this.cellMm, 0), ny - 1.001);
    const fz = Math.min(Math.max(z / this.cellMm, 0), nz - 1.001);
    const i = Math.floor(fx), j = Math.floor(fy), k = Math.floor(fz);
    const u = fx - i, v = fy - j, w = fz - k;
    const L = this.lattice;
    const o = i + nx * (j + ny * k);
    const sx = 1, sy = nx, sz = nx * ny;
    const c00 = L[o] + u * (L[o + sx] - L[o]);
    const c10 = L[o + sy] + u * (L[o + sy + sx] - L[o + sy]);
    const c01 = L[o + sz] + u * (L[o + sz + sx] - L[o + sz]);
    const c11 = L[o + sz + sy] + u * (L[o + sz + sy + sx] - L[o + sz + sy]);
    const c0 = c00 + v * (c10 - c00);
    const c1 = c01 + v * (c11 - c01);
    return c0 + w * (c1 - c0);
  }
}
