/**
 * Runs the conv kernels' matrix products on several threads: N−1 workers plus the calling thread,
 * all instantiating one compiled module (wasmGemm.ts) over one shared WebAssembly.Memory. The
 * work is a GemmJob, a list of tasks, each a fixed sequence of gemm/gemmT calls writing output
 * rows no other task writes. Every output element is therefore summed by one thread in one order
 * whatever the thread count, and results are bit-identical for 1, 2 or N threads.
 *
 * tfjs kernels are synchronous, so the caller blocks in Atomics.wait until the job is done
 * (allowed on Node's main thread and in any Worker, not on a browser main thread). Jobs are handed
 * over through a control block of Int32 words at the start of the shared memory, never by
 * postMessage; tasks are claimed with compare-exchange, so a slow or absent worker only means
 * the others (the caller included) take more tasks. A worker that throws records the error in
 * the control block; one that dies or hangs stops its heartbeat, and the caller gives up after
 * `stallMs` without progress. Either way the caller throws instead of waiting forever.
 *
 * Environment-neutral: the entry point injects how to start a worker (KernelWorkerSpawner).
 */
import { sharedGemm, sharedGemmModule, WasmArena, wasmGemm, type WasmGemm } from './wasmGemm.ts';
import { THREAD_WORKER_SOURCE } from './threadWorkerSource.ts';

/** Word indices of the control block; threadWorkerSource.ts repeats them (a test compares). */
export const CTRL = {
  /** (generation << 16) | next unclaimed task. */
  CLAIM: 0,
  /** Bumped and notified once per job (and at shutdown): what idle workers wait on. */
  WAKE: 1,
  /** Tasks finished in the current job. */
  DONE: 2,
  NTASKS: 3,
  /** Byte addresses of the task table (first call, call count per task) and the call table. */
  TABLE: 4,
  CALLS: 5,
  /** Generation whose parameters are in place; −1 while they are being written. */
  PGEN: 6,
  /** 0, or 1 + the index of the first worker that failed (its message follows). */
  FAILED: 7,
  STOP: 8,
  MSGLEN: 9,
  MSG: 10,
  MSGMAX: 200,
  /** Per worker: 0 starting, 1 ready, 2 failed to start. */
  STATE: 256,
  /** Per worker: calls completed (the heartbeat). */
  HB: 512,
  /** Per worker: 1 + the task it is running, or 0. */
  OWN: 768,
  INTS: 1024,
} as const;
export const CTRL_BYTES = CTRL.INTS * 4;
/** Workers are numbered 1..MAX_WORKERS in the per-worker words (0 is the caller). */
const MAX_WORKERS = CTRL.HB - CTRL.STATE - 1;
/** Tasks per job are counted in the low 16 bits of the claim word. */
export const MAX_TASKS = 0xffff;
const WORDS_PER_CALL = 12;
/** ≈ 0.1 ms of one core: below this a job runs on the calling thread alone. */
export const MIN_PARALLEL_FLOPS = 4e6;

export interface KernelWorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
  onError(cb: (err: Error) => void): void;
}

/** Starts a worker from self-contained JavaScript source (Node: eval: true; browser: a Blob URL). */
export type KernelWorkerSpawner = (source: string) => KernelWorkerLike;

/**
 * A job: tasks, each a list of calls run in order by one thread. Calls take byte addresses in
 * the runner's memory (allocated from its arena), exactly as WasmGemm's gemm and gemmT.
 */
export class GemmJob {
  readonly calls: number[] = [];
  /** (first call, call count) per task. */
  readonly tasks: number[] = [];
  /**
   * Estimated flops: a pool runs a job below MIN_PARALLEL_FLOPS on the caller alone, where
   * waking the workers would cost more than it saves (same calls, so the same bits).
   */
  flops = Infinity;

  /** Start a task; the calls that follow belong to it. */
  task(): this {
    this.tasks.push(this.calls.length / WORDS_PER_CALL, 0);
    return this;
  }

  gemm(rows: number, mBlocks: number, segs: number, nseg: number, segLen: number, bp: number, panels: number, bPanel: number, bRow: number, c: number, ldc: number): this {
    this.calls.push(0, rows, mBlocks, segs, nseg, segLen, bp, panels, bPanel, bRow, c, ldc);
    this.tasks[this.tasks.length - 1]++;
    return this;
  }

  gemmT(rowTab: number, nPos: number, kOffs: number, mBlocks: number, bp: number, panels: number, bPanel: number, c: number, ldc: number): this {
    this.calls.push(1, rowTab, nPos, kOffs, mBlocks, bp, panels, bPanel, c, ldc, 0, 0);
    this.tasks[this.tasks.length - 1]++;
    return this;
  }

