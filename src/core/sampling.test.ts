import { describe, expect, it } from 'vitest';
import { Rng } from './random.ts';
import { DEFAULT_SAMPLING, epochVisits, hasRealTumourLabels, stepsPerEpoch, SYNTHETIC_SOURCE, visitsOf } from './sampling.ts';

const cases = [
  { source: 'lits', labeled: true },
  { source: 'atlas', labeled: false },
  // what `freetumor synthesize` writes: labelled (its tumour is labelled), but synthetic
  { source: SYNTHETIC_SOURCE, labeled: true },
];

describe('epoch sampling', () => {
  it('real labelled ×10, unlabelled ×1, offline synthetic as their own source (×1), whatever their labelled flag', () => {
    const visits = epochVisits(cases, DEFAULT_SAMPLING, new Rng(1));
    const count = (i: number) => visits.filter((v) => v === i).length;
    expect([count(0), count(1), count(2)]).toEqual([10, 1, 1]);
    expect(visitsOf(cases[2], { ...DEFAULT_SAMPLING, syntheticOversample: 3 })).toBe(3);
    // a per-source factor still wins, for synthetic cases too
    expect(visitsOf(cases[2], { ...DEFAULT_SAMPLING, sourceOversample: { synthetic: 5 } })).toBe(5);
  });

  it('only real labelled cases have real tumour labels', () => {
    expect(cases.map(hasRealTumourLabels)).toEqual([true, false, false]);
  });

  it('steps per epoch = ⌈Σ visits · crops per visit / batch⌉', () => {
    // (10 + 1 + 1) visits × 4 crops / batch 4 = 12 steps; batch 5 → ⌈48/5⌉ = 10
    expect(stepsPerEpoch(cases, DEFAULT_SAMPLING, 4)).toBe(12);
    expect(stepsPerEpoch(cases, DEFAULT_SAMPLING, 5)).toBe(10);
    // stage 2's sampling (reference: LiTS ×200, one crop per visit), batch 4: (200 + 1 + 1)/4 → 51
    expect(stepsPerEpoch(cases, { ...DEFAULT_SAMPLING, sourceOversample: { lits: 200 }, cropsPerVisit: 1 }, 4)).toBe(51);
  });
});
