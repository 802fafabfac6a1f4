import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOTALSEGMENTATOR, remapLabels } from '../labels.ts';
import { readNifti } from '../nifti/index.ts';
import { DEMO_CT, DEMO_SEG, sharedDemoPresent } from '../../node/testing/sharedDemo.ts';
import { Rng } from '../random.ts';
import type { ImageVolume, LabelVolume } from '../volume.ts';
import { HU_WINDOW_HI, HU_WINDOW_LO, windowToUnit } from '../window.ts';
import { synthesizeHandcrafted } from './handcraftedSynthesis.ts';
import { simulateTumourPositions } from './positionSimulation.ts';

let image: ImageVolume;
let label: LabelVolume;
const texture = { size: [64, 64, 64] as [number, number, number] };

const present = sharedDemoPresent('handcrafted synthesis on the TotalSegmentator example', [DEMO_CT, DEMO_SEG]);

beforeAll(async () => {
  if (!present) return;
  const ct = await readNifti(readFileSync(DEMO_CT), 'example_ct.nii.gz');
  const seg = await readNifti(readFileSync(DEMO_SEG), 'example_seg.nii.gz');
  image = ct.volume;
  label = { dims: seg.volume.dims, affine: seg.volume.affine, data: remapLabels(seg.volume.data, TOTALSEGMENTATOR) };
});

const hash = (...arrays: ArrayBufferView[]): string => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
};

describe.skipIf(!present)('handcrafted synthesis on the demo CT', () => {
  it('outside M̃ the image is bit-identical; inside it only gets darker, by at most d·(hi−lo)', () => {
    for (let seed = 0; seed < 12; seed++) {
      const organ = (['liver', 'pancreas', 'kidney'] as const)[seed % 3];
      const r = synthesizeHandcrafted(image, label, { seed, organs: [organ], handcrafted: { texture } });
      const a = new Uint32Array(image.data.buffer, image.data.byteOffset, image.data.length);
      const b = new Uint32Array(r.image.data.buffer, r.image.data.byteOffset, r.image.data.length);
      const m = r.simulation.softMask;
      let changedOutside = 0;
      let brighter = 0;
      let tooDark = 0;
      let changed = 0;
      const maxDrop = r.darkening * (HU_WINDOW_HI - HU_WINDOW_LO);
      for (let n = 0; n < a.length; n++) {
        if (m[n] === 0) {
          if (a[n] !== b[n]) changedOutside++;
          continue;
        }
        const drop = image.data[n] - r.image.data[n];
        if (drop < 0) brighter++;
        if (drop > maxDrop * m[n] + 1e-3) tooDark++;
        if (drop > 0) changed++;
      }
      expect(changedOutside).toBe(0);
      expect(brighter).toBe(0);
      expect(tooDark).toBe(0);
      expect(changed).toBeGreaterThan(0);
      expect(r.darkening).toBeGreaterThanOrEqual(0.2);
      expect(r.darkening).toBeLessThan(0.7);
      // Labels: tumour voxels get the organ's tumour id, the rest keep the project label.
      let labelBad = 0;
      for (let n = 0; n < label.data.length; n++) {
        const want = r.simulation.tumourLabel[n] || label.data[n];
        if (r.label.data[n] !== want) labelBad++;
      }
      expect(labelBad).toBe(0);
      expect(r.label.data.some((v) => v === { liver: 2, pancreas: 4, kidney: 6 }[organ])).toBe(true);
    }
  });

  it('same seed → same bytes (image, label, soft mask); different seeds differ', () => {
    const run = (seed: number): string => {
      const r = synthesizeHandcrafted(image, label, { seed, count: 2, handcrafted: { texture } });
      return hash(r.image.data, r.label.data, r.simulation.softMask);
    };
    const h7 = run(7);
    expect(run(7)).toBe(h7);
    const others = new Set([run(8), run(9), run(10)]);
    expect(others.has(h7)).toBe(false);
    expect(others.size).toBe(3);
  });

  it('draws the texture (s, b, β) per run seed, or from the run seed it is given', () => {
    const a = synthesizeHandcrafted(image, label, { seed: 1, handcrafted: { texture } });
    const b = synthesizeHandcrafted(image, label, { seed: 2, handcrafted: { texture } });
    expect(a.textureParams.beta).not.toBe(b.textureParams.beta);
    expect(a.textureParams.scale).not.toBe(b.textureParams.scale);
    // A training run fixes its texture by its own seed: every call of the run shares it.
    const c = synthesizeHandcrafted(image, label, { seed: 1, handcrafted: { texture: { ...texture, seed: 77 } } });
    const d = synthesizeHandcrafted(image, label, { seed: 2, handcrafted: { texture: { ...texture, seed: 77 } } });
    expect(c.textureParams).toEqual(d.textureParams);
  });

  it('places the same tumours as simulateTumourPositions with the same seed', () => {
    const r = synthesizeHandcrafted(image, label, { seed: 21, handcrafted: { texture } });
    const s = simulateTumourPositions(label, { seed: 21 });
    expect(r.simulation.tumours).toEqual(s.tumours);
  });

  it('accepts a generator stream (training) and stays reproducible from its state', () => {
    const rng = new Rng(99);
    const state = rng.getState();
    const a = synthesizeHandcrafted(image, label, { seed: rng, handcrafted: { texture } });
    const b = synthesizeHandcrafted(image, label, { seed: Rng.fromState(state), handcrafted: { texture } });
    expect(hash(a.image.data)).toBe(hash(b.image.data));
  });

  it('in window units the change is the HU change divided by the window width', () => {
    const unit = windowToUnit(image);
    const hu = synthesizeHandcrafted(image, label, { seed: 4, handcrafted: { texture } });
    const un = synthesizeHandcrafted(unit, label, { seed: 4, handcrafted: { texture, units: 'unit' } });
    const w = HU_WINDOW_HI - HU_WINDOW_LO;
    let maxErr = 0;
    for (let n = 0; n < unit.data.length; n++) {
      if (hu.simulation.softMask[n] === 0) continue;
      const dHu = (image.data[n] - hu.image.data[n]) / w;
      const dUnit = unit.data[n] - un.image.data[n];
      maxErr = Math.max(maxErr, Math.abs(dHu - dUnit));
    }
    expect(maxErr).toBeLessThan(1e-5);
    expect(() => synthesizeHandcrafted(unit, label, { seed: 4, avoidVessels: { enabled: true }, handcrafted: { units: 'unit' } })).toThrow();
  });
});
