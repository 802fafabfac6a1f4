#!/usr/bin/env node
// `npm start`: the vite dev server, stopped whenever this process is. npm runs a script through
// `sh -c`, and stopping npm by its PID signals that shell, not vite, which kept serving on its
// port. Here vite is this process's own child: SIGINT/SIGTERM/SIGHUP are passed on to it, and if
// the parent (npm, or its shell) goes away without a signal reaching us, vite is stopped too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VITE = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));

/** A process's parent from /proc (Linux); undefined where there is no /proc or no such process. */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
// npm → sh → this: killing npm with SIGKILL leaves the shell waiting on us, so the shell's own
// parent is watched as well as ours.
const parent = process.ppid;
const grandparent = parentOf(parent);
const child = spawn(process.execPath, [VITE, ...process.argv.slice(2)], { stdio: 'inherit' });

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  // vite closes its server and exits on SIGTERM within a second; do not wait on it forever.
  setTimeout(() => child.kill('SIGKILL'), 5000).unref();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

// Orphaned: parent or grandparent gone without a signal reaching us (SIGKILL, a dying shell).
const watch = setInterval(() => {
  if (process.ppid !== parent || (grandparent !== undefined && parentOf(parent) !== grandparent)) stop('SIGTERM');
}, 250);

child.on('error', (e) => {
  process.stderr.write(`npm start: cannot run vite (${e.message}); run \`npm ci\` first\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  clearInterval(watch);
  process.exitCode = code ?? (signal ? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal] ?? 0) : 1);
});