  get taskCount(): number {
    return this.tasks.length / 2;
  }
}

function runCall(w: WasmGemm, v: ArrayLike<number>, o: number): void {
  if (v[o] === 0) w.gemm(v[o + 1], v[o + 2], v[o + 3], v[o + 4], v[o + 5], v[o + 6], v[o + 7], v[o + 8], v[o + 9], v[o + 10], v[o + 11]);
  else w.gemmT(v[o + 1], v[o + 2], v[o + 3], v[o + 4], v[o + 5], v[o + 6], v[o + 7], v[o + 8], v[o + 9]);
}

/** Where the kernels run: a module instance, its arena, and how a job is executed. */
export interface GemmRunner {
  readonly w: WasmGemm;
  readonly arena: WasmArena;
  readonly threads: number;
  run(job: GemmJob): void;
}

function runHere(w: WasmGemm, job: GemmJob): void {
  const { calls, tasks } = job;
  for (let t = 0; t < tasks.length; t += 2) {
    for (let c = tasks[t]; c < tasks[t] + tasks[t + 1]; c++) runCall(w, calls, c * WORDS_PER_CALL);
  }
}

/** The calling thread alone, on the module's own memory (no SharedArrayBuffer needed). */
export class SingleRunner implements GemmRunner {
  readonly threads = 1;
  readonly arena: WasmArena;
  constructor(readonly w: WasmGemm) {
    this.arena = new WasmArena(w);
  }

  run(job: GemmJob): void {
    runHere(this.w, job);
  }

  static create(): SingleRunner | null {
    const w = wasmGemm();
    return w ? new SingleRunner(w) : null;
  }
}

export interface PoolOptions {
  /** Give up on a job when no thread has finished a call for this long (a dead or hung worker). */
  stallMs?: number;
  /** Give up when the workers have not all started within this time. */
  startMs?: number;
  /**
   * false: the calling thread only waits and the workers do every task, even of small jobs (for
   * tests that must see the workers' results; slower otherwise). Default true.
   */
  callerWorks?: boolean;
}

const now = () => performance.now();
const WAIT_MS = 50;

/** N−1 workers and the caller over one shared memory. */
export class PoolRunner implements GemmRunner {
  readonly arena: WasmArena;
  private readonly ctrl: Int32Array;
  private gen = 0;
  private failure: string | null = null;
  private closed = false;
  /** Called once when the pool fails, with the reason (threads.ts then falls back). */
  onFailure: (reason: string) => void = () => {};

