import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORGAN_IDS, TOTALSEGMENTATOR, remapLabels } from '../labels.ts';
import { readNifti } from '../nifti/index.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';
import type { ImageVolume, LabelVolume, Mat4, Vec3 } from '../volume.ts';
import { organExtent, superiorInferiorAxis } from './centre.ts';
import { TumourSimulationError } from './errors.ts';
import { simulateTumourPositions } from './positionSimulation.ts';
import { SIZE_CLASSES, semiAxisRangeMm, type SizeClass } from './sizeClasses.ts';

function diagAffine(s: Vec3): Mat4 {
  return [s[0], 0, 0, 0, 0, s[1], 0, 0, 0, 0, s[2], 0, 0, 0, 0, 1];
}

function filledLabel(dims: Vec3, affine: Mat4, inside: (i: number, j: number, k: number) => boolean, id = 1): LabelVolume {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  let n = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, n++) if (inside(i, j, k)) data[n] = id;
  return { dims, affine, data };
}

/** Inclusive voxel bbox of the non-zero voxels. */
function bboxOf(dims: Vec3, data: ArrayLike<number>): { lo: Vec3; hi: Vec3; count: number } {
  const e = organExtent(dims, (n) => data[n] > 0);
  return { lo: e.lo, hi: e.hi, count: e.count };
}

let demo: { image: ImageVolume; label: LabelVolume };

const present = sharedDemoPresent('position simulation on the TotalSegmentator example', [DEMO_CT, DEMO_SEG]);

beforeAll(async () => {
  if (!present) return;
  const ct = await readNifti(readFileSync(DEMO_CT), 'example_ct.nii.gz');
  const seg = await readNifti(readFileSync(DEMO_SEG), 'example_seg.nii.gz');
  demo = {
    image: ct.volume,
    label: { dims: seg.volume.dims, affine: seg.volume.affine, data: remapLabels(seg.volume.data, TOTALSEGMENTATOR) },
  };
});

describe('size classes in millimetres', () => {
  for (const spacing of [
    [3, 3, 3],
    [0.7, 0.7, 5],
  ] as Vec3[]) {
    it(`undeformed ellipsoid semi-axes lie in the class range (mm) at ${spacing.join('×')} mm`, () => {
      const dims = [0, 1, 2].map((a) => Math.round(130 / spacing[a])) as Vec3;
      const affine = diagAffine(spacing);
      const label = filledLabel(dims, affine, () => true);
      const centre = dims.map((d) => Math.floor(d / 2)) as Vec3;
      for (const cls of SIZE_CLASSES) {
        const [lo, hi] = semiAxisRangeMm(cls);
        for (let seed = 0; seed < 4; seed++) {
          const sim = simulateTumourPositions(label, {
            seed,
            sizeClass: cls,
            centres: [centre],
            elastic: { enabled: false },
            boxFactor: 1.05, // no deformation, so the box only needs to hold the ellipsoid
          });
          const t = sim.tumours[0];
          const box = bboxOf(dims, sim.tumourLabel);
          for (let a = 0; a < 3; a++) {
            expect(t.semiAxesMm[a]).toBeGreaterThanOrEqual(lo);
            expect(t.semiAxesMm[a]).toBeLessThanOrEqual(hi);
            expect(t.semiAxesVoxels[a]).toBeCloseTo(t.semiAxesMm[a] / spacing[a], 9);
            // The drawn voxel set spans 2·floor(r/s)+1 voxels: within one voxel of 2r in mm.
            const extentMm = (box.hi[a] - box.lo[a] + 1) * spacing[a];
            expect(Math.abs(extentMm - 2 * t.semiAxesMm[a])).toBeLessThanOrEqual(spacing[a] + 1e-9);
          }
          // Volume close to the ellipsoid's 4/3·π·abc (voxelisation error shrinks with size).
          const analytic = (4 / 3) * Math.PI * t.semiAxesMm[0] * t.semiAxesMm[1] * t.semiAxesMm[2];
          if (cls === 'medium' || cls === 'large') expect(Math.abs(t.volumeMm3 / analytic - 1)).toBeLessThan(0.2);
        }
      }
    });
  }

  it('class ranges are 4/8/16/32 voxels at 1.5 mm ±25 %', () => {
    expect(semiAxisRangeMm('tiny')).toEqual([4.5, 7.5]);
    expect(semiAxisRangeMm('small')).toEqual([9, 15]);
    expect(semiAxisRangeMm('medium')).toEqual([18, 30]);
    expect(semiAxisRangeMm('large')).toEqual([36, 60]);
  });

  it('class probabilities are honoured', () => {
    const label = filledLabel([40, 40, 40], diagAffine([3, 3, 3]), () => true);
    const seen = new Set<SizeClass>();
    for (let seed = 0; seed < 20; seed++) {
      const sim = simulateTumourPositions(label, { seed, classProbabilities: { tiny: 1, small: 0, medium: 0, large: 0 } });
      seen.add(sim.tumours[0].sizeClass);
    }
    expect([...seen]).toEqual(['tiny']);
  });
});

