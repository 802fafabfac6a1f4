/**
 * Test support: the largest typed-array or ArrayBuffer allocation made while `fn` runs. RSS cannot
 * show it — a 3.5 GB calloc'd buffer costs no resident memory until written — yet it is the
 * allocation a hostile header must not be able to cause. The global constructors are swapped for
 * counting proxies for the duration, so only code that allocates through the globals (ours) is
 * seen, not Node's or the platform's internals.
 */
const CTORS = ['ArrayBuffer', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Float32Array', 'Float64Array'] as const;

export interface Allocations<T> {
  result?: T;
  error?: unknown;
  /** Bytes of the largest single allocation. */
  largest: number;
}

export async function trackAllocations<T>(fn: () => Promise<T>): Promise<Allocations<T>> {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = CTORS.map((name) => g[name]);
  let largest = 0;
  CTORS.forEach((name, k) => {
    const target = saved[k] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };
    const perElement = target.BYTES_PER_ELEMENT ?? 1;
    g[name] = new Proxy(target, {
      construct(t, args, newTarget) {
        const [first] = args;
        let bytes = 0;
        if (typeof first === 'number') bytes = first * perElement;
        else if (first && typeof first === 'object' && !(first instanceof (saved[0] as typeof ArrayBuffer)) && 'length' in first) {
          bytes = Number((first as { length: number }).length) * perElement; // a copy of an array-like
        }
        largest = Math.max(largest, bytes);
        return Reflect.construct(t, args, newTarget === g[name] ? t : newTarget);
      },
    });
  });
  try {
    return { result: await fn(), largest };
  } catch (error) {
    return { error, largest };
  } finally {
    CTORS.forEach((name, k) => (g[name] = saved[k]));
  }
}
