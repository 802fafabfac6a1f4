/**
 * niivue volumes derived from a loaded one: same grid, new voxels. Shared by the workbench viewer
 * and the quality lab's viewer. Each call takes a new typed array, because niivue keys its GPU
 * textures on the identity of `img` (an edited-in-place buffer would keep showing the old voxels).
 */
import type { NVImage } from '@niivue/niivue';

/**
 * NVImage.clone() copies header and voxels but not the frame bookkeeping niivue sets while
 * loading; a clone used as the background needs it (frac2vox reads `dims`).
 */
export function cloneGrid(base: NVImage): NVImage {
  const v = base.clone();
  const from = base as unknown as Record<string, unknown>;
  const to = v as unknown as Record<string, unknown>;
  for (const key of ['dims', 'nVox3D', 'nFrame4D', 'frame4D', 'nTotalFrame4D']) {
    if (to[key] === undefined && from[key] !== undefined) to[key] = Array.isArray(from[key]) ? [...(from[key] as unknown[])] : from[key];
  }
  return v;
}

/** A float32 HU volume on `base`'s grid, windowed to [min, max]. */
export function huVolume(base: NVImage, data: Float32Array, window: { min: number; max: number }, name = 'synthetic'): NVImage {
  const v = cloneGrid(base);
  // clone() copies the header shallowly; these writes touch only the copy.
  v.hdr!.datatypeCode = 16;
  v.hdr!.numBitsPerVoxel = 32;
  v.hdr!.scl_slope = 1;
  v.hdr!.scl_inter = 0;
  v.img = new Float32Array(data);
  v.name = name;
  v.cal_min = window.min;
  v.cal_max = window.max;
  return v;
}

/** A uint8 label overlay on `base`'s grid with one colour per id 1..n (0 transparent). */
export function labelOverlayVolume(base: NVImage, data: Uint8Array, name: string, entries: { rgb: [number, number, number]; label: string }[]): NVImage {
  const v = cloneGrid(base);
  v.hdr!.datatypeCode = 2;
  v.hdr!.numBitsPerVoxel = 8;
  v.hdr!.scl_slope = 1;
  v.hdr!.scl_inter = 0;
  v.img = new Uint8Array(data);
  v.name = name;
  v.setColormapLabel({
    R: [0, ...entries.map((e) => e.rgb[0])],
    G: [0, ...entries.map((e) => e.rgb[1])],
    B: [0, ...entries.map((e) => e.rgb[2])],
    A: [0, ...entries.map(() => 255)],
    I: [0, ...entries.map((_, n) => n + 1)],
    labels: ['', ...entries.map((e) => e.label)],
  });
  v.cal_min = 0;
  v.cal_max = entries.length;
  v.opacity = 1;
  return v;
}
