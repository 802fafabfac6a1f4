/**
 * The shared memory of a data-parallel run: one gradient slot per replica and one slot for their
 * mean, all in a single SharedArrayBuffer that every worker thread maps. The all-reduce is a
 * reduce-scatter + all-gather over it: replica r averages elements [chunk r] across all slots, in
 * slot order 0, 1, …, N−1 with a float64 accumulator, then every replica reads the whole mean.
 * Each element's sum is taken in the same order whoever computes it and however the threads are
 * scheduled, so the result is bit-identical from run to run for a given N, and every replica
 * applies the very same numbers.
 */

/** Where each parameter of the trained networks lies in a flat gradient vector. */
export interface ParamLayout {
  /** Network name (checkpoint key, e.g. "S"), then its parameter names in the network's order. */
  entries: { net: string; param: string; offset: number; size: number }[];
  total: number;
}

export function paramLayout(nets: { name: string; params: Iterable<[string, { size: number }]> }[]): ParamLayout {
  const entries: ParamLayout['entries'] = [];
  let offset = 0;
  for (const n of nets)
    for (const [param, v] of n.params) {
      entries.push({ net: n.name, param, offset, size: v.size });
      offset += v.size;
    }
  return { entries, total: offset };
}

export class GradientExchange {
  readonly buffer: SharedArrayBuffer;
  private readonly views: Float32Array[];

  constructor(
    readonly replicas: number,
    readonly total: number,
    buffer?: SharedArrayBuffer,
  ) {
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be an integer ≥ 1, got ${replicas}`);
    const bytes = (replicas + 1) * total * 4;
    if (buffer && buffer.byteLength !== bytes) throw new Error(`gradient exchange buffer has ${buffer.byteLength} bytes, expected ${bytes}`);
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    this.views = Array.from({ length: replicas + 1 }, (_, r) => new Float32Array(this.buffer, r * total * 4, total));
  }

  /** Replica r's gradients. */
  slot(r: number): Float32Array {
    if (r < 0 || r >= this.replicas) throw new Error(`no replica ${r} (of ${this.replicas})`);
    return this.views[r];
  }

  /** The averaged gradients, valid once every replica has reduced its chunk. */
  mean(): Float32Array {
    return this.views[this.replicas];
  }

  /** Replica r's share of the reduction: [start, end) of contiguous, near-equal chunks. */
  chunk(r: number): [number, number] {
    const per = Math.ceil(this.total / this.replicas);
    return [Math.min(this.total, r * per), Math.min(this.total, (r + 1) * per)];
  }

  /** Average chunk r across all slots, in fixed slot order. */
  reduceChunk(r: number): void {
    const [start, end] = this.chunk(r);
    const out = this.mean();
    const n = this.replicas;
    for (let i = start; i < end; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += this.views[k][i];
      out[i] = s / n;
    }
  }
}
