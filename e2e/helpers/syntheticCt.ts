import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/random.ts';

/**
 * A clinical-size CT and its label map, generated rather than shipped (hundreds of MB): an
 * elliptic body of soft tissue in air, a liver (label 1) holding one tumour (label 2) and a kidney
 * (label 5), with seeded noise so the intensity range and statistics are those of a real scan.
 * Written by a NIfTI-1 writer of its own, so the app's reader is tested against an independent one.
 */
export interface SyntheticCtOptions {
  dims: [number, number, number];
  /** mm per voxel. */
  spacing: [number, number, number];
  seed: number;
}

export interface SyntheticCt {
  image: string;
  labels: string;
  /** Voxels per label id, for checks against what the app reports. */
  counts: Map<number, number>;
}

/**
 * A NIfTI-1 header for `dims` with a dcm2niix-like sform (x flipped: stored left to right as
 * DICOM's LPS rows), so viewers must reorient rather than take the array as RAS.
 */
function header(dims: [number, number, number], spacing: [number, number, number], datatype: number, bitpix: number): Buffer {
  const h = Buffer.alloc(352);
  h.writeInt32LE(348, 0);
  h.writeInt16LE(3, 40);
  dims.forEach((d, n) => h.writeInt16LE(d, 42 + 2 * n));
  for (let n = 3; n < 7; n++) h.writeInt16LE(1, 42 + 2 * n);
  h.writeInt16LE(datatype, 70);
  h.writeInt16LE(bitpix, 72);
  h.writeFloatLE(1, 76);
  spacing.forEach((s, n) => h.writeFloatLE(s, 80 + 4 * n));
  h.writeFloatLE(352, 108);
  h.writeFloatLE(1, 112);
  h.writeFloatLE(0, 116);
  h.writeUInt8(2, 123); // xyzt_units: mm
  h.writeInt16LE(0, 252); // qform_code
  h.writeInt16LE(2, 254); // sform_code: aligned
  const [sx, sy, sz] = spacing;
  const srow = [
    [-sx, 0, 0, (sx * dims[0]) / 2],
    [0, sy, 0, (-sy * dims[1]) / 2],
    [0, 0, sz, (-sz * dims[2]) / 2],
  ];
  srow.flat().forEach((v, n) => h.writeFloatLE(v, 280 + 4 * n));
  h.write('n+1\0', 344, 'latin1');
  return h;
}

/** Write the pair under `dir` (uncompressed .nii: generating is the test's cost, not gzip). */
export function writeSyntheticCt(dir: string, name: string, o: SyntheticCtOptions): SyntheticCt {
  const [nx, ny, nz] = o.dims;
  const n = nx * ny * nz;
  const hu = new Int16Array(n);
  const lab = new Uint8Array(n);
  const rng = new Rng(o.seed);
  const rand = () => rng.uniform();
  // Shapes in voxel units of the slice and in slices, so every size of scan has them.
  const cx = nx / 2, cy = ny / 2, cz = nz / 2;
  const liver = { x: nx * 0.36, y: ny * 0.45, z: cz, rx: nx * 0.16, ry: ny * 0.13, rz: nz * 0.3 };
  const tumour = { x: liver.x + liver.rx * 0.3, y: liver.y, z: cz, r: Math.min(nx, ny) * 0.03, rz: Math.max(2, nz * 0.05) };
  const kidney = { x: nx * 0.68, y: ny * 0.62, z: cz, rx: nx * 0.05, ry: ny * 0.07, rz: nz * 0.12 };
  const counts = new Map<number, number>();
  let v = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        const noise = (rand() - 0.5) * 40;
        const body = ((i - cx) / (nx * 0.42)) ** 2 + ((j - cy) / (ny * 0.32)) ** 2 <= 1;
        let value = body ? 40 + noise : -1000 + noise / 4;
        let id = 0;
        if (((i - liver.x) / liver.rx) ** 2 + ((j - liver.y) / liver.ry) ** 2 + ((k - liver.z) / liver.rz) ** 2 <= 1) {
          id = 1;
          value = 60 + noise;
          if (((i - tumour.x) / tumour.r) ** 2 + ((j - tumour.y) / tumour.r) ** 2 + ((k - tumour.z) / tumour.rz) ** 2 <= 1) {
            id = 2;
            value = 25 + noise;
          }
        } else if (((i - kidney.x) / kidney.rx) ** 2 + ((j - kidney.y) / kidney.ry) ** 2 + ((k - kidney.z) / kidney.rz) ** 2 <= 1) {
          id = 5;
          value = 150 + noise;
        }
        hu[v] = Math.round(value);
        lab[v] = id;
        if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
  }
  mkdirSync(dir, { recursive: true });
  const image = join(dir, `${name}.nii`);
  const labels = join(dir, `${name}_seg.nii`);
  writeFileSync(image, Buffer.concat([header(o.dims, o.spacing, 4, 16), Buffer.from(hu.buffer)]));
  writeFileSync(labels, Buffer.concat([header(o.dims, o.spacing, 2, 8), Buffer.from(lab.buffer)]));
  return { image, labels, counts };
}
