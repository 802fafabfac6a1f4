/**
 * The npm scripts a newcomer runs first: `npm start` must stop when npm is stopped (it left vite
 * serving before), and `npm test` must wait for a busy package manager and always end with its
 * summary line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lockHolders, waitForAptLocks } from '../../scripts/aptLock.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'npm-scripts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every descendant of `pid` (Linux /proc), so the test can check none outlives the run. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  for (let todo = children(pid); todo.length; ) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...children(p));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

describe('npm start', () => {
  // A vite config of its own (root, cache and port in a temp dir), so this never touches the
  // project's dependency cache that a parallel dev server or e2e run may be using.
  async function startServer(): Promise<{ npm: ChildProcess; port: number; url: string; tree: number[] }> {
    const port = await freePort();
    const site = mkdtempSync(join(tmp, 'site-'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>start test</title>');
    const config = join(site, 'vite.config.mjs');
    writeFileSync(config, `export default { root: ${JSON.stringify(site)}, cacheDir: ${JSON.stringify(join(site, '.vite'))}, logLevel: 'info', server: { host: '127.0.0.1', port: ${port}, strictPort: true } };\n`);
    const npm = spawn('npm', ['start', '--', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout!.on('data', (d) => (out += d));
    npm.stderr!.on('data', (d) => (out += d));
    // Hang guards, not timings: the start shares 2 cores with the rest of the suite.
    let url: string;
    try {
      // Under CI=true vite colours its output even into a pipe, with escapes inside the URL.
      url = await until("vite's URL in the output of npm start", 90_000, () => /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]);
      await until('the port to accept connections', 20_000, async () => ((await portOpen(port)) ? true : undefined));
    } catch (e) {
      for (const p of descendants(npm.pid!)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      npm.kill('SIGKILL');
      throw new Error(`${(e as Error).message}; npm start printed:\n${out}`);
    }
    return { npm, port, url, tree: descendants(npm.pid!) };
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`prints the URL to open, and stopping npm by its PID (${signal}) stops vite and frees the port`, { timeout: 150_000 }, async () => {
      const { npm, port, url, tree } = await startServer();
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      expect(tree.length).toBeGreaterThanOrEqual(2); // the script's node and vite under it
      npm.kill(signal);
      await until(`port ${port} to close after ${signal}`, 8_000, async () => ((await portOpen(port)) ? undefined : true));
      await until('every process npm start began to exit', 8_000, () => (tree.every((p) => !alive(p)) ? true : undefined));
    });
  }
});

describe('npm test: the package manager lock and the summary line', () => {
  it('reads lock holders from /proc/locks by device and inode, skipping waiters', () => {
    const dev = (0xfe << 8) | 0x01; // glibc's encoding of 254:1
    const text = [
      '1: POSIX  ADVISORY  WRITE 4242 fe:01:1234 0 EOF',
      '1: -> POSIX  ADVISORY  WRITE 4343 fe:01:1234 0 EOF',
      '2: POSIX  ADVISORY  WRITE 5151 fe:01:99 0 EOF',
      '3: FLOCK  ADVISORY  WRITE 6161 08:02:1234 0 EOF',
    ].join('\n');
    expect(lockHolders(text, [{ path: '/var/lib/dpkg/lock', dev, ino: 1234 }])).toEqual([{ path: '/var/lib/dpkg/lock', pid: 4242 }]);
  });

  const python = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!python)('sees a real POSIX lock the way dpkg takes it (fcntl, via python3)', async () => {
    const file = join(tmp, 'lock');
    writeFileSync(file, '');
    const holder = spawn('python3', ['-c', `import fcntl,sys,time\nf=open(${JSON.stringify(file)},'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(30)`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => holder.stdout!.once('data', r));
      const { dev, ino } = (await import('node:fs')).statSync(file);
      expect(lockHolders(readFileSync('/proc/locks', 'utf8'), [{ path: file, dev, ino }])).toEqual([{ path: file, pid: holder.pid }]);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('waits while the lock is held, says who holds it, and gives up after the bound', async () => {
    const logs: string[] = [];
    let polls = 0;
    const freed = await waitForAptLocks({ timeoutS: 5, pollS: 0.05, log: (m) => logs.push(m), holders: () => (++polls < 4 ? [{ path: '/var/lib/dpkg/lock-frontend', pid: 999999 }] : []) });
    expect(freed.holders).toEqual([]);
    expect(polls).toBe(4);
    expect(logs[0]).toMatch(/^waiting for the package manager: \/var\/lib\/dpkg\/lock-frontend held by pid 999999 \(0 s of at most 5 s\)$/);
    const t0 = Date.now();
    const stuck = await waitForAptLocks({ timeoutS: 0.3, pollS: 0.05, log: () => {}, holders: () => [{ path: '/var/lib/dpkg/lock', pid: process.pid }] });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(stuck.holders).toEqual([`/var/lib/dpkg/lock held by node (pid ${process.pid})`]);
  });

  // Only where the system stage has nothing to install: elsewhere (as root) it would run apt-get.
  const systemReady = existsSync('/usr/bin/chromium') && ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.json'].some(existsSync);
  it.skipIf(!systemReady)('ends with "N passed, N failed, N skipped" when stopped early (Ctrl-C during the typecheck)', async () => {
    const run = spawn(process.execPath, [join(ROOT, 'scripts/test.mjs')], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    run.stdout!.on('data', (d) => (out += d));
    run.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    try {
      await until('the typecheck stage to start', 20_000, () => (out.includes('=== typecheck') ? true : undefined));
      process.kill(-run.pid!, 'SIGINT'); // what Ctrl-C does: the whole process group
      expect(await exited).toBe(130);
    } finally {
      try {
        process.kill(-run.pid!, 'SIGKILL');
      } catch {}
    }
    const lines = out.trimEnd().split('\n');
    expect(lines.at(-2)).toBe('failed in interrupted (SIGINT); see above');
    expect(lines.at(-1)).toBe('0 passed, 1 failed, 0 skipped');
  });
});
