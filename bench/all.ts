/**
 * `npm run bench`: the benchmarks whose ratios the speed targets are stated in, one after another,
 * each in its own process with its own output:
 *   train    bench/trainStep.ts — small networks' stage-1/2/3 steps (the no-regression check)
 *   conv3d   bench/conv3d.ts — GFLOP/s per conv3d kernel and small U-Net steps, next to PyTorch
 *   step     bench/paperStep.ts --preset paper --size 64 — the paper U-Net's training step vs PyTorch (slow)
 *   forward  bench/paperForward.ts --nets unet --browser none --size 96 — the paper G forward vs PyTorch (slow)
 *
 *   npm run bench -- [--quick] [--only train,conv3d,step,forward] [--no-torch] [--backends cpu,webgpu]
 *                    [--paper-size N]
 *
 * --quick leaves out the two paper-size parts (minutes each on 2 cores). --backends goes to every
 * part (default: each part's own). --paper-size N runs both paper parts at N³ instead of 64³ and
 * 96³ (a check that they run, not the targets' figures). Each part's exit status is listed at the end; one failing part
 * does not stop the others, but makes the exit status non-zero.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineLine } from './machine.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const has = (name: string) => process.argv.includes(`--${name}`);

interface Part {
  name: string;
  file: string;
  args: string[];
  slow: boolean;
}

const PARTS: Part[] = [
  { name: 'train', file: 'trainStep.ts', args: [], slow: false },
  { name: 'conv3d', file: 'conv3d.ts', args: [], slow: false },
  { name: 'step', file: 'paperStep.ts', args: ['--preset', 'paper', '--size', '64'], slow: true },
  { name: 'forward', file: 'paperForward.ts', args: ['--nets', 'unet', '--browser', 'none', '--size', '96'], slow: true },
];

const only = flag('only', '').split(',').filter(Boolean);
for (const o of only) if (!PARTS.some((p) => p.name === o)) throw new Error(`--only: unknown part ${o} (${PARTS.map((p) => p.name).join(', ')})`);
const chosen = PARTS.filter((p) => (only.length ? only.includes(p.name) : !(has('quick') && p.slow)));
const backends = flag('backends', '');
const paperSize = flag('paper-size', '');

console.log(`npm run bench: ${chosen.map((p) => p.name).join(', ')}${has('quick') ? ' (--quick: paper-size parts left out)' : ''}`);
console.log(machineLine());
const done: string[] = [];
for (const p of chosen) {
  const args = [...p.args];
  if (has('no-torch')) args.push('--no-torch');
  if (paperSize && p.slow) args.splice(args.indexOf('--size'), 2, '--size', paperSize);
  // paperForward names its Node backends --node; the others --backends.
  if (backends) args.push(p.file === 'paperForward.ts' ? '--node' : '--backends', backends);
  console.log(`\n━━ ${p.name}: bench/${p.file} ${args.join(' ')}`);
  const t0 = performance.now();
  // execArgv carries tsx's loader, so the child runs TypeScript as this process does.
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL(p.file, import.meta.url)), ...args], { stdio: 'inherit' });
  const s = (performance.now() - t0) / 1000;
  done.push(`${p.name.padEnd(8)} ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${s.toFixed(0)} s`);
  if (r.status !== 0) process.exitCode = 1;
}
console.log(`\n━━ npm run bench summary\n${done.join('\n')}`);
