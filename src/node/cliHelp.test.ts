/**
 * What --help promises: every command that reads volumes states the memory limit and how to change
 * it; every command that loads a checkpoint says its model card supplies the crop and how to
 * override it.
 */
import { describe, expect, it } from 'vitest';
import { VOLUME_LIMIT_HELP } from './io.ts';
import { runCli } from './testing/runCli.ts';

const READS_VOLUMES = ['inspect', 'convert', 'simulate', 'manifest', 'train-segmentor', 'train-synthesis', 'train-segmentation', 'synthesize', 'evaluate'];
const LOADS_CHECKPOINTS = ['train-synthesis', 'train-segmentation', 'synthesize', 'evaluate'];

describe('--help', () => {
  it('the top-level usage and each volume-reading command state the memory limit', { timeout: 60_000 }, async () => {
    const top = await runCli('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain(VOLUME_LIMIT_HELP);
    for (const name of READS_VOLUMES) {
      const r = await runCli(name, '--help');
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(VOLUME_LIMIT_HELP);
    }
  });

  it('each command that loads a checkpoint documents the model card and --override-card', { timeout: 60_000 }, async () => {
    for (const name of LOADS_CHECKPOINTS) {
      const r = await runCli(name, '--help');
      expect(r.stdout, name).toMatch(/model card supplies the preset, patch, spacing, label scheme, organ/);
      expect(r.stdout, name).toMatch(/--override-card/);
    }
  });
});
