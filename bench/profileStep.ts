/**
 * npx tsx bench/profileStep.ts [--which tiny|bench|paper|both | --preset paper|tiny] [--size 32] [--stock] [--fused on|off|both]
 *                               [--runs 2] [--warmup-size N]
 *
 * Where one U-Net training step (forward + all weight gradients) spends its time on the cpu
 * backend, per tfjs kernel name (tf.profile's kernelTimeMs, summed over calls), fast kernels
 * registered unless --stock. "tiny" is PRESETS.tiny's segmentor (instance norm) at its 32³ patch,
 * "bench" is bench/conv3d.ts's U-Net (no norm) at --size³, "paper" PRESETS.paper's generator
 * U-Net (19 M parameters, batch norm) at --size³. --fused off takes the composite normalisation
 * instead of the fused kernels (FREETUMOR_FUSED_NORM=0); both profiles each network both ways.
 */
import * as tf from '@tensorflow/tfjs';
import { registerConv3dTransposeGradient, registerFastKernels } from '../src/models/kernels/index.ts';
import { quietNodeBackendAdvice } from '../src/node/tfjsAdvice.ts';
import { createUNet } from '../src/models/unet.ts';
import { PRESETS } from '../src/models/config.ts';
import type { UNetConfig } from '../src/models/config.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
// --preset paper|tiny (the spelling of bench/paperStep.ts) is --which paper|tiny.
const WHICH = arg('preset', arg('which', 'both'));
const SIZE = Number(arg('size', '32'));
const STOCK = process.argv.includes('--stock');
const FUSED = arg('fused', 'on');
// A paper step at 64³ takes minutes: --runs 0 skips the unprofiled timings, --warmup-size 32 warms up small.
const RUNS = Number(arg('runs', '2'));
const WARMUP = Number(arg('warmup-size', '0'));

const BENCH: UNetConfig = {
  kind: 'unet3d', inChannels: 1, outChannels: 2, encoder: [[16, 16], [32, 32]],
  norm: 'none', normEps: 1e-5, activation: 'relu', leakySlope: 0.01, seed: 1,
};

async function profile(label: string, cfg: UNetConfig, s: number): Promise<void> {
  const net = createUNet(cfg);
  const x = tf.randomNormal([1, s, s, s, cfg.inChannels]) as tf.Tensor5D;
  const target = tf.randomNormal([1, s, s, s, cfg.outChannels]);
  const stepOn = (x: tf.Tensor5D, target: tf.Tensor) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.apply(x), target))) as tf.Scalar, net.variables());
      return Object.values(grads);
    });
  const step = () => stepOn(x, target);
  if (WARMUP > 0) {
    const w = [tf.randomNormal([1, WARMUP, WARMUP, WARMUP, cfg.inChannels]) as tf.Tensor5D, tf.randomNormal([1, WARMUP, WARMUP, WARMUP, cfg.outChannels])] as const;
    tf.dispose(stepOn(...w));
    tf.dispose([...w]);
  } else tf.dispose(step()); // warm-up
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    tf.dispose(step());
    best = Math.min(best, performance.now() - t);
  }
  const t0 = performance.now();
  const info = await tf.profile(() => step());
  const profiledMs = performance.now() - t0;
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
  const norm = process.env.FREETUMOR_FUSED_NORM === '0' ? 'composite norm' : 'fused norm';
  console.log(`\n${label} ${s}³ (${STOCK ? 'stock' : 'fast'} kernels, ${norm}): ${RUNS > 0 ? `wall best-of-${RUNS} ${best.toFixed(0)} ms, ` : ''}profiled kernels sum ${total.toFixed(0)} ms of the profiled step's ${profiledMs.toFixed(0)} ms (${((100 * (profiledMs - total)) / profiledMs).toFixed(1)} % outside kernels)`);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 22)) {
    console.log(`  ${name.padEnd(26)} ${e.ms.toFixed(1).padStart(8)} ms  ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ×${e.n}`);
  }
  net.dispose();
  tf.dispose([x, target]);
}

await tf.setBackend('cpu');
quietNodeBackendAdvice(tf.findBackend('cpu'));
registerConv3dTransposeGradient();
if (!STOCK) console.log(registerFastKernels({ backends: ['cpu'] }).registered.join(' '));
for (const fused of FUSED === 'both' ? ['0', '1'] : [FUSED === 'off' ? '0' : '1']) {
  process.env.FREETUMOR_FUSED_NORM = fused;
  if (WHICH === 'tiny' || WHICH === 'both') await profile('tiny segmentor', PRESETS.tiny.segmentor as UNetConfig, PRESETS.tiny.patch[0]);
  if (WHICH === 'bench' || WHICH === 'both') await profile('bench U-Net', BENCH, SIZE);
  if (WHICH === 'paper') await profile('paper generator U-Net', PRESETS.paper.generator, SIZE);
}
