/**
 * Drawing synthetic items to a quality-test mix: seeded candidates are drawn one after another
 * (candidate a is a pure function of the study seed and a), each kept if its outcome (pass / fail)
 * is still wanted, until the study has the requested numbers or the attempt cap is reached. What it
 * got is reported, never hidden: when the cap is reached short of the mix, candidates of the other
 * outcome stand in so the study keeps its size, and the report says so.
 * Pure (no tfjs): the scorer is passed in, so the rules are unit-tested with a fake one.
 */

/** 'balanced': ⌈n/2⌉ passing + ⌊n/2⌋ failing; 'any': the first n candidates whatever their outcome. */
export type QualityMix = 'balanced' | 'any';

export interface Drawn<T> {
  /** The quality-test outcome; null = not tested (handcrafted). */
  pass: boolean | null;
  value: T;
}

export interface MixOptions {
  count: number;
  mix: QualityMix;
  maxAttempts: number;
  /** Checked before each candidate; true stops the draw with a StudyCancelled error. */
  shouldStop?: () => boolean;
  /** After each candidate: attempts so far, kept so far (by outcome). */
  onAttempt?: (attempts: number, kept: { pass: number; fail: number; notTested: number }) => void | Promise<void>;
}

export interface MixResult<T> {
  /** The kept items, in the order they were drawn (stand-ins last). */
  items: Drawn<T>[];
  attempts: number;
  requested: { total: number; pass: number | null; fail: number | null };
  got: { pass: number; fail: number; notTested: number };
  /** Items kept from the other outcome because the cap was reached short of the mix. */
  standIns: number;
  report: string;
}

export class StudyCancelled extends Error {
  override name = 'StudyCancelled';
  constructor() {
    super('cancelled');
  }
}

export function requestedMix(count: number, mix: QualityMix): { pass: number | null; fail: number | null } {
  if (mix === 'any') return { pass: null, fail: null };
  const pass = Math.ceil(count / 2);
  return { pass, fail: count - pass };
}

const tally = <T>(items: readonly Drawn<T>[]) => ({
  pass: items.filter((d) => d.pass === true).length,
  fail: items.filter((d) => d.pass === false).length,
  notTested: items.filter((d) => d.pass === null).length,
});

/**
 * Draw candidates `draw(0), draw(1), …` (null = no usable candidate at that attempt, e.g. the tumour
 * did not fit) until `count` are kept to the mix, or `maxAttempts` candidates were drawn.
 * Throws when not even `count` usable candidates turned up.
 */
export async function drawToMix<T>(opts: MixOptions, draw: (attempt: number) => Promise<Drawn<T> | null>): Promise<MixResult<T>> {
  const { count, mix } = opts;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0, got ${count}`);
  const maxAttempts = Math.max(count, Math.floor(opts.maxAttempts));
  const want = requestedMix(count, mix);
  const kept: Drawn<T>[] = [];
  const spare: Drawn<T>[] = [];
  let attempts = 0;
  let unusable = 0;
  const full = () => kept.length >= count;
  while (!full() && attempts < maxAttempts) {
    if (opts.shouldStop?.()) throw new StudyCancelled();
    const d = await draw(attempts);
    attempts++;
    if (!d) unusable++;
    else if (mix === 'any' || d.pass === null) kept.push(d);
    else {
      const t = tally(kept);
      const room = d.pass ? t.pass < want.pass! : t.fail < want.fail!;
      if (room) kept.push(d);
      // Spares of an outcome already full: only as many as could ever stand in.
      else if (spare.length < count) spare.push(d);
    }
    await opts.onAttempt?.(attempts, tally(kept));
  }
  let standIns = 0;
  while (!full() && spare.length) {
    kept.push(spare.shift()!);
    standIns++;
  }
  if (!full()) {
    throw new Error(`only ${kept.length} of ${count} synthetic tumours could be made in ${attempts} attempts (${unusable} did not fit or could not be scored)`);
  }
  const got = tally(kept);
  const requested = { total: count, ...want };
  let report: string;
  if (mix === 'any' || got.notTested === count) {
    const outcome = got.notTested === count ? `${count} not quality-tested` : `${got.pass} passing + ${got.fail} failing`;
    report = `as drawn: ${outcome} from ${attempts} candidate${attempts === 1 ? '' : 's'}${unusable ? ` (${unusable} unusable)` : ''}`;
  } else {
    report =
      `balanced: asked ${want.pass} passing + ${want.fail} failing, got ${got.pass} + ${got.fail} after ${attempts} of at most ${maxAttempts} candidates` +
      (unusable ? ` (${unusable} unusable)` : '') +
      (standIns ? `; the cap was reached short of the mix, so ${standIns} ${want.pass! > got.pass ? 'failing' : 'passing'} item${standIns === 1 ? '' : 's'} stand${standIns === 1 ? 's' : ''} in` : '');
  }
  return { items: kept, attempts, requested, got, standIns, report };
}
