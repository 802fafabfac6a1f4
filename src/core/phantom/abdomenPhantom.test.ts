import { describe, expect, it } from 'vitest';
import { TOTALSEGMENTATOR, remapLabels, PROJECT_LABELS } from '../labels.ts';
import { spacingOf } from '../volume.ts';
import { makeAbdomenPhantom, totalSegmentatorId } from './index.ts';

/** Small and coarse: the shapes are in mm, so a 6 mm grid holds the same anatomy at 1/8 the voxels. */
const SMALL = { dims: [60, 48, 48] as [number, number, number], spacing: [6, 6, 6] as [number, number, number] };

function stats(p: ReturnType<typeof makeAbdomenPhantom>, name: string): { count: number; mean: number } {
  const id = totalSegmentatorId(name);
  let count = 0, sum = 0;
  for (let v = 0; v < p.labels.data.length; v++) if (p.labels.data[v] === id) { count++; sum += p.image.data[v]; }
  return { count, mean: sum / count };
}

describe('makeAbdomenPhantom', () => {
  it('is a function of the seed: same seed, same bytes; another seed, another case', () => {
    const a = makeAbdomenPhantom({ ...SMALL, seed: 7 });
    const b = makeAbdomenPhantom({ ...SMALL, seed: 7 });
    const c = makeAbdomenPhantom({ ...SMALL, seed: 8 });
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(b.image.data.buffer))).toBe(true);
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(b.labels.data.buffer))).toBe(true);
    expect(Buffer.from(a.image.data.buffer).equals(Buffer.from(c.image.data.buffer))).toBe(false);
    // Anatomy moves with the seed, not only the noise.
    expect(Buffer.from(a.labels.data.buffer).equals(Buffer.from(c.labels.data.buffer))).toBe(false);
  });

  it('at the default size (the demo): organ volumes and HU of an adult portal-venous CT', () => {
    const p = makeAbdomenPhantom({ seed: 0 });
    expect(p.image.dims).toEqual([120, 96, 96]);
    expect(spacingOf(p.image.affine)).toEqual([3, 3, 3]);
    const mm3 = 27;
    // [name, min mL, max mL, HU lo, HU hi]: textbook adult volumes, enhanced-CT attenuation.
    const expected: Array<[string, number, number, number, number]> = [
      ['liver', 1000, 2200, 90, 120],
      ['spleen', 100, 400, 95, 135],
      ['pancreas', 30, 120, 75, 115],
      ['kidney_right', 90, 300, 120, 175],
      ['kidney_left', 90, 300, 120, 175],
      ['aorta', 40, 200, 140, 190],
    ];
    for (const [name, lo, hi, hlo, hhi] of expected) {
      const s = stats(p, name);
      expect(s.count * mm3 / 1000, `${name} mL`).toBeGreaterThan(lo);
      expect(s.count * mm3 / 1000, `${name} mL`).toBeLessThan(hi);
      expect(s.mean, `${name} HU`).toBeGreaterThan(hlo);
      expect(s.mean, `${name} HU`).toBeLessThan(hhi);
    }
    const bone = stats(p, 'vertebrae_L2');
    expect(bone.count).toBeGreaterThan(0);
    expect(bone.mean).toBeGreaterThan(250);
    // Air outside the body, fat under the skin: the corner voxel and the HU floor.
    expect(p.image.data[0]).toBeLessThan(-900);
    expect(p.image.data.reduce((a, b) => Math.min(a, b), 0)).toBeGreaterThanOrEqual(-1024);
    // From the front, on the midline: skin-side fat first, then the abdominal wall's muscle.
    const column = Array.from({ length: 96 }, (_, j) => p.image.data[60 + 120 * (95 - j + 96 * 48)]);
    const skin = column.findIndex((v) => v > -500);
    const firstTissue = column.slice(skin, skin + 3).reduce((a, b) => a + b, 0) / 3;
    expect(firstTissue).toBeLessThan(-50);
    expect(firstTissue).toBeGreaterThan(-140);
  });

  it('puts the organs on the patient side they belong to (RAS+: +x is the patient right)', () => {
    const p = makeAbdomenPhantom(SMALL);
    const meanX = (name: string) => {
      const id = totalSegmentatorId(name);
      let sum = 0, n = 0;
      p.labels.data.forEach((v, idx) => {
        if (v !== id) return;
        sum += p.labels.affine[3] + p.labels.affine[0] * (idx % SMALL.dims[0]);
        n++;
      });
      return sum / n;
    };
    expect(meanX('liver')).toBeGreaterThan(20);
    expect(meanX('kidney_right')).toBeGreaterThan(20);
    expect(meanX('spleen')).toBeLessThan(-20);
    expect(meanX('kidney_left')).toBeLessThan(-20);
    expect(meanX('aorta')).toBeLessThan(0);
  });

  it('labels are disjoint and name only ids that occur; the TotalSegmentator map finds every organ', () => {
    const p = makeAbdomenPhantom(SMALL);
    const ids = new Set(p.labels.data);
    ids.delete(0);
    expect(new Set(Object.keys(p.names).map(Number))).toEqual(ids);
    // One id per voxel is disjointness; every organ the method works on must be non-empty.
    const project = remapLabels(p.labels.data, TOTALSEGMENTATOR);
    for (const organ of ['liver', 'pancreas', 'kidney'] as const) {
      expect(project.some((v) => v === PROJECT_LABELS[organ]), organ).toBe(true);
    }
  });

  it('noise: flat regions have the requested standard deviation; 0 turns it off', () => {
    // Outside the body (air) the image is constant before noise, so its spread is the noise.
    const sdOfAir = (noiseSd: number) => {
      const p = makeAbdomenPhantom({ ...SMALL, noiseSd });
      const vals: number[] = [];
      // The corner column (i, j < 5, every k) lies outside the body ellipse.
      for (let k = 0; k < 48; k++) for (let j = 0; j < 5; j++) for (let i = 0; i < 5; i++) vals.push(p.image.data[i + 60 * (j + 48 * k)]);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      // Values below −1024 are clipped; −1000 ± 3 sd stays clear of it for sd ≤ 8.
      return Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / (vals.length - 1));
    };
    expect(sdOfAir(0)).toBe(0);
    expect(sdOfAir(6)).toBeGreaterThan(5);
    expect(sdOfAir(6)).toBeLessThan(7);
  });

  it('refuses impossible options, saying which', () => {
    expect(() => makeAbdomenPhantom({ dims: [0, 10, 10] })).toThrow(/dims/);
    expect(() => makeAbdomenPhantom({ spacing: [3, 3, Number.NaN] })).toThrow(/spacing/);
    expect(() => makeAbdomenPhantom({ noiseSd: -1 })).toThrow(/noiseSd/);
  });
});
