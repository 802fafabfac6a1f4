/**
 * Forward parity with the official FreeTumor UNet3D (PyTorch 1.13, the fixtures of
 * ../shared/fixtures/official-freetumor): the formula weights go through unetWeightsFromOfficial
 * into our paper-preset U-Net (batch-statistics norm, eps 1e-5), which runs the fixture input at
 * 64³ on cpu (fast kernels; ~32 s on one idle EPYC core) and on webgpu (Dawn in Node; skipped
 * visibly without an adapter, and on a software adapter unless FREETUMOR_SLOW_TESTS=1).
 *
 * The fixture README warns that this weight pattern leaves the output dominated by the final
 * bias, so the full output is also compared after removing each channel's mean, and four
 * intermediate activations (centre crops) are compared too.
 *
 * The decoder's last concat at 64³ is a 192 MiB tensor. A webgpu device whose storage-buffer
 * binding limit is smaller (lavapipe: 128 MiB) cannot bind it: tfjs then only logs validation
 * errors and returns garbage. There the forward stops after the encoder and only the three
 * encoder activations are compared, with a visible SKIPPED line for the rest.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { probeWebGPU } from '../../node/backend.ts';
import { registerFastKernels } from '../kernels/index.ts';
import { createUNet } from '../unet.ts';
import { centreCropNCDHW, fixtureInput, formulaWeights, ndhwcToNcdhw, officialFixturesPresent, readF32, readKeys, relativeMaxError } from '../../node/testing/officialFixtures.ts';
import { officialConfigOf, unetWeightsFromOfficial, type OfficialTensorLike } from './unet3dNames.ts';

const present = officialFixturesPresent('official UNet3D forward parity');
const N = 64;

/**
 * Our tap name → the fixture's activation, its channels, spatial edge, crop edge and tolerance
 * (max|Δ| / max|ref|). The bottleneck is ill-conditioned in float32: the smooth input leaves its
 * pre-norm activations with a large mean over a small spread on only 8³ voxels, so subtracting
 * the batch mean loses digits. Measured with PyTorch 1.13 (same formula weights, encoder only):
 * float32 vs float64 differ there by 2.4e-4, the fixture vs float64 by 2.4e-4; ours vs the
 * fixture 6.5e-4. Elsewhere both sides agree to 1e-5 or better, so 1e-4 stays.
 */
const ACTIVATIONS: [string, string, number, number, number, number][] = [
  ['enc0.conv0', 'down_tr64.ops.0', 32, 64, 8, 1e-4],
  ['enc0', 'skip_out64', 64, 64, 8, 1e-4],
  ['enc3', 'out512', 512, 8, 4, 2e-3],
  ['dec0', 'out_up_64', 64, 64, 8, 1e-4],
];

interface Errors {
  /** Absent when only the encoder ran. */
  output?: ReturnType<typeof relativeMaxError>;
  /** max|Δ| against the largest deviation of the reference from its channel mean. */
  centred?: number;
  acts: Record<string, ReturnType<typeof relativeMaxError>>;
  seconds: number;
}

/** Largest tensor of the 64³ forward: the decoder's concat of 128 upsampled + 64 skip channels. */
const LARGEST_BYTES = N ** 3 * 192 * 4;
const ENCODER_TAPS = new Set(['enc0.conv0', 'enc0', 'enc3']);

class StopAfterEncoder extends Error {}

async function parityOnCurrentBackend(encoderOnly = false): Promise<Errors> {
  const keys = readKeys('unet3d');
  const entries: [string, OfficialTensorLike][] = formulaWeights(keys).map((t) => [t.key, { shape: t.shape, data: t.data }]);
  for (const [k, s] of keys) if (k.endsWith('num_batches_tracked')) entries.push([k, { shape: s, data: new BigInt64Array(1) }]);
  const w = unetWeightsFromOfficial(entries, 'formula weights');
  const cfg = officialConfigOf(entries, 'formula weights');
  const net = createUNet(cfg, w);
  tf.dispose([...w.values()]);
  const taps = new Map<string, tf.Tensor5D>();
  const wanted = new Set(ACTIVATIONS.map((a) => a[0]));
  const x = tf.tensor5d(fixtureInput(N), [1, N, N, N, 1]);
  const t0 = performance.now();
  let y: tf.Tensor5D | undefined;
  try {
    y = net.apply(x, (name, t) => {
      if (wanted.has(name)) taps.set(name, tf.keep(t));
      // tf.tidy disposes the forward's intermediates when the tap throws.
      if (encoderOnly && name === 'enc3') throw new StopAfterEncoder();
    });
  } catch (e) {
    if (!(e instanceof StopAfterEncoder)) throw e;
  }
  const yData = y ? ((await y.data()) as Float32Array) : undefined;
  for (const t of taps.values()) await t.data();
  const seconds = (performance.now() - t0) / 1000;
  const acts: Errors['acts'] = {};
  for (const [ours, theirs, c, n, crop] of ACTIVATIONS) {
    if (encoderOnly && !ENCODER_TAPS.has(ours)) continue;
    const a = taps.get(ours);
    if (!a) throw new Error(`the U-Net did not report activation ${ours}`);
    const got = centreCropNCDHW(ndhwcToNcdhw((await a.data()) as Float32Array, c, n, n, n), c, n, crop);
    acts[theirs] = relativeMaxError(got, readF32(`act-unet3d-64-${theirs}.f32`));
  }
  tf.dispose([x, ...(y ? [y] : []), ...taps.values()]);
  net.dispose();
  if (!yData) return { acts, seconds };

  const got = ndhwcToNcdhw(yData, 3, N, N, N);
  const want = readF32('out-unet3d-64.f32');
  const vox = N ** 3;
  let maxDev = 0;
  let maxAbs = 0;
  for (let c = 0; c < 3; c++) {
    let mean = 0;
    for (let v = 0; v < vox; v++) mean += want[c * vox + v];
    mean /= vox;
    for (let v = 0; v < vox; v++) {
      maxDev = Math.max(maxDev, Math.abs(want[c * vox + v] - mean));
      maxAbs = Math.max(maxAbs, Math.abs(got[c * vox + v] - want[c * vox + v]));
    }
  }
  return { output: relativeMaxError(got, want), centred: maxAbs / maxDev, acts, seconds };
}

