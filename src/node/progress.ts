/**
 * A progress line for long runs: count, rate, ETA and the latest figures (losses). Redrawn in
 * place on a terminal at most every 200 ms; in a log (not a TTY) one line every `logEvery`.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  stream?: NodeJS.WriteStream;
  logEvery?: number;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class Progress {
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions, private readonly startAt = 0) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** `done` counts from the start of the whole job (a resumed run starts above 0). */
  update(done: number, figures: Record<string, number> = {}): void {
    const now = performance.now();
    const last = done >= this.opts.total;
    if (this.tty ? !last && now - this.lastDraw < 200 : !last && (done - this.startAt) % (this.opts.logEvery ?? 10) !== 0) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const rate = (done - this.startAt) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.opts.total - done) / rate : Infinity;
    const width = 24;
    const filled = Math.round((width * Math.min(done, this.opts.total)) / Math.max(1, this.opts.total));
    const bar = this.tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    const figs = Object.entries(figures)
      .map(([k, v]) => `${k} ${Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4)) : v}`)
      .join(' ');
    const line = `${this.opts.label} ${bar}${done}/${this.opts.total} ${rate.toFixed(rate < 10 ? 2 : 0)} ${this.opts.unit ?? 'it'}/s ETA ${formatDuration(eta)} elapsed ${formatDuration(elapsed)}${figs ? ' · ' + figs : ''}`;
    this.stream.write(this.tty ? `\r\x1b[2K${line}${last ? '\n' : ''}` : `${line}\n`);
  }
}
