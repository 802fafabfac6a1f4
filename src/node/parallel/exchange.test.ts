import { describe, expect, it } from 'vitest';
import { GradientExchange, paramLayout } from './exchange.ts';

describe('GradientExchange', () => {
  it('chunks cover the vector once; the mean is the slot-order sum whoever reduces which chunk first', () => {
    const ex = new GradientExchange(3, 10);
    const covered = new Array(10).fill(0);
    for (let r = 0; r < 3; r++) {
      const [a, b] = ex.chunk(r);
      for (let i = a; i < b; i++) covered[i]++;
    }
    expect(covered).toEqual(new Array(10).fill(1));
    // Values whose float sum depends on the order: 1e8 + 1 − 1e8.
    for (let i = 0; i < 10; i++) {
      ex.slot(0)[i] = 1e8;
      ex.slot(1)[i] = 1 + i;
      ex.slot(2)[i] = -1e8;
    }
    for (const r of [2, 0, 1]) ex.reduceChunk(r);
    const expected = Array.from({ length: 10 }, (_, i) => Math.fround((1e8 + Math.fround(1 + i) - 1e8) / 3));
    expect([...ex.mean()]).toEqual(expected);
    // A second view over the same memory (what a worker thread maps) sees the same numbers.
    const other = new GradientExchange(3, 10, ex.buffer);
    expect([...other.mean()]).toEqual(expected);
    expect(() => new GradientExchange(2, 10, ex.buffer)).toThrow(/expected 120/);
  });

  it('lays parameters out network by network, in their order', () => {
    const l = paramLayout([
      { name: 'G', params: [['a', { size: 3 }], ['b', { size: 2 }]] },
      { name: 'C', params: [['a', { size: 4 }]] },
    ]);
    expect(l.total).toBe(9);
    expect(l.entries.map((e) => `${e.net}.${e.param}@${e.offset}`)).toEqual(['G.a@0', 'G.b@3', 'C.a@5']);
  });
});