describe.skipIf(!present)('position simulation on the demo CT', () => {
  it('every tumour voxel is organ, and M̃ is in [0,1], inside the organ, positive on M', () => {
    const { label } = demo;
    const organs = ['liver', 'pancreas', 'kidney'] as const;
    for (let seed = 0; seed < 18; seed++) {
      const organ = organs[seed % 3];
      const sim = simulateTumourPositions(label, { seed, organs: [organ], count: 1 + (seed % 2) });
      const { organ: oid, tumor: tid } = ORGAN_IDS[organ];
      let mCount = 0;
      let bad = 0;
      for (let n = 0; n < label.data.length; n++) {
        const m = sim.tumourLabel[n];
        const s = sim.softMask[n];
        if (m) {
          mCount++;
          if (m !== tid || label.data[n] !== oid || !(s > 0)) bad++;
        }
        if (!(s >= 0 && s <= 1)) bad++;
        if (s > 0 && label.data[n] !== oid) bad++;
      }
      expect(bad).toBe(0);
      expect(mCount).toBeGreaterThan(0);
      expect(sim.tumours.reduce((a, t) => a + t.voxelCount, 0)).toBeGreaterThanOrEqual(mCount);
      for (const t of sim.tumours) expect(t.volumeMm3).toBe(t.voxelCount * 27);
    }
  });

  it('the centre lies in the 30–70 % band of the liver along the superior–inferior axis, on an eroded pixel', () => {
    const { label } = demo;
    const dims = label.dims;
    const liver = (n: number): boolean => label.data[n] === 1;
    const ext = organExtent(dims, liver);
    const z = superiorInferiorAxis(label.affine);
    expect(z).toBe(2);
    const len = ext.hi[z] - ext.lo[z];
    for (let seed = 0; seed < 24; seed++) {
      const t = simulateTumourPositions(label, { seed }).tumours[0];
      const c = t.centreVoxel;
      expect(t.centreBand).toEqual({ band: [0.3, 0.7], widened: 0, siAxis: 2 });
      expect(c[2]).toBeGreaterThanOrEqual(ext.lo[2] + 0.3 * len);
      expect(c[2]).toBeLessThanOrEqual(ext.lo[2] + 0.7 * len);
      // 3 mm voxels: the 3 mm erosion radius is one voxel, a 3×3 kernel.
      for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
        expect(liver(c[0] + di + dims[0] * (c[1] + dj + dims[1] * c[2]))).toBe(true);
      }
    }
  });

  it('vessel avoidance never picks a centre brighter than the threshold', () => {
    const { label, image } = demo;
    // This demo is non-contrast (liver < 150 HU), so test with a threshold that bites: 60 HU.
    const hu = 60;
    let brightWithout = 0;
    for (let seed = 0; seed < 20; seed++) {
      const c = simulateTumourPositions(label, { seed, avoidVessels: { enabled: true, huThreshold: hu } }, image).tumours[0].centreVoxel;
      const idx = c[0] + label.dims[0] * (c[1] + label.dims[1] * c[2]);
      expect(image.data[idx]).toBeLessThanOrEqual(hu);
      const c0 = simulateTumourPositions(label, { seed }).tumours[0].centreVoxel;
      if (image.data[c0[0] + label.dims[0] * (c0[1] + label.dims[1] * c0[2])] > hu) brightWithout++;
    }
    expect(brightWithout).toBeGreaterThan(0);
    expect(() => simulateTumourPositions(label, { seed: 1, avoidVessels: { enabled: true } })).toThrow(TumourSimulationError);
  });

  it('a user-given centre is used as is, and refused outside the organ or the volume', () => {
    const { label } = demo;
    const dims = label.dims;
    let inside: Vec3 | null = null;
    for (let n = 0; n < label.data.length && !inside; n++) {
      if (label.data[n] === 1 && n % 997 === 0) inside = [n % dims[0], Math.floor(n / dims[0]) % dims[1], Math.floor(n / (dims[0] * dims[1]))];
    }
    const t = simulateTumourPositions(label, { seed: 3, centres: [inside!] }).tumours[0];
    expect(t.centreVoxel).toEqual(inside);
    expect(t.userCentre).toBe(true);
    expect(t.centreWorldMm).toEqual([0, 1, 2].map((r) => label.affine[4 * r] * inside![0] + label.affine[4 * r + 1] * inside![1] + label.affine[4 * r + 2] * inside![2] + label.affine[4 * r + 3]));
    expect(() => simulateTumourPositions(label, { seed: 3, centres: [[0, 0, 0]] })).toThrow(/not inside the liver/);
    expect(() => simulateTumourPositions(label, { seed: 3, centres: [[500, 0, 0]] })).toThrow(/outside the volume/);
  });

  it('works on a crop in its own voxel space', () => {
    const { label } = demo;
    const d = label.dims;
    const ext = organExtent(d, (n) => label.data[n] === 1);
    const lo = ext.lo;
    const cd: Vec3 = [40, 40, 40];
    const data = new Uint8Array(40 * 40 * 40);
    for (let k = 0; k < 40; k++) for (let j = 0; j < 40; j++) for (let i = 0; i < 40; i++) {
      data[i + 40 * (j + 40 * k)] = label.data[lo[0] + 5 + i + d[0] * (lo[1] + 5 + j + d[1] * (lo[2] + 10 + k))];
    }
    const a = label.affine;
    const affine = [...a];
    for (let r = 0; r < 3; r++) affine[4 * r + 3] = a[4 * r] * (lo[0] + 5) + a[4 * r + 1] * (lo[1] + 5) + a[4 * r + 2] * (lo[2] + 10) + a[4 * r + 3];
    const crop: LabelVolume = { dims: cd, affine, data };
    for (let seed = 0; seed < 10; seed++) {
      const sim = simulateTumourPositions(crop, { seed, sizeClass: 'medium' });
      let bad = 0;
      for (let n = 0; n < data.length; n++) if (sim.tumourLabel[n] && data[n] !== 1) bad++;
      expect(bad).toBe(0);
      expect(sim.tumours[0].voxelCount).toBeGreaterThan(0);
    }
  });

  it('same seed, same masks; different seeds, different masks', () => {
    const { label } = demo;
    const a = simulateTumourPositions(label, { seed: 11, count: 2 });
    const b = simulateTumourPositions(label, { seed: 11, count: 2 });
    const c = simulateTumourPositions(label, { seed: 12, count: 2 });
    expect(Buffer.from(a.softMask.buffer).equals(Buffer.from(b.softMask.buffer))).toBe(true);
    expect(Buffer.from(a.tumourLabel).equals(Buffer.from(b.tumourLabel))).toBe(true);
    expect(a.tumours).toEqual(b.tumours);
    expect(Buffer.from(a.softMask.buffer).equals(Buffer.from(c.softMask.buffer))).toBe(false);
    // Tumour n does not depend on how many tumours were asked for.
    const one = simulateTumourPositions(label, { seed: 11, count: 1 });
    expect(one.tumours[0]).toEqual(a.tumours[0]);
  });
});

