/**
 * `--queue redis://[USER:PASSWORD@]HOST:PORT/NAME[?db=N]`: where the Redis server is and which
 * queue on it. The path names the queue rather than a database number (Redis' own URL form),
 * because a queue per run is what a user picks; the database, when not 0, goes in `db`.
 */
import { CliError } from '../cliTypes.ts';

export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  name: string;
  /** The URL without its password, for logs. */
  display: string;
}

const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function parseQueueUrl(text: string): QueueAddress {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new CliError(`--queue: '${text}' is not a URL; expected redis://HOST:PORT/NAME`);
  }
  if (u.protocol !== 'redis:') throw new CliError(`--queue: '${text}': only redis:// is supported (redis://HOST:PORT/NAME)`);
  if (!u.hostname) throw new CliError(`--queue: '${text}' has no host (redis://HOST:PORT/NAME)`);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!name) throw new CliError(`--queue: '${text}' names no queue: add /NAME, e.g. redis://${u.host}/freetumor`);
  if (!NAME.test(name)) throw new CliError(`--queue: queue name '${name}' must be 1–100 of A–Z a–z 0–9 . _ -`);
  const port = u.port ? Number(u.port) : 6379;
  let db = 0;
  for (const [k, v] of u.searchParams) {
    if (k !== 'db') throw new CliError(`--queue: unknown URL parameter '${k}' (only db=N)`);
    db = Number(v);
    if (!Number.isInteger(db) || db < 0) throw new CliError(`--queue: db must be a non-negative integer, got '${v}'`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    name,
    display: `redis://${u.host}/${name}${db ? `?db=${db}` : ''}`,
  };
}
