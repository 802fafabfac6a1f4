import type { VolumeLimits } from './volumeLimits.ts';

export interface VolumeRequest {
  id: number;
  /** A URL the worker can fetch (a Blob URL of a local file, or the app's own). */
  url: string;
  name: string;
  colormap: string;
  limits: VolumeLimits;
}

/**
 * An NVImage's own fields as niivue computed them while loading (header, RAS matrices, intensity
 * range, voxels), ready to be put on a fresh NVImage on the page. `bytes` is the file as read; for
 * an uncompressed file the voxels are a view into the same buffer.
 */
export interface VolumeLoaded {
  id: number;
  fields: Record<string, unknown>;
  /** On-disk NIfTI datatype code (niivue widens some types while loading). */
  datatype: number;
  bytes: Uint8Array;
  /** Milliseconds the worker spent, for the benchmark. */
  ms: number;
}

export type VolumeReply = VolumeLoaded | { id: number; error: string };
