import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { kernelThreadCount } from './kernelWorkers.ts';

describe('kernel thread count for Node', () => {
  it('defaults to every core, shared among data-parallel replicas', () => {
    const cores = availableParallelism();
    expect(kernelThreadCount(undefined, 1, {})).toBe(cores);
    expect(kernelThreadCount(undefined, 2, {})).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(kernelThreadCount(undefined, cores + 1, {})).toBe(1);
  });

  it('takes FREETUMOR_THREADS, and an explicit option over it', () => {
    expect(kernelThreadCount(undefined, 1, { FREETUMOR_THREADS: '3' })).toBe(3);
    expect(kernelThreadCount(undefined, 4, { FREETUMOR_THREADS: '1' })).toBe(1);
    expect(kernelThreadCount(2, 1, { FREETUMOR_THREADS: '3' })).toBe(2);
  });

  it('refuses a count that is not a positive integer, naming where it came from', () => {
    expect(() => kernelThreadCount(undefined, 1, { FREETUMOR_THREADS: 'two' })).toThrow(/FREETUMOR_THREADS must be a positive integer \(1 = off\), got "two"/);
    expect(() => kernelThreadCount(undefined, 1, { FREETUMOR_THREADS: '0' })).toThrow(/FREETUMOR_THREADS/);
    expect(() => kernelThreadCount(1.5)).toThrow(/positive integer/);
  });
});
