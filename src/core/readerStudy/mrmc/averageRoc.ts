/**
 * The reader-averaged ROC curve: empirical curves averaged vertically (mean true-positive rate at
 * each false-positive rate), as RJafroc and iMRMC plot it. Curves are polylines, so the average of
 * their heights is a polyline whose trapezoidal area is exactly the mean of the readers' AUCs:
 * the curve drawn agrees with the reader-averaged AUC in the MRMC table.
 */

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** Lowest and highest TPR a curve reaches at FPR x (they differ on a vertical segment). */
function heightsAt(curve: readonly RocPoint[], x: number): { low: number; high: number } {
  let low = Infinity;
  let high = -Infinity;
  for (const p of curve) {
    if (p.fpr === x) {
      low = Math.min(low, p.tpr);
      high = Math.max(high, p.tpr);
    }
  }
  if (low <= high) return { low, high };
  for (let n = 1; n < curve.length; n++) {
    const a = curve[n - 1];
    const b = curve[n];
    if (a.fpr < x && x < b.fpr) {
      const y = a.tpr + ((b.tpr - a.tpr) * (x - a.fpr)) / (b.fpr - a.fpr);
      return { low: y, high: y };
    }
  }
  throw new RangeError(`ROC curve does not span FPR ${x}`);
}

/** Vertical average of curves that each run from (0, 0) to (1, 1) with FPR non-decreasing. */
export function averageRocCurve(curves: readonly (readonly RocPoint[])[]): RocPoint[] {
  if (curves.length === 0) return [];
  const xs = [...new Set(curves.flatMap((c) => c.map((p) => p.fpr)))].sort((a, b) => a - b);
  const out: RocPoint[] = [];
  for (const x of xs) {
    let low = 0;
    let high = 0;
    for (const c of curves) {
      const h = heightsAt(c, x);
      low += h.low;
      high += h.high;
    }
    out.push({ fpr: x, tpr: low / curves.length });
    if (high > low) out.push({ fpr: x, tpr: high / curves.length });
  }
  return out;
}

/** Trapezoidal area under a polyline ROC curve. */
export function trapezoidArea(curve: readonly RocPoint[]): number {
  let a = 0;
  for (let n = 1; n < curve.length; n++) a += ((curve[n].fpr - curve[n - 1].fpr) * (curve[n].tpr + curve[n - 1].tpr)) / 2;
  return a;
}
