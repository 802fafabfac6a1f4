import type { Lesion } from '../../core/lesions.ts';
import type { Mat4, Vec3 } from '../../core/volume.ts';

type Voxels = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Everything is a copy made for the worker and transferred, so the viewer's own arrays stay put. */
export interface LesionRequest {
  id: number;
  dims: Vec3;
  affine: Mat4;
  /** The label map as stored, with its scaling and the source id → project id map. */
  labels: { data: Voxels; slope: number; inter: number; toProject: Record<number, number> };
  synthetic: Uint8Array | null;
  image: { data: Voxels; slope: number; inter: number } | null;
}

export type LesionReply = { id: number; lesions: Lesion[] } | { id: number; error: string };
