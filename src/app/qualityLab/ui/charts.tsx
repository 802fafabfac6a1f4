/** Plain-SVG charts of the lab: histogram of P and pass rate against T. */
import { histogram, passRateCurve } from '../helpers.ts';

const W = 260;
const H = 120;
const PAD = { l: 30, r: 8, t: 8, b: 22 };
const iw = W - PAD.l - PAD.r;
const ih = H - PAD.t - PAD.b;

export function PHistogram({ values, threshold }: { values: number[]; threshold: number }) {
  const { bins, nonFinite } = histogram(values, 10);
  const max = Math.max(1, ...bins.map((b) => b.count));
  const bw = iw / bins.length;
  return (
    <svg className="ql-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Histogram of P" data-testid="ql-histogram">
      {bins.map((b, i) => {
        const h = (b.count / max) * ih;
        const pass = b.lo >= threshold;
        return (
          <rect key={i} x={PAD.l + i * bw + 1} y={PAD.t + ih - h} width={bw - 2} height={h} className={pass ? 'ql-bar-pass' : 'ql-bar-fail'} data-count={b.count}>
            <title>{`P ${b.lo.toFixed(1)}–${b.hi.toFixed(1)}: ${b.count}`}</title>
          </rect>
        );
      })}
      <line x1={PAD.l + threshold * iw} x2={PAD.l + threshold * iw} y1={PAD.t} y2={PAD.t + ih} className="ql-tline" />
      <line x1={PAD.l} x2={PAD.l + iw} y1={PAD.t + ih} y2={PAD.t + ih} className="ql-axis" />
      {[0, 0.5, 1].map((t) => (
        <text key={t} x={PAD.l + t * iw} y={H - 6} className="ql-tick" textAnchor="middle">
          {t}
        </text>
      ))}
      <text x={PAD.l - 4} y={PAD.t + 8} className="ql-tick" textAnchor="end">
        {max}
      </text>
      <text x={W - PAD.r} y={PAD.t + 8} className="ql-tick" textAnchor="end">
        {nonFinite ? `x: P · undefined: ${nonFinite}` : 'x: P'}
      </text>
    </svg>
  );
}

export function PassRateCurve({ values, threshold }: { values: number[]; threshold: number }) {
  const curve = passRateCurve(values, 100).filter((p) => Number.isFinite(p.rate));
  const pts = curve.map((p) => `${(PAD.l + p.t * iw).toFixed(1)},${(PAD.t + (1 - p.rate) * ih).toFixed(1)}`).join(' ');
  return (
    <svg className="ql-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Pass rate against threshold T" data-testid="ql-curve">
      <line x1={PAD.l} x2={PAD.l + iw} y1={PAD.t + ih} y2={PAD.t + ih} className="ql-axis" />
      <line x1={PAD.l} x2={PAD.l} y1={PAD.t} y2={PAD.t + ih} className="ql-axis" />
      {pts ? <polyline points={pts} className="ql-curve" /> : null}
      <line x1={PAD.l + threshold * iw} x2={PAD.l + threshold * iw} y1={PAD.t} y2={PAD.t + ih} className="ql-tline" />
      {[0, 0.5, 1].map((t) => (
        <text key={t} x={PAD.l + t * iw} y={H - 6} className="ql-tick" textAnchor="middle">
          {t}
        </text>
      ))}
      <text x={PAD.l - 4} y={PAD.t + 8} className="ql-tick" textAnchor="end">
        100%
      </text>
      <text x={PAD.l - 4} y={PAD.t + ih} className="ql-tick" textAnchor="end">
        0
      </text>
      <text x={W - PAD.r} y={PAD.t + 8} className="ql-tick" textAnchor="end">
        x: T
      </text>
    </svg>
  );
}
