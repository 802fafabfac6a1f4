/** Plain-SVG plots for the results page. */
import type { ReaderSummary } from '../../../core/readerStudy/statistics.ts';

const COLORS = ['#f2f2f2', '#3ea6e6', '#e7b44c', '#52c98a', '#f06a5a', '#b48ef0', '#e07bc4'];

/**
 * ROC curves on one square, legend to the right. The first curve is the emphasised one (the
 * readers' average); the others are drawn thin and dashed.
 */
export function RocPlot({ curves, size = 260, legendWidth = 150 }: { curves: { name: string; auc: number; points: { fpr: number; tpr: number }[] }[]; size?: number; legendWidth?: number }) {
  const pad = 34;
  const w = size - pad - 10;
  const x = (f: number) => pad + f * w;
  const y = (t: number) => 10 + (1 - t) * w;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const width = size + legendWidth;
  return (
    <svg className="rs-plot" width={width} height={size} viewBox={`0 0 ${width} ${size}`} role="img" aria-label="ROC curves" data-testid="rs-roc">
      <rect x={pad} y={10} width={w} height={w} className="rs-plot-frame" />
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={y(0)} y2={y(0) + 4} className="rs-plot-axis" />
          <text x={x(t)} y={y(0) + 14} textAnchor="middle" className="rs-plot-text">
            {t}
          </text>
          <line x1={pad - 4} x2={pad} y1={y(t)} y2={y(t)} className="rs-plot-axis" />
          <text x={pad - 6} y={y(t) + 3} textAnchor="end" className="rs-plot-text">
            {t}
          </text>
        </g>
      ))}
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} className="rs-plot-chance" />
      {/* Emphasised curve last, so it is drawn on top. */}
      {curves
        .map((c, n) => ({ c, n }))
        .reverse()
        .map(({ c, n }) =>
          c.points.length ? (
            <polyline
              key={c.name}
              points={c.points.map((p) => `${x(p.fpr)},${y(p.tpr)}`).join(' ')}
              fill="none"
              stroke={COLORS[n % COLORS.length]}
              strokeWidth={n === 0 ? 3 : 1.4}
              strokeDasharray={n === 0 ? undefined : '4 3'}
              data-curve={c.name}
            />
          ) : null,
        )}
      {curves.map((c, n) => (
        <g key={c.name}>
          <line x1={size + 4} x2={size + 22} y1={16 + 15 * n} y2={16 + 15 * n} stroke={COLORS[n % COLORS.length]} strokeWidth={n === 0 ? 3 : 1.4} strokeDasharray={n === 0 ? undefined : '4 3'} />
          <text x={size + 28} y={20 + 15 * n} className="rs-plot-text" style={{ fill: COLORS[n % COLORS.length] }}>
            {c.name} {Number.isFinite(c.auc) ? c.auc.toFixed(3) : '–'}
          </text>
        </g>
      ))}
      <text x={pad + w / 2} y={size - 2} textAnchor="middle" className="rs-plot-text">
        false-positive rate (real called synthetic)
      </text>
      <text x={10} y={10 + w / 2} textAnchor="middle" className="rs-plot-text" transform={`rotate(-90 10 ${10 + w / 2})`}>
        true-positive rate
      </text>
    </svg>
  );
}

/** Accuracy per group as bars, with the 50 % chance line. */
export function AccuracyBars({ groups, testId, width = 300 }: { groups: Record<string, ReaderSummary>; testId: string; width?: number }) {
  const entries = Object.entries(groups);
  const h = 180;
  const pad = 34;
  const plotW = width - pad - 10;
  const bw = entries.length ? plotW / entries.length : plotW;
  const y = (a: number) => 20 + (1 - a) * (h - 50);
  return (
    <svg className="rs-plot" width={width} height={h} viewBox={`0 0 ${width} ${h}`} role="img" aria-label="Accuracy by group" data-testid={testId}>
      {[0, 0.5, 1].map((t) => (
        <g key={t}>
          <line x1={pad} x2={width - 10} y1={y(t)} y2={y(t)} className={t === 0.5 ? 'rs-plot-chance' : 'rs-plot-grid'} />
          <text x={pad - 6} y={y(t) + 3} textAnchor="end" className="rs-plot-text">
            {t * 100}%
          </text>
        </g>
      ))}
      {entries.map(([name, s], n) => {
        const a = Number.isFinite(s.accuracy) ? s.accuracy : 0;
        return (
          <g key={name}>
            <rect x={pad + n * bw + bw * 0.18} y={y(a)} width={bw * 0.64} height={y(0) - y(a)} className="rs-plot-bar" />
            <text x={pad + n * bw + bw / 2} y={y(a) - 4} textAnchor="middle" className="rs-plot-text">
              {Number.isFinite(s.accuracy) ? `${Math.round(100 * s.accuracy)}%` : '–'}
            </text>
            <text x={pad + n * bw + bw / 2} y={h - 16} textAnchor="middle" className="rs-plot-text">
              {name}
            </text>
            <text x={pad + n * bw + bw / 2} y={h - 4} textAnchor="middle" className="rs-plot-text rs-plot-n">
              n={s.n}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
