#!/usr/bin/env node
// `npm test`: system prerequisites, then typecheck, unit tests (Vitest) and e2e (Playwright in
// Debian's Chromium). Installs the Debian packages it needs when run as root; otherwise says
// exactly what to install. Ends with one line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const reportDir = join(root, '.cache', 'test-report'); // not Playwright's outputDir, which it empties
mkdirSync(reportDir, { recursive: true });

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
}
function step(title) {
  process.stdout.write(`\n=== ${title} ===\n`);
}

const CHROMIUM = '/usr/bin/chromium';
// Mesa's lavapipe (a Vulkan driver on the CPU) gives Dawn an adapter, so the webgpu backend runs in
// Node without a GPU. Bookworm's own mesa (22.3) gives none; the backports build does.
function hasLavapipe() {
  return ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.json'].some(existsSync);
}

function ensureSystemPackages() {
  step('system packages');
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (!hasLavapipe()) missing.push('mesa-vulkan-drivers (bookworm-backports)');
  if (missing.length === 0) {
    process.stdout.write('chromium and Mesa lavapipe present\n');
    return;
  }
  if (!isRoot) {
    process.stderr.write(
      `Missing: ${missing.join(', ')}. As root, run:\n` +
        '  apt-get update && apt-get install -y chromium fonts-liberation\n' +
        "  # Vulkan on the CPU for WebGPU in Node (the backports build; bookworm's 22.3 has no adapter):\n" +
        "  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)\n" +
        "  printf 'Types: deb\\nURIs: %s\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n' \"$uri\" > /etc/apt/sources.list.d/backports.sources\n" +
        '  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1\n' +
        'or run `sudo npm test` once.\n',
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!existsSync(CHROMIUM)) {
    if (sh('apt-get', ['update'], { env }) || sh('apt-get', ['install', '-y', 'chromium', 'fonts-liberation'], { env })) {
      process.stderr.write('Could not install Debian chromium (apt-get failed above).\n');
      process.exit(1);
    }
  }
  if (!hasLavapipe()) {
    const sources = '/etc/apt/sources.list.d/debian.sources';
    const backports = '/etc/apt/sources.list.d/backports.sources';
    if (!existsSync(backports)) {
      const uri = existsSync(sources) ? /^URIs:\s*(\S+)/m.exec(readFileSync(sources, 'utf8'))?.[1] : undefined;
      if (!uri) {
        process.stderr.write(`Cannot add bookworm-backports: no URIs line in ${sources}.\n`);
        process.exit(1);
      }
      writeFileSync(
        backports,
        `Types: deb\nURIs: ${uri}\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      );
    }
    if (
      sh('apt-get', ['update'], { env }) ||
      sh('apt-get', ['install', '-y', '-t', 'bookworm-backports', 'mesa-vulkan-drivers', 'libvulkan1'], { env })
    ) {
      process.stderr.write('Could not install mesa-vulkan-drivers from bookworm-backports (apt-get failed above).\n');
      process.exit(1);
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

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedStage = null;

ensureSystemPackages();

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

process.stdout.write(`\n${failedStage ? `failed in ${failedStage}; see above` : 'all stages passed'}\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failedStage ? 1 : 0);
