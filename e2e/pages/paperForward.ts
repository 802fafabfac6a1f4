/**
 * Bench page (dev server only, not in the app build) for bench/paperForward.ts: one forward of the
 * paper G or S at ?size=96 on ?backend=cpu|webgpu with the project's kernels, as the quality lab's
 * worker sets them up; publishes window.__bench = { seconds, tfPeakBytes, backend } or { error }.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { useBackend } from '../../src/app/compute/startBackend.ts';
import { createGenerator, createSegmentor, PRESETS } from '../../src/models/index.ts';
import { activeBufferLimit, assertFitsDevice } from '../../src/models/deviceLimits.ts';

const q = new URLSearchParams(location.search);
const net = q.get('net') === 'swinunetr' ? 'swinunetr' : 'unet';
const backend = q.get('backend') ?? 'cpu';
const size = Number(q.get('size') ?? 96);
const status = document.getElementById('status')!;
const publish = (r: Record<string, unknown>) => {
  (window as unknown as { __bench: unknown }).__bench = r;
  status.textContent = JSON.stringify(r, null, 1);
};

async function run(): Promise<void> {
  await useBackend(backend);
  const limit = activeBufferLimit();
  const name = limit ? `webgpu (${limit.device}, ${Math.round(limit.bytes / 2 ** 20)} MiB per buffer)` : backend;
  const model = net === 'unet' ? createGenerator(PRESETS.paper.generator) : createSegmentor(PRESETS.paper.segmentor, 'universal');
  try {
    assertFitsDevice([{ label: net === 'unet' ? 'generator G' : 'segmentor S', config: model.config, patch: [size, size, size] }], 'use the cpu backend');
  } catch (e) {
    publish({ error: (e as Error).message, backend: name });
    return;
  }
  const small = tf.randomUniform([1, 32, 32, 32, 1]) as tf.Tensor5D;
  await tf.tidy(() => model.apply(small)).data();
  small.dispose();
  const x = tf.randomUniform([1, size, size, size, 1]) as tf.Tensor5D;
  let seconds = 0;
  const prof = await tf.profile(async () => {
    const t0 = performance.now();
    const y = model.apply(x);
    await y.data();
    seconds = (performance.now() - t0) / 1000;
    y.dispose();
  });
  x.dispose();
  model.dispose();
  publish({ seconds, tfPeakBytes: prof.peakBytes, backend: name });
}

run().catch((e) => publish({ error: (e as Error).message ?? String(e), backend }));
