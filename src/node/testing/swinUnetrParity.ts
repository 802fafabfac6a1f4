/**
 * Test support (not exported by index.ts): run our SwinUNETR with the official fixtures' formula
 * weights and input on the current backend and measure max|Δ| / max|y| against the PyTorch
 * outputs and activation crops (officialFixtures.ts, read in place).
 */
import * as tf from '@tensorflow/tfjs';
import { centreCropNCDHW, type FixtureModel, fixtureExists, fixtureInput, formulaWeights, ndhwcToNcdhw, readF32, readKeys, relativeMaxError } from './officialFixtures.ts';
import { createSwinUNETR, type ActivationName } from '../../models/swinUnetr/model.ts';
import { inferSwinUnetrConfig, swinUnetrWeightsFromTorch } from '../../models/swinUnetr/torchWeights.ts';

export interface ParityRow {
  name: ActivationName;
  file: string;
  maxAbs: number;
  maxRef: number;
  rel: number;
}

export interface ParityRun {
  rows: ParityRow[];
  /** Seconds of the forward pass alone (weights built and loaded before). */
  forwardSeconds: number;
}

/** The reference file for an activation at a size, or undefined when the fixtures hold none. */
function referenceFile(model: FixtureModel, size: number, name: ActivationName): string | undefined {
  const candidates = name === 'logits' ? [`out-${model}-${size}.f32`, `out-${model}-${size}.crop16.f32`] : [`act-${model}-${size}-${name}.f32`];
  return candidates.find(fixtureExists);
}

export async function swinUnetrFixtureParity(model: FixtureModel, size: number): Promise<ParityRun> {
  const keys = readKeys(model);
  const cfg = inferSwinUnetrConfig(keys.map(([key, shape]) => ({ key, shape })));
  const w = swinUnetrWeightsFromTorch(formulaWeights(keys), cfg);
  const net = createSwinUNETR(cfg, w);
  tf.dispose([...w.values()]);
  const x = tf.tensor5d(fixtureInput(size), [1, size, size, size, 1]);
  try {
    const t0 = performance.now();
    const acts = net.activations(x);
    await acts.logits.data();
    const forwardSeconds = (performance.now() - t0) / 1000;
    const rows: ParityRow[] = [];
    for (const [name, t] of Object.entries(acts) as [ActivationName, tf.Tensor5D][]) {
      const file = referenceFile(model, size, name);
      if (!file) continue;
      const ref = readF32(file);
      const [, d, h, ww, c] = t.shape;
      const ours = ndhwcToNcdhw((await t.data()) as Float32Array, c, d, h, ww);
      const crop = ref.length === ours.length ? ours : centreCropNCDHW(ours, c, d, Math.round(Math.cbrt(ref.length / c)));
      rows.push({ name, file, ...relativeMaxError(crop, ref) });
    }
    tf.dispose(Object.values(acts));
    return { rows, forwardSeconds };
  } finally {
    x.dispose();
    net.dispose();
  }
}
