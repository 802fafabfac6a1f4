// Waiting for Debian's package locks. Another apt or dpkg (unattended-upgrades, a second
// terminal) holds them for minutes at a time; apt-get then fails at once with "Could not get
// lock", which made `npm test` fail before running anything. This waits, with a bound, and says
// who holds the lock while it waits.
import { readFileSync, statSync } from 'node:fs';

export const APT_LOCKS = [
  '/var/lib/dpkg/lock-frontend',
  '/var/lib/dpkg/lock',
  '/var/lib/apt/lists/lock',
  '/var/cache/apt/archives/lock',
];

/** glibc's dev_t encoding, as /proc/locks prints it (major:minor in hex). */
function devParts(dev) {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/**
 * Holders of `files` in the text of /proc/locks: [{ path, pid }]. Lines marked "->" are
 * processes waiting for a lock, not holding it, and are skipped.
 */
export function lockHolders(procLocks, files) {
  const byId = new Map(files.map((f) => [`${devParts(f.dev)}:${f.ino}`, f.path]));
  const holders = [];
  for (const line of procLocks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6 || fields[1] === '->') continue;
    const path = byId.get(fields[5].toLowerCase());
    if (path) holders.push({ path, pid: Number(fields[4]) });
  }
  return holders;
}

function describeHolder({ path, pid }) {
  let name = '';
  try {
    name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {}
  return `${path} held by ${name ? `${name} (pid ${pid})` : pid > 0 ? `pid ${pid}` : 'another process'}`;
}

function currentHolders() {
  const files = [];
  for (const path of APT_LOCKS) {
    try {
      const st = statSync(path);
      files.push({ path, dev: st.dev, ino: st.ino });
    } catch {}
  }
  let text = '';
  try {
    text = readFileSync('/proc/locks', 'utf8');
  } catch {
    return []; // not Linux: let apt-get's own lock timeout decide
  }
  return lockHolders(text, files);
}

/**
 * Resolve once no apt/dpkg lock is held, or after `timeoutS`: { waitedS, holders } where
 * `holders` is empty on success and describes the holders on timeout.
 */
export async function waitForAptLocks({ timeoutS, pollS = 2, log = (m) => process.stdout.write(`${m}\n`), holders = currentHolders } = {}) {
  const t0 = Date.now();
  let lastLog = -Infinity;
  for (;;) {
    const held = holders();
    const waitedS = (Date.now() - t0) / 1000;
    if (held.length === 0) return { waitedS, holders: [] };
    if (waitedS >= timeoutS) return { waitedS, holders: held.map(describeHolder) };
    if (waitedS - lastLog >= 30 || lastLog < 0) {
      log(`waiting for the package manager: ${held.map(describeHolder).join('; ')} (${Math.round(waitedS)} s of at most ${timeoutS} s)`);
      lastLog = waitedS;
    }
    await new Promise((r) => setTimeout(r, pollS * 1000));
  }
}
