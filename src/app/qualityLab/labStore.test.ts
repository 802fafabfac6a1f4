import { beforeEach, describe, expect, it } from 'vitest';
import { currentPassCount, DEFAULT_THRESHOLD, MAX_BATCH, labHoldsKeyboard, shownItem, useLabStore } from './labStore.ts';
import { organsCovered } from './helpers.ts';
import type { LabItem, ModelInfo, Thumbnail } from './messages.ts';

const s = () => useLabStore.getState();
const item = (index: number, P: number): LabItem => ({ index, seed: index, organ: 'liver', sizeClass: 'tiny', centreVoxel: [0, 0, 0], volumeMm3: 1, newVoxels: 1, maskVoxels: 1, hitVoxels: 1, P, elapsedMs: 1 });
const thumb: Thumbnail = { nx: 1, ny: 1, hu: new Float32Array(1), outline: new Uint8Array(1) };
const info = (slot: 'generator' | 'segmentor'): ModelInfo => ({
  slot,
  fileName: `${slot}.safetensors`,
  networkName: slot,
  role: slot,
  organ: null,
  labelScheme: slot === 'segmentor' ? 'universal' : null,
  preset: 'tiny',
  description: null,
  provenance: {},
  encoder: [[2]],
  outChannels: 3,
  params: 10,
  patch: [16, 16, 16],
  spacingMm: 3,
  step: 0,
  createdAt: '',
});

describe('lab store', () => {
  beforeEach(() => s().reset());

  it('starts closed with T = 0.7 and N = 50', () => {
    expect(s().open).toBe(false);
    expect(s().threshold).toBe(DEFAULT_THRESHOLD);
    expect(s().count).toBe(50);
    expect(labHoldsKeyboard()).toBe(false);
    s().setOpen(true);
    expect(labHoldsKeyboard()).toBe(true);
  });

  it('clamps the threshold, batch size and seed', () => {
    s().setThreshold(1.5);
    expect(s().threshold).toBe(1);
    s().setThreshold(-1);
    expect(s().threshold).toBe(0);
    s().setThreshold(NaN);
    expect(s().threshold).toBe(DEFAULT_THRESHOLD);
    s().setCount(0);
    expect(s().count).toBe(1);
    s().setCount(1e9);
    expect(s().count).toBe(MAX_BATCH);
    s().setSeed(-5);
    expect(s().seed).toBe(0);
    s().setSeed(12.7);
    expect(s().seed).toBe(12);
    s().setSizeClass('small');
    expect(s().sizeClass).toBe('small');
    s().reset();
    expect(s().sizeClass).toBe('random');
  });

  it('holds models per slot and unloads them', () => {
    s().setModelError('old');
    s().setModel(info('generator'));
    s().setModel(info('segmentor'));
    expect(Object.keys(s().models).sort()).toEqual(['generator', 'segmentor']);
    expect(s().modelError).toBeNull();
    s().unloadModel('generator');
    expect(s().models.generator).toBeUndefined();
  });

  it('collects a batch and counts passes at the current T', () => {
    s().startBatch(3, 5);
    s().addBatchItem(item(0, 0.9), thumb);
    s().addBatchItem(item(1, 0.4), thumb);
    s().addBatchItem(item(2, 0.7), thumb);
    expect(currentPassCount(s())).toBe(2);
    s().setThreshold(0.95);
    expect(currentPassCount(s())).toBe(0);
    s().setThreshold(0.3);
    expect(currentPassCount(s())).toBe(3);
    s().finishBatch(false, 42);
    expect(s().batch).toMatchObject({ finished: true, cancelled: false, numTensorsAfter: 42, baseSeed: 5, total: 3 });
    expect(Object.keys(s().batch!.thumbs)).toHaveLength(3);
  });

  it('tracks only the current job’s progress', () => {
    s().startJob('batch', 7, 4, 'starting');
    s().progressJob(6, 3, 4, 'stale');
    expect(s().progress).toMatchObject({ requestId: 7, done: 0 });
    s().progressJob(7, 2, 4, 'tumour 3');
    expect(s().progress).toMatchObject({ done: 2, phase: 'tumour 3' });
    s().endJob(6);
    expect(s().progress).not.toBeNull();
    s().endJob(7);
    expect(s().progress).toBeNull();
  });

  it('clears results on a new case, keeps models, and resets everything', () => {
    s().setModel(info('generator'));
    s().setSingle(item(-1, 0.5));
    s().startBatch(1, 0);
    s().setCentre([1, 2, 3]);
    s().clearResults();
    expect(s().single).toBeNull();
    expect(s().batch).toBeNull();
    expect(s().centre).toBeNull();
    expect(s().models.generator).toBeDefined();
    s().setOpen(true);
    s().notice('x');
    s().reset();
    expect(s().open).toBe(false);
    expect(s().models).toEqual({});
    expect(s().notices).toEqual([]);
  });
});

describe('what the result panel shows and which organs are offered', () => {
  beforeEach(() => s().reset());

  it('the result panel follows the tumour in the viewer: a gallery item once opened, else the single one', () => {
    expect(shownItem(s())).toBeNull();
    s().setSingle(item(-1, 0.2));
    expect(shownItem(s())).toEqual({ item: item(-1, 0.2), from: 'single' });
    s().startBatch(2, 1);
    s().addBatchItem(item(0, 0.9), thumb);
    s().addBatchItem(item(1, 0.4), thumb);
    s().setShown(1);
    expect(shownItem(s())).toEqual({ item: item(1, 0.4), from: 'gallery' });
    // A new single synthesis takes the panel (and the viewer) back.
    s().setSingle(item(-1, 0.6));
    expect(shownItem(s())?.from).toBe('single');
    expect(shownItem(s())?.item.P).toBe(0.6);
  });

  it('a specialist S narrows the organ list to its organ and moves the organ there', () => {
    expect(organsCovered(undefined)).toEqual(['liver', 'pancreas', 'kidney']);
    expect(organsCovered(info('segmentor'))).toEqual(['liver', 'pancreas', 'kidney']);
    s().setOrgan('kidney');
    s().setModel({ ...info('segmentor'), labelScheme: 'specialist', organ: 'pancreas' });
    expect(organsCovered(s().models.segmentor)).toEqual(['pancreas']);
    expect(s().organ).toBe('pancreas');
    // G says nothing about organs.
    s().setModel(info('generator'));
    expect(s().organ).toBe('pancreas');
  });
});