  private constructor(
    readonly w: WasmGemm,
    private readonly workers: KernelWorkerLike[],
    private readonly stallMs: number,
    private readonly callerWorks: boolean,
  ) {
    this.ctrl = new Int32Array(w.memory.buffer, 0, CTRL.INTS);
    this.arena = new WasmArena(w, CTRL_BYTES);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Start `threads − 1` workers and wait until each has instantiated the module. Throws why not. */
  static async start(threads: number, spawn: KernelWorkerSpawner, opts: PoolOptions = {}): Promise<PoolRunner> {
    if (!Number.isInteger(threads) || threads < 2 || threads - 1 > MAX_WORKERS) throw new Error(`kernel threads must be an integer in 2..${MAX_WORKERS + 1}, got ${threads}`);
    const mod = sharedGemmModule();
    if (!mod) throw new Error('this engine has no WebAssembly threads (shared memory) with SIMD');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const pool = new PoolRunner(sharedGemm(mod, memory), [], opts.stallMs ?? 30_000, opts.callerWorks ?? true);
    try {
      for (let k = 1; k < threads; k++) {
        const worker = spawn(THREAD_WORKER_SOURCE);
        pool.workers.push(worker);
        worker.onError((e) => pool.noteError(`kernel worker ${k}: ${e.message}`));
        worker.postMessage({ type: 'init', module: mod, memory, index: k });
      }
      const deadline = now() + (opts.startMs ?? 20_000);
      for (;;) {
        const states = pool.workers.map((_, i) => Atomics.load(pool.ctrl, CTRL.STATE + i + 1));
        if (states.some((s) => s === 2) || Atomics.load(pool.ctrl, CTRL.FAILED)) throw new Error(pool.failedMessage());
        if (pool.failure) throw new Error(pool.failure);
        if (states.every((s) => s === 1)) return pool;
        if (now() > deadline) throw new Error(`${states.filter((s) => s !== 1).length} kernel worker(s) did not start within ${opts.startMs ?? 20_000} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } catch (e) {
      await pool.shutdown();
      throw e;
    }
  }

  private failedMessage(): string {
    const f = Atomics.load(this.ctrl, CTRL.FAILED);
    const len = Atomics.load(this.ctrl, CTRL.MSGLEN);
    let msg = '';
    for (let i = 0; i < len; i++) msg += String.fromCharCode(this.ctrl[CTRL.MSG + i]);
    return `kernel worker ${f - 1} failed: ${msg.split('\n')[0] || 'unknown error'}`;
  }

  /** A worker error or exit reported by the spawner (between jobs: the caller is not blocked then). */
  private noteError(msg: string): void {
    if (this.closed || this.failure) return;
    this.failure = msg;
  }

  /** Stop the pool for good and throw: the job's output is incomplete. */
  private fail(reason: string): never {
    if (!this.failure) this.failure = reason;
    const r = this.failure;
    void this.shutdown();
    this.onFailure(r);
    throw new Error(`conv3d kernel threads failed (${r}); later calls run single-threaded`);
  }

  run(job: GemmJob): void {
    if (this.closed && !this.failure) throw new Error('the kernel thread pool was shut down');
    if (this.failure) this.fail(this.failure);
    // A worker may have failed after the caller had finished the previous job on its own.
    if (Atomics.load(this.ctrl, CTRL.FAILED)) this.fail(this.failedMessage());
    const n = job.taskCount;
    if (n === 0) return;
    if (n > MAX_TASKS) throw new Error(`a kernel job of ${n} tasks exceeds ${MAX_TASKS}`);
    if (this.callerWorks && (n === 1 || job.flops < MIN_PARALLEL_FLOPS)) {
      runHere(this.w, job);
      return;
    }
    const a = this.arena;
    const table = a.alloc(job.tasks.length);
    const calls = a.alloc(job.calls.length);
    const v = a.i32();
    v.set(job.tasks, table >>> 2);
    v.set(job.calls, calls >>> 2);
    const c = this.ctrl;
    this.gen = (this.gen + 1) & 0xffff;
    Atomics.store(c, CTRL.PGEN, -1);
    Atomics.store(c, CTRL.NTASKS, n);
    Atomics.store(c, CTRL.TABLE, table);
    Atomics.store(c, CTRL.CALLS, calls);
    Atomics.store(c, CTRL.DONE, 0);
    Atomics.store(c, CTRL.PGEN, this.gen);
    Atomics.store(c, CTRL.CLAIM, (this.gen << 16) | 0);
    Atomics.add(c, CTRL.WAKE, 1);
    Atomics.notify(c, CTRL.WAKE);
    // The caller works too, on the same claim word.
    try {
      while (this.callerWorks) {
        const cw = Atomics.load(c, CTRL.CLAIM);
        const t = cw & 0xffff;
        if (t >= n) break;
        if (Atomics.compareExchange(c, CTRL.CLAIM, cw, (cw + 1) | 0) !== cw) continue;
        const first = job.tasks[2 * t];
        const count = job.tasks[2 * t + 1];
        for (let k = first; k < first + count; k++) runCall(this.w, job.calls, WORDS_PER_CALL * k);
        Atomics.add(c, CTRL.DONE, 1);
      }
    } catch (e) {
      this.fail(`the calling thread: ${(e as Error).message}`);
    }
    let progress = -1;
    let since = now();
    // Stalled = no progress both for stallMs of clock time and over as many 50 ms waits, so that
    // a suspended process (the clock jumps on resume) is not taken for a dead worker.
    let idleWaits = 0;
    for (;;) {
      const d = Atomics.load(c, CTRL.DONE);
      if (d >= n) break;
      if (Atomics.load(c, CTRL.FAILED)) this.fail(this.failedMessage());
      Atomics.wait(c, CTRL.DONE, d, WAIT_MS);
      let p = d;
      for (let k = 1; k <= this.workers.length; k++) p += Atomics.load(c, CTRL.HB + k);
      if (p !== progress) {
        progress = p;
        since = now();
        idleWaits = 0;
      } else if (++idleWaits * WAIT_MS >= this.stallMs && now() - since >= this.stallMs) {
        const held: string[] = [];
        for (let k = 1; k <= this.workers.length; k++) {
          const own = Atomics.load(c, CTRL.OWN + k);
          if (own) held.push(`worker ${k} (task ${own - 1})`);
        }
        this.fail(`no progress for ${(this.stallMs / 1e3).toFixed(1)} s on ${held.join(', ') || 'the job'}: a kernel worker died or hangs`);
      }
    }
  }

  /** Wake the workers to exit and terminate them. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.WAKE, 1);
    Atomics.notify(this.ctrl, CTRL.WAKE);
    await Promise.all(this.workers.map(async (w) => {
      try {
        await w.terminate();
      } catch {
        // Already gone: nothing to stop.
      }
    }));
  }

  /** For tests: the workers as spawned (to make one die). */
  workerHandles(): readonly KernelWorkerLike[] {
    return this.workers;
  }
}
