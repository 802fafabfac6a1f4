import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops whitespace, so equal records give equal text', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 'x', x: null }, true] })).toBe('{"a":[{"x":null,"y":"x"},true],"b":1}');
    expect(canonicalJson({ a: 1, b: { d: 2, c: 3 } })).toBe(canonicalJson({ b: { c: 3, d: 2 }, a: 1 }));
    expect(canonicalJson({ a: undefined, s: 'é"\n' })).toBe('{"s":"é\\"\\n"}');
  });
  it('refuses what JSON cannot hold, naming where', () => {
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow('canonicalJson: $.a[1] is NaN, which JSON cannot hold');
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/\$\.f is a function/);
    expect(() => canonicalJson([undefined])).toThrow(/\$\[0\] is a undefined/);
  });
});
