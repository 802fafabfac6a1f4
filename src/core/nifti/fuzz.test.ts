/**
 * Seeded fuzzing of the reader: 240 files mutated from a real CT (header fields set to hostile
 * values, bytes flipped, cut or extended, gzipped or not). Each must read or be refused with a
 * one-line VolumeError naming the file, within a time bound, without any single allocation above
 * the stated byte limit; whatever reads must also write back unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VolumeError } from '../errors.ts';
import { Rng } from '../random.ts';
import { readNifti, writeNifti } from './index.ts';
import { trackAllocations } from './testing/allocations.ts';

const SHARED_CT = fileURLToPath(new URL('../../../../shared/data/totalsegmentator-example/example_ct_sm.nii.gz', import.meta.url));
const RUNS = 240;
/** The limit every read runs under: 16 MiB, twenty times what the base CT needs. */
const LIMIT = 16 * 2 ** 20;
const TIME_BOUND_MS = 2000;

/** The shared TotalSegmentator CT slab when it is beside the checkout, else a CT-like volume made here. */
async function baseCt(): Promise<{ name: string; bytes: Uint8Array }> {
  if (existsSync(SHARED_CT)) return { name: 'example_ct_sm (../shared/data)', bytes: new Uint8Array(gunzipSync(readFileSync(SHARED_CT))) };
  const dims: [number, number, number] = [64, 48, 20];
  const data = Int16Array.from({ length: 64 * 48 * 20 }, (_, v) => Math.round(400 * Math.sin(v / 97) + 100 * Math.cos(v / 13)) - 200);
  return { name: 'a generated CT-like volume', bytes: await writeNifti({ dims, affine: [0.8, 0, 0, -20, 0, 0.8, 0, 10, 0, 0, 2.5, 30, 0, 0, 0, 1], data }, { gzip: false }) };
}

/** Header fields a hostile file would set: [offset, width, values that hurt]. */
const FIELDS: Array<[number, 'i16' | 'f32', number[]]> = [
  [40, 'i16', [0, 1, 3, 4, 5, 7, 8, -1, 32767]], // dim[0]
  [42, 'i16', [0, -5, 1, 512, 32767]], // dim[1]
  [44, 'i16', [0, 2, 512, 32767]], // dim[2]
  [46, 'i16', [1, 1024, 32767, -32768]], // dim[3]
  [48, 'i16', [0, 2, 1000]], // dim[4]
  [70, 'i16', [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1536, 2304, -1]], // datatype
  [72, 'i16', [0, 8, 16, 32, 64, 7]], // bitpix
  [108, 'f32', [0, 100, 348, 352.5, 356, 4096, 3.5e9, 1.5e9, 2 ** 40, -352, NaN, Infinity]], // vox_offset
  [112, 'f32', [0, NaN, Infinity, -1, 1e30, 1e-30, 2]], // scl_slope
  [116, 'f32', [NaN, Infinity, 1e38, -1024]], // scl_inter
  [252, 'i16', [0, 1, -1]], // qform_code
  [254, 'i16', [0, 1, -1, 5]], // sform_code
  [280, 'f32', [0, NaN, 1e38]], // srow_x[0]
  [76, 'f32', [0, -1, NaN]], // pixdim[0] (qfac)
  [80, 'f32', [0, -3, NaN, 1e-30]], // pixdim[1]
];

/** An integer in [0, n). */
function below(rng: Rng, n: number): number {
  return rng.int(0, n - 1);
}

function mutate(base: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  let b = base.slice();
  const dv = () => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const what: string[] = [];
  const edits = 1 + below(rng, 3);
  for (let e = 0; e < edits; e++) {
    const kind = below(rng, 6);
    if (kind <= 2) {
      const [at, width, values] = FIELDS[below(rng, FIELDS.length)];
      const v = values[below(rng, values.length)];
      if (width === 'i16') dv().setInt16(at, v, true);
      else dv().setFloat32(at, v, true);
      if (at === 108 && v > 1e6 && rng.uniform() < 0.5) b[348] = 1; // the extension flag too
      what.push(`@${at}=${v}`);
    } else if (kind === 3) {
      const n = 1 + below(rng, 16);
      for (let k = 0; k < n; k++) b[below(rng, Math.min(b.length, 600))] = below(rng, 256);
      what.push(`${n} header bytes`);
    } else if (kind === 4) {
      const cut = below(rng, b.length);
      b = b.slice(0, cut);
      what.push(`cut at ${cut}`);
    } else {
      const extra = new Uint8Array(1 + below(rng, 4096)).fill(below(rng, 256));
      const grown = new Uint8Array(b.length + extra.length);
      grown.set(b);
      grown.set(extra, b.length);
      b = grown;
      what.push(`+${extra.length} bytes`);
    }
  }
  if (rng.uniform() < 0.5) {
    let gz: Uint8Array = gzipSync(b, { level: 1 });
    if (rng.uniform() < 0.2) {
      gz = gz.slice();
      gz[10 + below(rng, gz.length - 10)] ^= 1 + below(rng, 255);
      what.push('gzip byte flipped');
    }
    return { bytes: gz, what: `${what.join(', ')}, gzipped` };
  }
  return { bytes: b, what: what.join(', ') };
}

describe('fuzzing readNifti with files mutated from a real CT', async () => {
  const base = await baseCt();

  it(`${RUNS} seeded mutations of ${base.name}: read or refused by name, bounded in time and allocation`, async () => {
    const outcomes = { read: 0, refused: 0 };
    const problems: string[] = [];
    let worstMs = 0;
    let largest = 0;
    for (let seed = 0; seed < RUNS; seed++) {
      const rng = new Rng(seed);
      const { bytes, what } = mutate(base.bytes, rng);
      const file = `fuzz_${seed}.nii${bytes[0] === 0x1f ? '.gz' : ''}`;
      const t0 = performance.now();
      const r = await trackAllocations(async () => {
        const img = await readNifti(bytes, file, { maxBytes: LIMIT });
        // What reads must write back as it was read (the failure that made simulate refuse its own output).
        await writeNifti(img.volume, { header: img.header, datatype: img.datatype, gzip: false, fileName: `${file}.out` });
        return img;
      });
      const ms = performance.now() - t0;
      worstMs = Math.max(worstMs, ms);
      largest = Math.max(largest, r.largest);
      const tag = `seed ${seed} (${what})`;
      if (ms > TIME_BOUND_MS) problems.push(`${tag}: took ${Math.round(ms)} ms`);
      if (r.largest > LIMIT) problems.push(`${tag}: allocated ${r.largest} bytes at once, over the ${LIMIT} limit`);
      if (r.error === undefined) {
        outcomes.read++;
      } else if (r.error instanceof VolumeError && r.error.message.startsWith(`${file}: `) && !r.error.message.includes('\n')) {
        outcomes.refused++;
      } else {
        problems.push(`${tag}: not a one-line VolumeError naming the file: ${r.error instanceof Error ? `${r.error.name}: ${r.error.message}` : String(r.error)}`);
      }
    }
    console.log(`[fuzz] ${RUNS} files from ${base.name}: ${outcomes.read} read, ${outcomes.refused} refused; slowest ${Math.round(worstMs)} ms, largest allocation ${(largest / 2 ** 20).toFixed(1)} MiB`);
    expect(problems).toEqual([]);
    // Both paths are exercised, or the mutations are too mild or too harsh to mean anything.
    expect(outcomes.read).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(RUNS / 2);
  });
});
