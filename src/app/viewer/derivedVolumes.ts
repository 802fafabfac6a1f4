/**
 * niivue volumes derived from a loaded one: same grid, new voxels. Shared by the workbench viewer
 * and the quality lab's viewer. Each call takes a new typed array, because niivue keys its GPU
 * textures on the identity of `img` (an edited-in-place buffer would keep showing the old voxels).
 */
import { NVImage } from '@niivue/niivue';

/**
 * A new NVImage on `base`'s grid holding `img`. NVImage.clone() would copy the base's voxels and
 * scan them for an intensity range, only for the caller to throw both away: at 512×512×300 that
 * is seconds on the page's thread. The RAS matrices come from the header alone; the frame
 * bookkeeping niivue sets while loading is copied (frac2vox reads `dims`). The caller sets the
 * display range, and global_min/max with it so niivue does not scan the voxels either.
 */
export function gridLike(base: NVImage, img: NonNullable<NVImage['img']>): NVImage {
  const v = new NVImage();
  v.hdr = { ...base.hdr! } as NonNullable<NVImage['hdr']>;
  v.img = img;
  v.calculateRAS();
  const from = base as unknown as Record<string, unknown>;
  const to = v as unknown as Record<string, unknown>;
  for (const key of ['dims', 'nVox3D', 'nFrame4D', 'frame4D', 'nTotalFrame4D']) {
    if (from[key] !== undefined) to[key] = Array.isArray(from[key]) ? [...(from[key] as unknown[])] : from[key];
  }
  return v;
}

/** Fix the display range so niivue never derives one from the voxels. */
export function setRange(v: NVImage, min: number, max: number): void {
  v.cal_min = min;
  v.cal_max = max;
  v.robust_min = min;
  v.robust_max = max;
  v.global_min = min;
  v.global_max = max;
}

/**
 * A float32 HU volume on `base`'s grid, windowed to [min, max]. `share`: the volume takes `data`
 * itself instead of a copy (at 512×512×300 a copy is 300 MB); the caller must then never write to
 * it, since niivue reads it whenever it refreshes.
 */
export function huVolume(base: NVImage, data: Float32Array, window: { min: number; max: number }, name = 'synthetic', share = false): NVImage {
  const v = gridLike(base, share ? data : new Float32Array(data));
  // gridLike copies the header shallowly; these writes touch only the copy.
  v.hdr!.datatypeCode = 16;
  v.hdr!.numBitsPerVoxel = 32;
  v.hdr!.scl_slope = 1;
  v.hdr!.scl_inter = 0;
  v.name = name;
  setRange(v, window.min, window.max);
  return v;
}

/** A uint8 label overlay on `base`'s grid with one colour per id 1..n (0 transparent). */
export function labelOverlayVolume(base: NVImage, data: Uint8Array, name: string, entries: { rgb: [number, number, number]; label: string }[], share = false): NVImage {
  const v = gridLike(base, share ? data : new Uint8Array(data));
  v.hdr!.datatypeCode = 2;
  v.hdr!.numBitsPerVoxel = 8;
  v.hdr!.scl_slope = 1;
  v.hdr!.scl_inter = 0;
  v.name = name;
  v.setColormapLabel({
    R: [0, ...entries.map((e) => e.rgb[0])],
    G: [0, ...entries.map((e) => e.rgb[1])],
    B: [0, ...entries.map((e) => e.rgb[2])],
    A: [0, ...entries.map(() => 255)],
    I: [0, ...entries.map((_, n) => n + 1)],
    labels: ['', ...entries.map((e) => e.label)],
  });
  setRange(v, 0, entries.length);
  v.opacity = 1;
  return v;
}
