/**
 * A private redis-server for tests and benchmarks: a free loopback port, a temporary directory,
 * no persistence, stopped (and its directory removed) by `stop()`. When Debian's redis-server is
 * missing it says exactly what to install rather than failing somewhere inside BullMQ.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_INSTALL_HINT = 'redis-server not found on PATH: install it with `apt-get install -y redis-server` (Debian; as root), or `npm test` as root installs it';

export interface RedisServer {
  port: number;
  url(queueName: string): string;
  stop(): Promise<void>;
}

export function redisServerAvailable(bin = 'redis-server'): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited (${child.exitCode}) before listening:\n${log()}`));
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() - t0 > timeoutMs) reject(new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startRedisServer(opts: { bin?: string; timeoutMs?: number } = {}): Promise<RedisServer> {
  const bin = opts.bin ?? 'redis-server';
  if (!redisServerAvailable(bin)) throw new Error(REDIS_INSTALL_HINT);
  const dir = await mkdtemp(join(tmpdir(), 'ftw-redis-'));
  const port = await freePort();
  // BullMQ requires noeviction; no snapshots: the data lives only as long as the test.
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  try {
    await waitForPort(port, child, () => log, opts.timeoutMs ?? 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url: (name) => `redis://127.0.0.1:${port}/${name}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
