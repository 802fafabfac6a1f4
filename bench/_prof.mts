import { conv3dForward, conv3dBackpropFilter, conv3dBackpropInput } from '../src/models/kernels/cpu/conv3d.ts';
import { conv3dGeom, conv3dFlops } from '../src/models/kernels/geometry.ts';
const S = 32, C = 16;
const g = conv3dGeom([1, S, S, S, C], [3, 3, 3, C, C], 1, 'same');
const x = Float32Array.from({ length: S ** 3 * C }, () => Math.random());
const w = Float32Array.from({ length: 27 * C * C }, () => Math.random());
const fl = conv3dFlops(g) / 1e9;
for (const [name, fn] of [['fwd', () => conv3dForward(x, w, g)], ['bwdIn', () => conv3dBackpropInput(x, w, g)], ['bwdF', () => conv3dBackpropFilter(x, x, g)]] as const) {
  for (let i = 0; i < 3; i++) fn();
  const t = performance.now(); let s = 1e9; for (let i = 0; i < 7; i++) { const t0 = performance.now(); fn(); s = Math.min(s, (performance.now() - t0) / 1e3); }
  console.log(name, (fl / s).toFixed(2), 'GFLOP/s', (s * 1e3).toFixed(1), 'ms');
}
