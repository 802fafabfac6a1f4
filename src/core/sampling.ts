/**
 * Which case and which crop each training step sees. The plan is drawn on one thread from the
 * seeded RNG, so the stream of crops is the same however many loader workers run and in whatever
 * order they finish; workers only carry out requests.
 */
import type { Rng } from './random.ts';
import type { Vec3 } from './volume.ts';

/** The source `freetumor synthesize` gives its cases: offline synthetic tumours, not real ones. */
export const SYNTHETIC_SOURCE = 'synthetic';

export interface SamplingConfig {
  /** Times each labelled (real-tumour) case appears per epoch; METHOD.md stage 3: 10. */
  labeledOversample: number;
  /**
   * Times each offline synthetic case (source "synthetic") appears per epoch. Its own source
   * whatever its `labeled` flag: a synthetic case stands for one visit of the unlabelled case it
   * was made from (online synthesis visits those once per epoch), not for a real tumour (×10).
   */
  syntheticOversample: number;
  /** Per-source repeat factors, overriding labeledOversample (stage 2 reference: lits 200, …). */
  sourceOversample: Record<string, number>;
  /** Share of crops centred on a labelled voxel; METHOD.md pos:neg = 1:1. */
  positiveFraction: number;
  /** Crops drawn from a case each time it is visited; METHOD.md: 4. */
  cropsPerVisit: number;
}

export const DEFAULT_SAMPLING: SamplingConfig = {
  labeledOversample: 10,
  syntheticOversample: 1,
  sourceOversample: {},
  positiveFraction: 0.5,
  cropsPerVisit: 4,
};

export interface CropRequest {
  caseIndex: number;
  positive: boolean;
  /** Uniform draws in [0,1) that fix the crop centre (and nothing else) inside the worker. */
  u: [number, number, number];
}

export interface SampledCase {
  source: string;
  labeled: boolean;
}

/** A case with real tumour labels: labelled, and not an offline synthetic one. */
export function hasRealTumourLabels(c: SampledCase): boolean {
  return c.labeled && c.source !== SYNTHETIC_SOURCE;
}

/** Visits of one case per epoch: its source's factor if set, else synthetic / labelled / 1. */
export function visitsOf(c: SampledCase, cfg: SamplingConfig): number {
  if (Object.hasOwn(cfg.sourceOversample, c.source)) return cfg.sourceOversample[c.source];
  if (c.source === SYNTHETIC_SOURCE) return cfg.syntheticOversample;
  return c.labeled ? cfg.labeledOversample : 1;
}

/**
 * Steps in one epoch: an epoch is one pass over the oversampled case list (every case visited
 * visitsOf times, each visit giving cropsPerVisit crops), as the reference's DataLoader over its
 * ConcatDataset of ×10 labelled copies plus the unlabelled cases (batch 1 volume → 4 crops).
 * With `batch` crops per step that is ⌈Σ visits · cropsPerVisit / batch⌉.
 */
export function stepsPerEpoch(cases: readonly SampledCase[], cfg: SamplingConfig, batch: number): number {
  const crops = cases.reduce((s, c) => s + visitsOf(c, cfg), 0) * cfg.cropsPerVisit;
  return Math.max(1, Math.ceil(crops / batch));
}

/** One epoch's case visits: oversampled, shuffled. */
export function epochVisits(cases: readonly SampledCase[], cfg: SamplingConfig, rng: Rng): number[] {
  const visits: number[] = [];
  cases.forEach((c, n) => {
    const times = visitsOf(c, cfg);
    for (let t = 0; t < times; t++) visits.push(n);
  });
  for (let n = visits.length - 1; n > 0; n--) {
    const r = rng.int(0, n);
    [visits[n], visits[r]] = [visits[r], visits[n]];
  }
  return visits;
}

/** An endless stream of crop requests, epoch after epoch. */
export function* cropRequests(cases: readonly SampledCase[], cfg: SamplingConfig, rng: Rng): Generator<CropRequest> {
  if (cases.length === 0) throw new Error('cropRequests: no cases');
  for (;;) {
    for (const caseIndex of epochVisits(cases, cfg, rng)) {
      for (let k = 0; k < cfg.cropsPerVisit; k++) {
        yield { caseIndex, positive: rng.uniform() < cfg.positiveFraction, u: [rng.uniform(), rng.uniform(), rng.uniform()] };
      }
    }
  }
}

/**
 * The crop's start corner. Positive: centred on the ⌊u₀·count⌋-th foreground voxel (label > 0);
 * negative, or no foreground: a uniform position. Always inside the volume, which preprocessing
 * padded to at least the patch.
 */
export function cropStart(label: Uint8Array, dims: Vec3, patch: Vec3, req: Pick<CropRequest, 'positive' | 'u'>): Vec3 {
  const room = dims.map((d, c) => d - patch[c]) as Vec3;
  if (room.some((r) => r < 0)) throw new RangeError(`cropStart: volume ${dims.join('×')} is smaller than the patch ${patch.join('×')}`);
  if (req.positive) {
    let count = 0;
    for (let n = 0; n < label.length; n++) if (label[n] > 0) count++;
    if (count > 0) {
      let want = Math.min(count - 1, Math.floor(req.u[0] * count));
      for (let n = 0; n < label.length; n++) {
        if (label[n] > 0 && want-- === 0) {
          const i = n % dims[0];
          const j = Math.floor(n / dims[0]) % dims[1];
          const k = Math.floor(n / (dims[0] * dims[1]));
          return [i, j, k].map((v, c) => Math.min(room[c], Math.max(0, v - (patch[c] >> 1)))) as Vec3;
        }
      }
    }
  }
  return room.map((r, c) => Math.min(r, Math.floor(req.u[c] * (r + 1)))) as Vec3;
}

/** Copy a patch starting at `start` (fully inside) out of a volume, as a plain typed array. */
export function extractPatch<T extends Float32Array | Uint8Array>(data: T, dims: Vec3, start: Vec3, patch: Vec3): T {
  // Not data.constructor: for bytes read by Node that is Buffer, whose `new Buffer(n)` is
  // deprecated (DEP0005) and whose pooled memory cannot be transferred to another thread.
  const n = patch[0] * patch[1] * patch[2];
  const out = (data instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n)) as T;
  for (let k = 0; k < patch[2]; k++)
    for (let j = 0; j < patch[1]; j++) {
      const s = start[0] + dims[0] * (start[1] + j + dims[1] * (start[2] + k));
      out.set(data.subarray(s, s + patch[0]) as ArrayLike<number>, patch[0] * (j + patch[1] * k));
    }
  return out;
}
