/**
 * How big a volume the viewer opens. The tab holds the voxels in their source type once (the file's
 * bytes and niivue's image share one buffer for an uncompressed file), and niivue's WebGL scene
 * needs about 4 bytes per voxel more for each of its RGBA textures (the background, its gradient,
 * and the label overlays). Past this the tab runs out of memory or the GPU refuses the textures,
 * so the file is refused up front, from its header alone, with a message that names it.
 */
export interface VolumeLimits {
  /** Most voxels in one 3-D frame. */
  maxVoxels: number;
}

/** 512×512×640: a 600-slice abdominal CT fits with room; a whole-body 1 mm scan does not. */
export const DEFAULT_VOLUME_LIMITS: VolumeLimits = { maxVoxels: 512 * 512 * 640 };

function count(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n);
}

/** null when `dims` fits, else the sentence to show (naming the file). */
export function volumeTooLarge(name: string, dims: readonly number[], limits: VolumeLimits = DEFAULT_VOLUME_LIMITS): string | null {
  const voxels = dims.reduce((a, b) => a * b, 1);
  if (voxels <= limits.maxVoxels) return null;
  const slices = Math.floor(limits.maxVoxels / (512 * 512));
  const example = slices >= 1 ? `, e.g. 512×512×${slices}` : '';
  return `Could not open "${name}": ${dims.join('×')} is ${count(voxels)} voxels, more than this viewer holds (${count(limits.maxVoxels)} voxels${example}).`;
}
