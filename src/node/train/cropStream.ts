/**
 * The crops a training run consumes, and the state that makes --resume continue the same random
 * stream: the loader's plan is replayed from its own seed up to `consumed` crops, and the run's
 * other draws (tumour placement, augmentation, Mixup) come from `rng`, whose state is saved.
 */
import * as tf from '@tensorflow/tfjs';
import { hashSeed, Rng, type RngState } from '../../core/random.ts';
import type { SamplingConfig } from '../../core/sampling.ts';
import type { Vec3 } from '../../core/volume.ts';
import type { CacheEntry } from '../data/cache.ts';
import { CropLoader, type Crop } from '../data/loader.ts';

export interface StreamState {
  rng: RngState;
  consumed: number;
}

export class CropStream {
  readonly rng: Rng;
  private loader: CropLoader | null = null;
  private consumed = 0;

  constructor(
    private readonly entries: CacheEntry[],
    private readonly sampling: SamplingConfig,
    private readonly patch: Vec3,
    private readonly seed: number,
    private readonly stage: string,
    private readonly workers: number,
    private readonly prefetch: number,
  ) {
    this.rng = new Rng(hashSeed(seed, 'train', stage));
  }

  async take(n: number): Promise<Crop[]> {
    // Created on first use so that a resumed run starts its plan at the restored count.
    this.loader ??= new CropLoader(this.entries, new Rng(hashSeed(this.seed, 'loader', this.stage)), {
      patch: this.patch,
      sampling: this.sampling,
      workers: this.workers,
      prefetch: this.prefetch,
      startAt: this.consumed,
    });
    const out: Crop[] = [];
    for (let k = 0; k < n; k++) out.push(await this.loader.next());
    this.consumed = this.loader.consumed;
    return out;
  }

  state(): StreamState {
    return { rng: this.rng.getState(), consumed: this.consumed };
  }

  restore(s: StreamState): void {
    if (this.loader) throw new Error('CropStream.restore after crops were taken');
    this.rng.setState(s.rng);
    this.consumed = s.consumed;
  }

  async close(): Promise<void> {
    await this.loader?.close();
    this.loader = null;
  }
}

/** [B,z,y,x,1] float32 from per-sample arrays in NIfTI voxel order (x fastest). */
export function imageTensor(arrays: Float32Array[], patch: Vec3): tf.Tensor5D {
  const [nx, ny, nz] = patch;
  const n = nx * ny * nz;
  const buf = new Float32Array(arrays.length * n);
  arrays.forEach((a, b) => buf.set(a, b * n));
  return tf.tensor5d(buf, [arrays.length, nz, ny, nx, 1]);
}

/** [B,z,y,x] int32 class ids. */
export function labelTensor(arrays: Uint8Array[], patch: Vec3): tf.Tensor4D {
  const [nx, ny, nz] = patch;
  const n = nx * ny * nz;
  const buf = new Int32Array(arrays.length * n);
  arrays.forEach((a, b) => buf.set(a, b * n));
  return tf.tensor4d(buf, [arrays.length, nz, ny, nx], 'int32');
}
