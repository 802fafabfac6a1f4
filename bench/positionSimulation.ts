/**
 * Benchmark (not a test): one medium tumour, position simulation alone and with the handcrafted
 * texture, on a 96³ crop at 1.5 mm (the paper preset) and on the whole demo volume (3 mm).
 * Run: npx tsx bench/positionSimulation.ts [--runs N]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { TOTALSEGMENTATOR, remapLabels } from '../src/core/labels.ts';
import { readNifti } from '../src/core/nifti/index.ts';
import { getTexture, simulateTumourPositions, synthesizeHandcrafted } from '../src/core/tumor/index.ts';
import { organExtent } from '../src/core/tumor/centre.ts';
import type { ImageVolume, LabelVolume, Vec3 } from '../src/core/volume.ts';
import { DEMO_CT, DEMO_SEG, firstMissing } from '../src/node/sharedData.ts';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 41;
const WARMUP = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** 96³ at 1.5 mm around the liver centre: nearest-neighbour 2× upsampling of the 3 mm demo. */
function crop96(image: ImageVolume, label: LabelVolume): { image: ImageVolume; label: LabelVolume } {
  const d = image.dims;
  const e = organExtent(d, (n) => label.data[n] === 1);
  const centre = [0, 1, 2].map((a) => ((e.lo[a] + e.hi[a]) / 2) * 2) as Vec3; // in 1.5 mm voxels
  const size = 96;
  const lo = centre.map((c) => Math.round(c - size / 2)) as Vec3;
  const n = size ** 3;
  const img = new Float32Array(n);
  const lab = new Uint8Array(n);
  let p = 0;
  for (let k = 0; k < size; k++) {
    for (let j = 0; j < size; j++) {
      for (let i = 0; i < size; i++, p++) {
        const si = Math.floor((lo[0] + i) / 2);
        const sj = Math.floor((lo[1] + j) / 2);
        const sk = Math.floor((lo[2] + k) / 2);
        if (si < 0 || sj < 0 || sk < 0 || si >= d[0] || sj >= d[1] || sk >= d[2]) {
          img[p] = -1000;
          continue;
        }
        const q = si + d[0] * (sj + d[1] * sk);
        img[p] = image.data[q];
        lab[p] = label.data[q];
      }
    }
  }
  const a = image.affine;
  const affine = [...a];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) affine[4 * r + c] = a[4 * r + c] / 2;
    // Voxel centre of fine voxel 0 of coarse voxel 0 sits a quarter coarse voxel before its centre.
    affine[4 * r + 3] = a[4 * r + 3] + [0, 1, 2].reduce((s, c) => s + (a[4 * r + c] / 2) * (lo[c] - 0.5), 0);
  }
  const dims: Vec3 = [size, size, size];
  return { image: { dims, affine, data: img }, label: { dims, affine, data: lab } };
}

function time(fn: (seed: number) => void): number[] {
  for (let s = 0; s < WARMUP; s++) fn(1000 + s);
  const out: number[] = [];
  for (let s = 0; s < RUNS; s++) {
    const t0 = performance.now();
    fn(s);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  // The TotalSegmentator example, read in place from ../shared/data (not part of the repository).
  const missing = firstMissing([DEMO_CT, DEMO_SEG]);
  if (missing) throw new Error(`bench:position needs the TotalSegmentator example: ${missing} not found (../shared/data beside the checkout; FTW_SHARED overrides)`);
  const ct = await readNifti(readFileSync(DEMO_CT), 'example_ct.nii.gz');
  const seg = await readNifti(readFileSync(DEMO_SEG), 'example_seg.nii.gz');
  const full = {
    image: ct.volume,
    label: { dims: seg.volume.dims, affine: seg.volume.affine, data: remapLabels(seg.volume.data, TOTALSEGMENTATOR) } as LabelVolume,
  };
  const crop = crop96(full.image, full.label);
  const cpu = cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores, ${platform()} ${release()}, Node ${process.version}`);
  console.log(`date: ${new Date().toISOString()}, load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`runs: ${RUNS} (after ${WARMUP} warm-up), one medium tumour in the liver, seeds 0..${RUNS - 1}`);

  for (const [name, spacing] of [
    ['1.5 mm', [1.5, 1.5, 1.5]],
    ['3 mm', [3, 3, 3]],
  ] as [string, Vec3][]) {
    const t0 = performance.now();
    getTexture(spacing);
    console.log(`texture 128³ for ${name} (once, cached): ${(performance.now() - t0).toFixed(0)} ms`);
  }

  const rows: string[] = [];
  for (const [name, vol] of [
    ['96³ crop, 1.5 mm', crop],
    [`full demo ${full.image.dims.join('×')}, 3 mm`, full],
  ] as [string, { image: ImageVolume; label: LabelVolume }][]) {
    const pos = time((seed) => void simulateTumourPositions(vol.label, { seed, sizeClass: 'medium' }));
    const syn = time((seed) => void synthesizeHandcrafted(vol.image, vol.label, { seed, sizeClass: 'medium' }));
    const voxels: number[] = [];
    for (let s = 0; s < 10; s++) voxels.push(simulateTumourPositions(vol.label, { seed: s, sizeClass: 'medium' }).tumours[0].voxelCount);
    rows.push(
      `| ${name} | ${median(pos).toFixed(1)} | ${pct(pos, 0.9).toFixed(1)} | ${median(syn).toFixed(1)} | ${pct(syn, 0.9).toFixed(1)} | ${median(voxels)} |`,
    );
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('\n| volume | position median ms | position p90 ms | + handcrafted median ms | + handcrafted p90 ms | median tumour voxels |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