describe('soft mask', () => {
  it('is 1 deep inside a big tumour and falls off smoothly at its edge', () => {
    const spacing: Vec3 = [1.5, 1.5, 1.5];
    const dims: Vec3 = [120, 120, 120];
    const label = filledLabel(dims, diagAffine(spacing), () => true);
    const sim = simulateTumourPositions(label, { seed: 5, sizeClass: 'large', centres: [[60, 60, 60]], elastic: { enabled: false } });
    const centre = 60 + 120 * (60 + 120 * 60);
    expect(sim.softMask[centre]).toBeGreaterThan(1 - 1e-6);
    expect(sim.softMask[centre]).toBeLessThanOrEqual(1);
    let partial = 0;
    for (const v of sim.softMask) if (v > 0.05 && v < 0.95) partial++;
    expect(partial).toBeGreaterThan(0);
  });
});

describe('centre selection edge cases', () => {
  const spacing: Vec3 = [1.5, 1.5, 1.5];
  const affine = diagAffine(spacing);

  it('an empty organ is an error, not a tumour at (0,0,0)', () => {
    const label = filledLabel([20, 20, 20], affine, () => false);
    expect(() => simulateTumourPositions(label, { seed: 1 })).toThrow(TumourSimulationError);
    expect(() => simulateTumourPositions(label, { seed: 1 })).toThrow(/no liver voxel/);
  });

  it('an organ too thin for the erosion everywhere is an error that says so', () => {
    const label = filledLabel([20, 20, 20], affine, (i, j) => i === 10 && j >= 5 && j < 15);
    expect(() => simulateTumourPositions(label, { seed: 1 })).toThrow(/erosion/);
  });

  it('widens the band when the middle slices erode away', () => {
    // A dumbbell along k: thick ends, a thin neck through the whole 30–70 % band.
    const dims: Vec3 = [30, 30, 40];
    const label = filledLabel(dims, affine, (i, j, k) =>
      k < 8 || k > 31 ? Math.abs(i - 15) < 10 && Math.abs(j - 15) < 10 : i === 15 && j === 15,
    );
    const widenedTo = new Set<number>();
    for (let seed = 0; seed < 12; seed++) {
      const t = simulateTumourPositions(label, { seed, sizeClass: 'tiny' }).tumours[0];
      expect(t.centreBand!.widened).toBeGreaterThan(0);
      const k = t.centreVoxel[2];
      expect(k < 8 || k > 31).toBe(true);
      widenedTo.add(t.centreBand!.widened);
    }
    // The neck spans k 8..31 of 0..39: the band first reaches a thick slice at 10–90 % (k 4..35).
    expect(Math.min(...widenedTo)).toBe(2);
  });

  it('uses the voxel axis closest to superior–inferior, not blindly k', () => {
    // Voxel j runs along world z (a coronal-style acquisition); the band must apply along j.
    const aff: Mat4 = [1.5, 0, 0, 0, 0, 0, 1.5, 0, 0, 1.5, 0, 0, 0, 0, 0, 1];
    expect(superiorInferiorAxis(aff)).toBe(1);
    const dims: Vec3 = [30, 40, 30];
    const label = filledLabel(dims, aff, (i, j, k) => Math.abs(i - 15) < 12 && Math.abs(k - 15) < 12 && j >= 0);
    for (let seed = 0; seed < 10; seed++) {
      const t = simulateTumourPositions(label, { seed, sizeClass: 'tiny' }).tumours[0];
      expect(t.centreBand!.siAxis).toBe(1);
      expect(t.centreVoxel[1]).toBeGreaterThanOrEqual(0.3 * 39);
      expect(t.centreVoxel[1]).toBeLessThanOrEqual(0.7 * 39);
    }
  });
});
