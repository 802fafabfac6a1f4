/** Display formatting shared by the panels. */
export function fmtDims(d: readonly number[]): string {
  return d.join(' × ');
}

export function fmtSpacing(s: readonly number[]): string {
  return `${s.map((x) => x.toFixed(2)).join(' × ')} mm`;
}

export function fmtMm(v: readonly number[]): string {
  return v.map((x) => x.toFixed(1)).join(', ');
}

/** Integers as integers, floats to one decimal: HU from integer CT must read exactly. */
export function fmtValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export function fmtVolumeMl(voxels: number, spacing: readonly number[]): string {
  const ml = (voxels * spacing[0] * spacing[1] * spacing[2]) / 1000;
  return ml >= 100 ? `${ml.toFixed(0)} mL` : `${ml.toFixed(1)} mL`;
}

export function rgb(c: readonly number[]): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
