/**
 * npx tsx bench/profileStep.ts [--which tiny|bench|both] [--size 32] [--stock]
 *
 * Where one U-Net training step (forward + all weight gradients) spends its time on the cpu
 * backend, per tfjs kernel name (tf.profile's kernelTimeMs, summed over calls), fast kernels
 * registered unless --stock. "tiny" is PRESETS.tiny's segmentor (batch norm) at its 32³ patch,
 * "bench" is bench/conv3d.ts's U-Net (no norm) at --size³.
 */
import * as tf from '@tensorflow/tfjs';
import { registerConv3dTransposeGradient, registerFastKernels } from '../src/models/kernels/index.ts';
import { createUNet } from '../src/models/unet.ts';
import { PRESETS } from '../src/models/config.ts';
import type { UNetConfig } from '../src/models/config.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const WHICH = arg('which', 'both');
const SIZE = Number(arg('size', '32'));
const STOCK = process.argv.includes('--stock');

const BENCH: UNetConfig = {
  kind: 'unet3d', inChannels: 1, outChannels: 2, encoder: [[16, 16], [32, 32]],
  norm: 'none', normEps: 1e-5, activation: 'relu', leakySlope: 0.01, seed: 1,
};

async function profile(label: string, cfg: UNetConfig, s: number): Promise<void> {
  const net = createUNet(cfg);
  const x = tf.randomNormal([1, s, s, s, cfg.inChannels]) as tf.Tensor5D;
  const target = tf.randomNormal([1, s, s, s, cfg.outChannels]);
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x), target))) as tf.Scalar, net.variables());
      return Object.values(grads);
    });
  tf.dispose(step()); // warm-up
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    tf.dispose(step());
    best = Math.min(best, performance.now() - t);
  }
  const info = await tf.profile(() => step());
  const by = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = Number(await k.kernelTimeMs) || 0;
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    by.set(k.name, e);
    total += ms;
  }
  console.log(`\n${label} ${s}³ (${STOCK ? 'stock' : 'fast'} kernels): wall best-of-2 ${best.toFixed(0)} ms, profiled kernels sum ${total.toFixed(0)} ms`);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 22)) {
    console.log(`  ${name.padEnd(26)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ×${e.n}`);
  }
  net.dispose();
  tf.dispose([x, target]);
}

await tf.setBackend('cpu');
registerConv3dTransposeGradient();
if (!STOCK) console.log(registerFastKernels({ backends: ['cpu'] }).registered.join(' '));
if (WHICH !== 'bench') await profile('tiny segmentor', PRESETS.tiny.segmentor as UNetConfig, PRESETS.tiny.patch[0]);
if (WHICH !== 'tiny') await profile('bench U-Net', BENCH, SIZE);
