/**
 * The kernel pool's worker (threadPool.ts), as source text: a Worker can then be started from it
 * in Node (`new Worker(src, { eval: true })`, behind a small shim that maps `onmessage`,
 * `postMessage` and `close` onto worker_threads) and in a browser (a Blob URL), with no bundler
 * entry of its own. It imports nothing; the control-block layout below must match CTRL in
 * threadPool.ts (threadPool.test.ts checks that it does).
 *
 * After one 'init' message ({ module, memory, index }) the worker never returns to its event
 * loop: it sleeps in Atomics.wait on the wake word and, per job, claims tasks until none are
 * left. Failures are written to shared memory, because the caller is blocked in Atomics.wait and
 * cannot receive messages or events while the job runs.
 */
export const THREAD_WORKER_SOURCE = String.raw`
'use strict';
var CTRL = { CLAIM: 0, WAKE: 1, DONE: 2, NTASKS: 3, TABLE: 4, CALLS: 5, PGEN: 6, FAILED: 7, STOP: 8, MSGLEN: 9, MSG: 10, MSGMAX: 200, STATE: 256, HB: 512, OWN: 768, INTS: 1024 };
var ctrl = null, memory = null, gemm = null, gemmT = null, me = 0;

function fail(err) {
  var text = String((err && (err.stack || err.message)) || err).slice(0, CTRL.MSGMAX);
  // The first failing worker takes the message area (MSGLEN −1 = being written) and only then
  // raises FAILED, so the caller never reads a half-written message.
  if (Atomics.compareExchange(ctrl, CTRL.MSGLEN, 0, -1) === 0) {
    for (var i = 0; i < text.length; i++) ctrl[CTRL.MSG + i] = text.charCodeAt(i);
    Atomics.store(ctrl, CTRL.MSGLEN, text.length);
    Atomics.store(ctrl, CTRL.FAILED, me + 1);
  }
  Atomics.notify(ctrl, CTRL.DONE);
}

// One task: calls [first, first + count) of the call table, in order. Each call is 12 words:
// kind (0 gemm, 1 gemmT) and its arguments.
function runTask(table, calls, t) {
  var v = new Int32Array(memory.buffer);
  var first = v[(table >>> 2) + 2 * t];
  var count = v[(table >>> 2) + 2 * t + 1];
  for (var c = first; c < first + count; c++) {
    var o = (calls >>> 2) + 12 * c;
    if (v[o] === 0) gemm(v[o + 1], v[o + 2], v[o + 3], v[o + 4], v[o + 5], v[o + 6], v[o + 7], v[o + 8], v[o + 9], v[o + 10], v[o + 11]);
    else gemmT(v[o + 1], v[o + 2], v[o + 3], v[o + 4], v[o + 5], v[o + 6], v[o + 7], v[o + 8], v[o + 9]);
    Atomics.add(ctrl, CTRL.HB + me, 1);
  }
}

// Claim and run tasks of the current job until none is left. The job's parameters are read
// between two reads of PGEN (a sequence lock): a worker that woke late for a finished job
// never runs a task of the next one with the previous one's tables.
function work() {
  for (;;) {
    var c = Atomics.load(ctrl, CTRL.CLAIM);
    var gen = c >>> 16;
    if (Atomics.load(ctrl, CTRL.PGEN) !== gen) return;
    var n = Atomics.load(ctrl, CTRL.NTASKS);
    var table = Atomics.load(ctrl, CTRL.TABLE);
    var calls = Atomics.load(ctrl, CTRL.CALLS);
    if (Atomics.load(ctrl, CTRL.PGEN) !== gen) return;
    var t = c & 0xffff;
    if (t >= n) return;
    if (Atomics.compareExchange(ctrl, CTRL.CLAIM, c, (c + 1) | 0) !== c) continue;
    Atomics.store(ctrl, CTRL.OWN + me, t + 1);
    runTask(table, calls, t);
    Atomics.store(ctrl, CTRL.OWN + me, 0);
    Atomics.add(ctrl, CTRL.DONE, 1);
    Atomics.notify(ctrl, CTRL.DONE);
  }
}

function serve() {
  var seen = Atomics.load(ctrl, CTRL.WAKE);
  for (;;) {
    Atomics.wait(ctrl, CTRL.WAKE, seen);
    seen = Atomics.load(ctrl, CTRL.WAKE);
    if (Atomics.load(ctrl, CTRL.STOP)) return;
    try {
      work();
    } catch (err) {
      fail(err);
      return;
    }
  }
}

globalThis.onmessage = function (e) {
  var d = e.data;
  if (!d || d.type !== 'init' || ctrl) return;
  me = d.index;
  memory = d.memory;
  ctrl = new Int32Array(memory.buffer, 0, CTRL.INTS);
  try {
    var ex = new WebAssembly.Instance(d.module, { env: { memory: memory } }).exports;
    gemm = ex.gemm;
    gemmT = ex.gemmT;
  } catch (err) {
    fail(err);
    Atomics.store(ctrl, CTRL.STATE + me, 2);
    return;
  }
  Atomics.store(ctrl, CTRL.STATE + me, 1);
  Atomics.notify(ctrl, CTRL.STATE + me);
  serve();
  if (typeof close === 'function') close();
};
`;
