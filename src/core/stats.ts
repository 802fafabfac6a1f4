/** Summaries of voxel data, one pass each, no per-voxel allocation. */

export function intensityRange(data: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let n = 0; n < data.length; n++) {
    const v = data[n];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Voxel count per label id, ids ascending; only ids that occur. Labels are integers 0..255. */
export function labelCounts(data: ArrayLike<number>): Array<{ id: number; voxels: number }> {
  const counts = new Float64Array(256);
  for (let n = 0; n < data.length; n++) counts[data[n]]++;
  const out: Array<{ id: number; voxels: number }> = [];
  counts.forEach((c, id) => {
    if (c > 0) out.push({ id, voxels: c });
  });
  return out;
}
