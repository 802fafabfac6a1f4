#!/usr/bin/env node
// `npm test`: system prerequisites, then typecheck, unit tests (Vitest) and e2e (Playwright in
// Debian's Chromium). Installs the Debian packages it needs when run as root (waiting, within a
// bound, for another apt or dpkg to finish); otherwise says exactly what to install. Always ends
// with one line "N passed, N failed, N skipped", also when it stops early.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { waitForAptLocks } from './aptLock.mjs';

const root = new URL('..', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const reportDir = join(root, '.cache', 'test-report'); // not Playwright's outputDir, which it empties
mkdirSync(reportDir, { recursive: true });

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  // Ctrl-C reaches the whole process group: the child stops, and so must this run, rather than
  // start the next stage (our own signal handler cannot run until the event loop turns).
  if (r.signal === 'SIGINT' || r.signal === 'SIGTERM' || r.signal === 'SIGHUP') interrupted(r.signal);
  return r.status ?? 1;
}
function step(title) {
  process.stdout.write(`\n=== ${title} ===\n`);
}

/** A stage that cannot go on; the run stops, and still prints its summary. */
class StageFailure extends Error {}

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedStage = null;
let summarized = false;

// Synchronous writes: the summary must get out even when the process is on its way down.
function summarize(exitCode = 0) {
  if (summarized) return;
  summarized = true;
  if (exitCode !== 0 && !failedStage) {
    // An exception in this script itself: never let that read as "all stages passed".
    failedStage = `the test runner (exit code ${exitCode})`;
    totals.failed += 1;
  }
  writeSync(1, `\n${failedStage ? `failed in ${failedStage}; see above` : 'all stages passed'}\n`);
  writeSync(1, `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
}
process.on('exit', summarize);
function interrupted(signal) {
  failedStage ??= `interrupted (${signal})`;
  totals.failed += 1;
  process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => interrupted(signal));

/** How long to wait for another apt/dpkg to release its locks (FREETUMOR_APT_LOCK_WAIT_S). */
const APT_LOCK_WAIT_S = Number(process.env.FREETUMOR_APT_LOCK_WAIT_S ?? 600);

/** apt-get, once no other package manager holds the locks; the option covers a race with one. */
async function aptGet(args, env) {
  const wait = await waitForAptLocks({ timeoutS: APT_LOCK_WAIT_S });
  if (wait.holders.length) {
    throw new StageFailure(
      `The package manager is still busy after ${Math.round(wait.waitedS)} s: ${wait.holders.join('; ')}.\n` +
        'Run `npm test` again once it has finished (or set FREETUMOR_APT_LOCK_WAIT_S to wait longer).',
    );
  }
  const left = Math.max(30, Math.round(APT_LOCK_WAIT_S - wait.waitedS));
  return sh('apt-get', ['-o', `DPkg::Lock::Timeout=${left}`, ...args], { env });
}

const CHROMIUM = '/usr/bin/chromium';
// Mesa's lavapipe (a Vulkan driver on the CPU) gives Dawn an adapter, so the webgpu backend runs in
// Node without a GPU. Bookworm's own mesa (22.3) gives none; the backports build does.
function hasLavapipe() {
  return ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.json'].some(existsSync);
}

// The queue tests (src/node/queue) start their own redis-server on a loopback port.
const REDIS_SERVER = '/usr/bin/redis-server';

async function ensureSystemPackages() {
  step('system packages');
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasLavapipe()) missing.push('mesa-vulkan-drivers (bookworm-backports)');
  if (!existsSync(REDIS_SERVER)) missing.push('redis-server');
  if (missing.length === 0) {
    process.stdout.write('chromium, Mesa lavapipe and redis-server present\n');
    return;
  }
  if (!isRoot) {
    process.stderr.write(
      `Missing: ${missing.join(', ')}. As root, run:\n` +
        '  apt-get update && apt-get install -y chromium fonts-liberation redis-server\n' +
        "  # Vulkan on the CPU for WebGPU in Node (the backports build; bookworm's 22.3 has no adapter):\n" +
        "  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)\n" +
        "  printf 'Types: deb\\nURIs: %s\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' \"$uri\" > /etc/apt/sources.list.d/backports.sources\n" +
        '  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1\n' +
        'or run `sudo npm test` once.\n',
    );
    throw new StageFailure(`missing ${missing.join(', ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!existsSync(CHROMIUM)) {
    if ((await aptGet(['update'], env)) || (await aptGet(['install', '-y', 'chromium', 'fonts-liberation'], env))) {
      throw new StageFailure('Could not install Debian chromium (apt-get failed above).');
    }
  }
  if (!existsSync(REDIS_SERVER)) {
    if ((await aptGet(['update'], env)) || (await aptGet(['install', '-y', 'redis-server'], env))) {
      throw new StageFailure('Could not install Debian redis-server (apt-get failed above).');
    }
  }
  if (!hasLavapipe()) {
    const sources = '/etc/apt/sources.list.d/debian.sources';
    const backports = '/etc/apt/sources.list.d/backports.sources';
    if (!existsSync(backports)) {
      const uri = existsSync(sources) ? /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'))?.[1] : undefined;
      if (!uri) throw new StageFailure(`Cannot add bookworm-backports: no URIs line in ${sources}.`);
      writeFileSync(
        backports,
        `Types: deb\nURIs: ${uri}\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      );
    }
    if (
      (await aptGet(['update'], env)) ||
      (await aptGet(['install', '-y', '-t', 'bookworm-backports', 'mesa-vulkan-drivers', 'libvulkan1'], env))
    ) {
      throw new StageFailure('Could not install mesa-vulkan-drivers from bookworm-backports (apt-get failed above).');
    }
  }
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

try {
  await ensureSystemPackages();
} catch (e) {
  if (!(e instanceof StageFailure)) throw e;
  process.stderr.write(`${e.message}\n`);
  failedStage = 'system packages';
  totals.failed += 1;
  process.exit(1);
}

step('typecheck (tsc --noEmit)');
if (sh('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'])) {
  failedStage ??= 'typecheck';
  totals.failed += 1;
}

step('unit tests (vitest)');
const vitestJson = join(reportDir, 'vitest.json');
const vitestStatus = sh('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
const v = readJson(vitestJson);
if (v) {
  totals.passed += v.numPassedTests ?? 0;
  totals.failed += v.numFailedTests ?? 0;
  totals.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
if (vitestStatus) {
  failedStage ??= 'unit';
  if (!v || !v.numFailedTests) totals.failed += 1;
}

step('end-to-end tests (playwright, Debian chromium)');
const pwJson = join(reportDir, 'playwright.json');
const pwStatus = sh('npx', ['playwright', 'test', '--reporter=list,json'], {
  env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson },
});
const p = readJson(pwJson);
if (p?.stats) {
  totals.passed += p.stats.expected ?? 0;
  totals.failed += p.stats.unexpected ?? 0;
  totals.passed += p.stats.flaky ?? 0; // passed on retry; the list reporter names them
  totals.skipped += p.stats.skipped ?? 0;
}
if (pwStatus) {
  failedStage ??= 'e2e';
  if (!p?.stats?.unexpected) totals.failed += 1;
}

summarize();
process.exit(failedStage ? 1 : 0);
