import { describe, expect, it } from 'vitest';
import { makePreset, PRESETS, TUMOUR_CLASSES, NUM_CLASSES } from './config.ts';

describe('configuration defaults are METHOD.md numbers', () => {
  it('paper preset', () => {
    const p = PRESETS.paper;
    expect(p.patch).toEqual([96, 96, 96]);
    expect(p.spacingMm).toBe(1.5);
    expect(p.generator.encoder).toEqual([[32, 64], [64, 128], [128, 256], [256, 512]]);
    expect(p.generator.outChannels).toBe(3);
    expect(p.classifier.outChannels).toBe(3);
    expect(p.segmentor.outChannels).toBe(7);
    expect(p.generator.norm).toBe('batch');
    expect(p.blur).toEqual({ size: 7, sigma: 1 });
    expect(p.stage1).toMatchObject({ lr: 3e-4, weightDecay: 0.01 });
    expect(p.stage2).toMatchObject({ lr: 1e-4, betas: [0, 0.999], lambdaCls: 0.1, segLoss: 'reference' });
    expect(p.quality).toEqual({ threshold: 0.7, mode: 'threshold' });
    expect(p.mixup).toMatchObject({ alpha: 0.2, xProbability: 0.5 });
    expect(p.augment).toEqual({ flipP: 0.2, rot90P: 0.2, scale: 0.1, scaleP: 0.1, shift: 0.1, shiftP: 0.1 });
    expect(p.inference).toMatchObject({ overlap: 0.75, blend: 'gaussian' });
    expect(TUMOUR_CLASSES.universal).toEqual([2, 4, 6]);
    expect(NUM_CLASSES.specialist).toBe(3);
  });

  it('tiny preset is small and overrides merge deeply without touching the preset', () => {
    expect(PRESETS.tiny.generator.encoder.flat().every((w) => w <= 16)).toBe(true);
    const p = makePreset('tiny', { quality: { threshold: 0.5 }, stage2: { lambdaCls: 0.3 }, generator: { encoder: [[2], [4]] } });
    expect(p.quality).toEqual({ threshold: 0.5, mode: 'threshold' });
    expect(p.stage2.lambdaCls).toBe(0.3);
    expect(p.stage2.lr).toBe(1e-4);
    expect(p.generator.encoder).toEqual([[2], [4]]);
    expect(PRESETS.tiny.quality.threshold).toBe(0.7);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p); // JSON-able
  });
});
