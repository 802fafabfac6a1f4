import { describe, expect, it } from 'vitest';
import { computeOptions } from './computeClient.ts';
import { threadsLabel } from './messages.ts';

describe('the compute worker options from the URL', () => {
  it('takes ?backend= and ?threads= when valid, and nothing by default', () => {
    expect(computeOptions('')).toEqual({ init: { type: 'init' }, problems: [] });
    expect(computeOptions('?backend=cpu&threads=3&demo=phantom')).toEqual({ init: { type: 'init', backend: 'cpu', threads: 3 }, problems: [] });
  });

  it('names a value it cannot use and leaves that option at its default', () => {
    const { init, problems } = computeOptions('?backend=wasm&threads=0');
    expect(init).toEqual({ type: 'init' });
    expect(problems).toEqual(['?backend=wasm is not one of webgpu, webgl, cpu; trying each in turn', '?threads=0 is not a whole number of at least 1; using every core']);
    for (const bad of ['-2', '1.5', 'two', '']) expect(computeOptions(`?threads=${bad}`).problems).toHaveLength(1);
  });
});

describe('threadsLabel', () => {
  it('counts threads and gives the reason for one', () => {
    expect(threadsLabel(null)).toBeNull();
    expect(threadsLabel({ threads: 2 })).toBe('2 threads');
    expect(threadsLabel({ threads: 1, reason: 'page not cross-origin isolated' })).toBe('1 thread (page not cross-origin isolated)');
    expect(threadsLabel({ threads: 1, reason: null })).toBe('1 thread');
  });
});