function expectParity(e: Errors, backend: string): void {
  console.log(
    `[unet3d parity ${backend}] forward ${e.seconds.toFixed(1)} s; ` +
      (e.output
        ? `output max|Δ| ${e.output.maxAbs.toExponential(2)} / max|y| ${e.output.maxRef.toFixed(4)} (rel ${e.output.rel.toExponential(2)}), centred rel ${e.centred!.toExponential(2)}; `
        : 'encoder only; ') +
      Object.entries(e.acts)
        .map(([k, v]) => `${k} rel ${v.rel.toExponential(2)}`)
        .join(', '),
  );
  for (const [, k, , , , tol] of ACTIVATIONS) {
    if (!e.acts[k]) continue;
    expect(e.acts[k].maxRef, k).toBeGreaterThan(0);
    expect(e.acts[k].rel, k).toBeLessThanOrEqual(tol);
  }
  if (!e.output) return;
  expect(e.output.rel).toBeLessThanOrEqual(1e-4);
  // The fixtures record PyTorch float32 vs float64 at 1.8e-5 / 1.23 on this output. Measured
  // against the spread around each channel's mean, so the constant final bias cannot hide an error.
  expect(e.centred).toBeLessThanOrEqual(1e-3);
  expect(Object.keys(e.acts)).toHaveLength(ACTIVATIONS.length);
}

describe.skipIf(!present)('official UNet3D forward parity at 64³', () => {
  it('cpu (fast kernels): output and four intermediate activations', async () => {
    await tf.setBackend('cpu');
    registerFastKernels({ backends: ['cpu'] });
    const e = await parityOnCurrentBackend();
    expect(e.output).toBeDefined();
    expectParity(e, 'cpu');
  }, 180_000);

  const probe = process.env.FREETUMOR_SKIP_WEBGPU === '1' ? ({ ok: false, reason: 'disabled by FREETUMOR_SKIP_WEBGPU=1' } as const) : null;
  it('webgpu (Dawn in Node): output and activations (encoder only where the device cannot bind the decoder)', async (ctx) => {
    const p = probe ?? (await probeWebGPU());
    if (!p.ok) {
      console.warn(`SKIPPED official UNet3D parity on webgpu: ${p.reason}`);
      ctx.skip();
      return;
    }
    // On a CPU rasteriser the (encoder-only) forward takes minutes: ~140 s on lavapipe, 2 cores.
    if (/llvmpipe|lavapipe|swiftshader|software/i.test(p.adapter) && process.env.FREETUMOR_SLOW_TESTS !== '1') {
      console.warn(`SKIPPED official UNet3D parity on webgpu: ${p.adapter} is a software adapter (minutes per 64³ forward); run with FREETUMOR_SLOW_TESTS=1`);
      ctx.skip();
      return;
    }
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed although an adapter exists');
    await tf.ready();
    registerFastKernels({ backends: ['webgpu'] });
    const limit = (tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }).device.limits.maxStorageBufferBindingSize;
    const encoderOnly = limit < LARGEST_BYTES;
    if (encoderOnly) {
      console.warn(
        `SKIPPED official UNet3D parity of the decoder and output on webgpu (${p.adapter}): its storage-buffer binding limit ` +
          `${limit / 2 ** 20} MiB is below the ${LARGEST_BYTES / 2 ** 20} MiB the 64³ decoder needs; comparing the encoder activations only`,
      );
    }
    expectParity(await parityOnCurrentBackend(encoderOnly), `webgpu (${p.adapter})`);
  }, 600_000);

  afterAll(async () => {
    await tf.setBackend('cpu');
  });
});
