import { describe, expect, it } from 'vitest';
import { IMPLEMENTATION_CLASS_UID, isValidUid, nameUid, randomUid, sequentialUids } from './uid.ts';

describe('uid', () => {
  it('random UIDs are valid 2.25 UUIDs (version 4) and distinct', () => {
    const uids = Array.from({ length: 200 }, randomUid);
    expect(new Set(uids).size).toBe(200);
    for (const u of uids) {
      expect(isValidUid(u)).toBe(true);
      expect(u).toMatch(/^2\.25\.[1-9]\d*$/);
      const hex = BigInt(u.slice(5)).toString(16).padStart(32, '0');
      expect(hex[12]).toBe('4'); // version nibble
      expect('89ab').toContain(hex[16]); // RFC variant
    }
  });

  it('name UIDs are stable, distinct per name and valid', () => {
    expect(nameUid('a')).toBe(nameUid('a'));
    expect(nameUid('a')).not.toBe(nameUid('b'));
    expect(isValidUid(nameUid('FreeTumor'))).toBe(true);
    expect(isValidUid(IMPLEMENTATION_CLASS_UID)).toBe(true);
    const next = sequentialUids('x');
    const again = sequentialUids('x');
    expect([next(), next()]).toEqual([again(), again()]);
  });

  it('validates UID syntax', () => {
    expect(isValidUid('1.2.840.10008.1.2.1')).toBe(true);
    for (const bad of ['', '1..2', '1.02', 'a.b', `1.${'2'.repeat(63)}`]) expect(isValidUid(bad)).toBe(false);
  });
});
