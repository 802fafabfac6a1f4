/**
 * Test support for the official-FreeTumor parity fixtures in ../shared/fixtures/official-freetumor
 * (third-party-derived data: read in place, never copied into this repository).
 *
 * The fixtures hold no real weights: every tensor follows a closed-form formula of its position in
 * the PyTorch state_dict (README.md there), rebuilt here so the parity tests can fill our networks
 * with the same numbers and compare outputs. Node only (node:fs); not part of the public API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the fixtures live: FTW_SHARED overrides ../shared beside the checkout. */
export const OFFICIAL_FIXTURES = join(
  process.env.FTW_SHARED ? resolve(process.env.FTW_SHARED) : resolve(REPO_ROOT, '..', 'shared'),
  'fixtures',
  'official-freetumor',
);

/** True when the fixtures are present; otherwise prints one visible line naming the missing folder. */
export function officialFixturesPresent(what: string): boolean {
  if (existsSync(join(OFFICIAL_FIXTURES, 'manifest.json'))) return true;
  console.warn(`SKIPPED ${what}: official-FreeTumor fixtures not found at ${OFFICIAL_FIXTURES} (../shared beside the checkout)`);
  return false;
}

export function fixturePath(name: string): string {
  return join(OFFICIAL_FIXTURES, name);
}

/** Whether one fixture file exists (outputs are stored full or as a crop16, depending on size). */
export function fixtureExists(name: string): boolean {
  return existsSync(fixturePath(name));
}

export type TorchDtypeName = 'float32' | 'int64';
/** One state_dict entry as the key lists give it: [key, shape (PyTorch order), dtype]. */
export type KeyEntry = [string, number[], string];

export type FixtureModel = 'unet3d' | 'swinunetr-fs48-oc7' | 'swinunetr-fs48-oc3' | 'swinunetr-fs12-oc3' | 'tgan';

export function readKeys(model: FixtureModel): KeyEntry[] {
  return JSON.parse(readFileSync(fixturePath(`keys-${model}.json`), 'utf8')) as KeyEntry[];
}

/** A raw little-endian float32 file (C order, NCDHW, no header). */
export function readF32(name: string): Float32Array {
  const b = readFileSync(fixturePath(name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface FormulaTensor {
  key: string;
  /** PyTorch shape (NCDHW / [out,in,kd,kh,kw]). */
  shape: number[];
  /** Float tensors only; integer buffers (num_batches_tracked, relative_position_index) are skipped. */
  data: Float32Array;
}

/**
 * The fixture weight formula: for entry k (index in the state_dict, integer buffers counted) and
 * flat index i, s = sin(fl(fl(0.37·i) + fl(1.3·k))); running_var 1 + 0.1|s|; ≥ 2-D tensors
 * s·sqrt(2 / fan_in); 1-D "…weight" 1 + 0.2 s; other 1-D 0.1 s; rounded to float32.
 * Returns the float entries in state_dict order.
 */
export function formulaWeights(keys: KeyEntry[]): FormulaTensor[] {
  const out: FormulaTensor[] = [];
  keys.forEach(([key, shape, dtype], k) => {
    if (!dtype.startsWith('float')) return;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const heScale = Math.sqrt(2 / fanIn);
    const kk = 1.3 * k;
    for (let i = 0; i < n; i++) {
      const s = Math.sin(0.37 * i + kk);
      let v: number;
      if (key.endsWith('running_var') && shape.length === 1) v = 1 + 0.1 * Math.abs(s);
      else if (shape.length >= 2) v = s * heScale;
      else if (key.endsWith('weight')) v = 1 + 0.2 * s;
      else v = 0.1 * s;
      data[i] = v;
    }
    out.push({ key, shape: [...shape], data });
  });
  return out;
}

/** The fixtures' input: x[i] = float32(0.5 + 0.5 sin(0.013 i)) over the flat NCDHW index, one channel. */
export function fixtureInput(size: number): Float32Array {
  const n = size ** 3;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 0.5 + 0.5 * Math.sin(0.013 * i);
  return x;
}

/**
 * Centre crop c³ of an NCDHW array [1, C, n, n, n] (start (n − c) // 2 on each axis), as the
 * fixtures' *.crop16 / act-* files store it.
 */
export function centreCropNCDHW(data: Float32Array, channels: number, n: number, c: number): Float32Array {
  const s = Math.floor((n - c) / 2);
  const out = new Float32Array(channels * c * c * c);
  let o = 0;
  for (let ch = 0; ch < channels; ch++)
    for (let z = 0; z < c; z++)
      for (let y = 0; y < c; y++) {
        const base = ((ch * n + s + z) * n + s + y) * n + s;
        for (let x = 0; x < c; x++) out[o++] = data[base + x];
      }
  return out;
}

/** Channels-last [1, z, y, x, C] (this project's layout) → NCDHW [1, C, z, y, x]. */
export function ndhwcToNcdhw(data: Float32Array, channels: number, d: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  const vox = d * h * w;
  for (let v = 0; v < vox; v++) for (let c = 0; c < channels; c++) out[c * vox + v] = data[v * channels + c];
  return out;
}

/** max |a − b| / max |b|: the parity measure. */
export function relativeMaxError(a: Float32Array, b: Float32Array): { maxAbs: number; maxRef: number; rel: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return { maxAbs, maxRef, rel: maxAbs / maxRef };
}
