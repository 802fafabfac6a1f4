import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, MAX_COUNT, useSynthesisStore } from './synthesisStore.ts';

const st = () => useSynthesisStore.getState();
const result = {
  seed: 7,
  darkening: 0.4,
  elapsedMs: 10,
  tumours: [
    {
      organ: 'liver' as const,
      sizeClass: 'small' as const,
      centreVoxel: [1, 2, 3] as [number, number, number],
      centreMm: [0, 0, 0] as [number, number, number],
      userCentre: true,
      voxelCount: 10,
      volumeMm3: 270,
      tumourSeed: 99,
    },
  ],
};

describe('synthesisStore', () => {
  beforeEach(() => st().reset());

  it('starts from the defaults and reset brings them back', () => {
    expect(st().settings).toEqual(DEFAULT_SETTINGS);
    st().update({ organ: 'kidney', seed: 42, count: 3, avoidVessels: true, huThreshold: 200 });
    st().succeed(result);
    st().reset();
    expect(st().settings).toEqual(DEFAULT_SETTINGS);
    expect(st().result).toBeNull();
    expect(st().status).toBe('idle');
    expect(st().view).toBe('original');
  });

  it('clamps numbers: seed ≥ 0 integer, count 1..MAX, threshold in range', () => {
    st().update({ seed: -5, count: 99, huThreshold: 1e6 });
    expect(st().settings).toMatchObject({ seed: 0, count: MAX_COUNT, huThreshold: 3000 });
    st().update({ seed: 12.6, count: Number.NaN });
    expect(st().settings).toMatchObject({ seed: 13, count: 1 });
  });

  it('cycles organ, size and count; a new organ forgets the clicked centre', () => {
    st().setCentre([1, 2, 3]);
    st().cycleOrgan();
    expect(st().settings.organ).toBe('pancreas');
    expect(st().centre).toBeNull();
    st().cycleOrgan();
    st().cycleOrgan();
    expect(st().settings.organ).toBe('liver');
    expect([st().cycleSize(), st().settings.sizeClass][1]).toBe('tiny');
    for (let n = 0; n < 4; n++) st().cycleSize();
    expect(st().settings.sizeClass).toBe('random');
    for (let n = 0; n < MAX_COUNT; n++) st().cycleCount();
    expect(st().settings.count).toBe(1);
    st().adjustThreshold(-10);
    expect(st().settings.huThreshold).toBe(170);
  });

  it('placement mode switches to click placement; start ends it', () => {
    st().setPlacing(true);
    expect(st()).toMatchObject({ placing: true, settings: { placement: 'click' } });
    st().start();
    expect(st()).toMatchObject({ placing: false, status: 'running' });
  });

  it('a result shows the synthetic view; toggle and compare need a result', () => {
    st().toggleView();
    st().setCompare(true);
    expect(st().view).toBe('original');
    expect(st().compare).toBe(false);
    st().start();
    st().succeed(result);
    expect(st()).toMatchObject({ status: 'done', view: 'synthetic', result });
    st().toggleView();
    expect(st().view).toBe('original');
    st().setCompare(true);
    expect(st().compare).toBe(true);
  });

  it('a failure keeps the earlier result; clearResult keeps the settings', () => {
    st().update({ seed: 5 });
    st().succeed(result);
    st().fail('centre is not inside the liver');
    expect(st()).toMatchObject({ status: 'error', message: 'centre is not inside the liver', result });
    st().setExporting(true);
    st().setExported({ image: 'a', label: 'b' });
    expect(st().exporting).toBe(false);
    st().clearResult();
    expect(st().result).toBeNull();
    expect(st().exported).toBeNull();
    expect(st().settings.seed).toBe(5);
  });
});
