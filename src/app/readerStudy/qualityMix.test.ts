import { describe, expect, it } from 'vitest';
import { drawToMix, requestedMix, StudyCancelled, type Drawn } from './qualityMix.ts';

/** A fake scorer: candidate a passes when outcomes[a] is true (null = unusable), P never computed. */
const drawFrom = (outcomes: (boolean | null)[], calls: number[] = []) => async (a: number): Promise<Drawn<number> | null> => {
  calls.push(a);
  const o = outcomes[a % outcomes.length];
  return o === null ? null : { pass: o, value: a };
};

describe('quality mix', () => {
  it('asks ⌈n/2⌉ passing + ⌊n/2⌋ failing for a balanced mix', () => {
    expect(requestedMix(3, 'balanced')).toEqual({ pass: 2, fail: 1 });
    expect(requestedMix(4, 'balanced')).toEqual({ pass: 2, fail: 2 });
    expect(requestedMix(4, 'any')).toEqual({ pass: null, fail: null });
  });
  it('balanced: keeps candidates of a still-wanted outcome, in draw order, and stops when full', async () => {
    const calls: number[] = [];
    // fail, fail, pass, fail, pass, pass …
    const r = await drawToMix({ count: 4, mix: 'balanced', maxAttempts: 20 }, drawFrom([false, false, false, true, false, true, true], calls));
    expect(r.items.map((d) => d.value)).toEqual([0, 1, 3, 5]);
    expect(r.got).toEqual({ pass: 2, fail: 2, notTested: 0 });
    expect(r.attempts).toBe(6);
    expect(calls).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.standIns).toBe(0);
    expect(r.report).toMatch(/^balanced: asked 2 passing \+ 2 failing, got 2 \+ 2 after 6 of at most 20 candidates$/);
  });
  it('balanced with every candidate failing: draws to the cap, failing items stand in, the report says so', async () => {
    const r = await drawToMix({ count: 3, mix: 'balanced', maxAttempts: 7 }, drawFrom([false]));
    expect(r.attempts).toBe(7);
    expect(r.got).toEqual({ pass: 0, fail: 3, notTested: 0 });
    expect(r.standIns).toBe(2);
    expect(r.items.map((d) => d.value)).toEqual([0, 1, 2]);
    expect(r.report).toMatch(/asked 2 passing \+ 1 failing, got 0 \+ 3 after 7 of at most 7 candidates; .*2 failing items stand in/);
  });
  it('balanced with every candidate passing: passing items stand in', async () => {
    const r = await drawToMix({ count: 2, mix: 'balanced', maxAttempts: 5 }, drawFrom([true]));
    expect(r.got).toEqual({ pass: 2, fail: 0, notTested: 0 });
    expect(r.report).toMatch(/1 passing item stands in/);
  });
  it('any: the first n usable candidates whatever their outcome; unusable ones are skipped', async () => {
    const r = await drawToMix({ count: 3, mix: 'any', maxAttempts: 10 }, drawFrom([true, null, false, true, false]));
    expect(r.items.map((d) => d.value)).toEqual([0, 2, 3]);
    expect(r.report).toBe('as drawn: 2 passing + 1 failing from 4 candidates (1 unusable)');
  });
  it('the cap is at least the item count, and too few usable candidates is an error', async () => {
    const r = await drawToMix({ count: 3, mix: 'any', maxAttempts: 1 }, drawFrom([true]));
    expect(r.attempts).toBe(3);
    await expect(drawToMix({ count: 2, mix: 'balanced', maxAttempts: 4 }, drawFrom([null, null, null, true]))).rejects.toThrow(/only 1 of 2 .* 4 attempts \(3 did not fit/);
  });
  it('stops between candidates when asked', async () => {
    let n = 0;
    await expect(drawToMix({ count: 5, mix: 'any', maxAttempts: 10, shouldStop: () => n >= 2 }, async (a) => (n++, { pass: true, value: a }))).rejects.toBeInstanceOf(StudyCancelled);
    expect(n).toBe(2);
  });
  it('reports progress after each candidate', async () => {
    const seen: string[] = [];
    await drawToMix({ count: 2, mix: 'balanced', maxAttempts: 5, onAttempt: (a, k) => void seen.push(`${a}:${k.pass}/${k.fail}`) }, drawFrom([true, true, false]));
    expect(seen).toEqual(['1:1/0', '2:1/0', '3:1/1']);
  });
});
