/** One line naming the machine and the date, for every benchmark's output. */
import { cpus, totalmem } from 'node:os';

export function machineLine(): string {
  const c = cpus();
  return `${new Date().toISOString().slice(0, 10)} · ${c[0]?.model.trim() ?? 'unknown CPU'} · ${c.length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version}`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
