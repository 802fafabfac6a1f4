/** ioredis options for a queue address, and a fail-fast reachability check for the coordinator. */
import { Redis } from 'ioredis';
import { CliError } from '../cliTypes.ts';
import type { QueueAddress } from './url.ts';

/** BullMQ needs maxRetriesPerRequest null on its blocking connections (they wait for jobs). */
export function connectionOf(a: QueueAddress) {
  return { host: a.host, port: a.port, db: a.db, username: a.username, password: a.password, maxRetriesPerRequest: null };
}

/**
 * One PING without reconnect attempts: BullMQ's own connections retry for ever, which is right for
 * a worker waiting for Redis to come up but would leave a coordinator with a typo silent.
 */
export async function assertReachable(a: QueueAddress, timeoutMs = 5000): Promise<void> {
  const r = new Redis({ ...connectionOf(a), lazyConnect: true, retryStrategy: () => null, connectTimeout: timeoutMs, maxRetriesPerRequest: 0 });
  let cause = '';
  r.on('error', (e: Error) => (cause ||= e.message));
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new CliError(`cannot reach Redis at ${a.display}: ${cause || (e as Error).message || String(e)} (is redis-server running and listening on that address?)`);
  } finally {
    r.disconnect();
  }
}
