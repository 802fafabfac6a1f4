/**
 * Forward parity with MONAI 1.3.0's SwinUNETR (PyTorch 1.13, float32) on the official fixtures'
 * formula weights and input, on the cpu backend with the project's fast kernels: the small fs12
 * model at 64³ always; the paper's fs48 at 64³ and 96³ only with FREETUMOR_SWIN_FS48=1 (minutes
 * on 2 cores; prints its forward times).
 *
 * Our z, y, x are PyTorch's D, H, W: the NCDHW input with C = 1 is fed as [1, D, H, W, 1] unchanged
 * and every output is compared after ndhwcToNcdhw.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { registerFastKernels } from '../kernels/index.ts';
import { officialFixturesPresent } from '../../node/testing/officialFixtures.ts';
import { swinUnetrFixtureParity, type ParityRun } from '../../node/testing/swinUnetrParity.ts';

await tf.setBackend('cpu');
registerFastKernels({ backends: ['cpu'] });

const present = officialFixturesPresent('SwinUNETR forward parity');
const FS48 = process.env.FREETUMOR_SWIN_FS48 === '1';
if (present && !FS48) console.warn('SKIPPED SwinUNETR fs48 parity (64³ and 96³): set FREETUMOR_SWIN_FS48=1 (minutes on 2 cores)');

function report(label: string, run: ParityRun): void {
  console.log(`${label}: forward ${run.forwardSeconds.toFixed(1)} s (cpu, fast kernels)`);
  for (const r of run.rows) console.log(`  ${r.name.padEnd(12)} max|Δ| ${r.maxAbs.toExponential(2)} / max|y| ${r.maxRef.toFixed(3)} = ${r.rel.toExponential(2)}`);
}

describe.skipIf(!present)('SwinUNETR parity, cpu', () => {
  it('fs12 oc3 at 64³: full output and hidden0..4 within 1e-3 of max|y|', { timeout: 240_000 }, async () => {
    const run = await swinUnetrFixtureParity('swinunetr-fs12-oc3', 64);
    report('fs12 oc3 64³', run);
    expect(run.rows.map((r) => r.name).sort()).toEqual(['hidden0', 'hidden1', 'hidden2', 'hidden3', 'hidden4', 'logits']);
    expect(run.rows.find((r) => r.name === 'logits')!.file).toBe('out-swinunetr-fs12-oc3-64.f32');
    for (const r of run.rows) expect(r.rel, r.name).toBeLessThanOrEqual(1e-3);
  });

  it.skipIf(!FS48)('fs48 oc7 at 64³: full output and every activation crop within 1e-4 of max|y|', { timeout: 1_200_000 }, async () => {
    const run = await swinUnetrFixtureParity('swinunetr-fs48-oc7', 64);
    report('fs48 oc7 64³', run);
    expect(run.rows).toHaveLength(10);
    for (const r of run.rows) expect(r.rel, r.name).toBeLessThanOrEqual(1e-4);
  });

  it.skipIf(!FS48)('fs48 oc7 at 96³ (the paper ROI): the output crop within 1e-4 of max|y|', { timeout: 1_800_000 }, async () => {
    const run = await swinUnetrFixtureParity('swinunetr-fs48-oc7', 96);
    report('fs48 oc7 96³', run);
    expect(run.rows.map((r) => r.file)).toEqual(['out-swinunetr-fs48-oc7-96.crop16.f32']);
    for (const r of run.rows) expect(r.rel, r.name).toBeLessThanOrEqual(1e-4);
  });
});
