/**
 * A WebAssembly SIMD matrix product, assembled here byte by byte so no toolchain or binary asset
 * is needed and the same module runs in Node and in browsers (all current engines ship fixed-width
 * SIMD). V8 turns each f32x4 op into one SSE/AVX instruction; plain JS cannot (it computes
 * Float32Array arithmetic as scalar float64: a register-blocked JS GEMM measured 0.8 GFLOP/s
 * here against 14 for this module, same machine and load).
 *
 *   gemm(rows, mBlocks, segs, nseg, segLen, bp, panels, bPanel, bRow, c, ldc):  C += A · B
 *
 * All pointers and strides are in bytes. A is addressed indirectly so one kernel serves both a
 * plain matrix and an implicit-GEMM convolution that never materialises its patch matrix:
 *   A[i, s·segLen + t] = f32 at rows[i] + segs[s] + 4t    (rows: i32[mBlocks·4], segs: i32[nseg])
 * (a plain row-major A is rows[i] = a + i·lda, one segment at offset 0 of length k; a conv's
 * row is an output voxel's corner in a padded input, its segments the (fd, fh) taps, each a
 * contiguous run over (fw, channels)). B has `panels` groups of 8 columns; panel j's row kk starts
 * at bp + j·bPanel + kk·bRow (packed [panels][k][8]: bPanel = 32k, bRow = 32; or a plain
 * row-major matrix of 8·panels columns: bPanel = 32, bRow = 32·panels). C: mBlocks·4 rows at
 * stride ldc, 8·panels columns, accumulated into.
 *
 * The micro-kernel holds a 4×8 tile of C in eight v128 accumulators; per k step it issues 2
 * vector loads, 4 broadcast loads and 8 fused multiply-adds (relaxed SIMD; 8 multiplies and 8
 * adds without it): 64 flops. With its operands in L1 it reached 54.6 GFLOP/s on one core of
 * this AMD EPYC (Zen 5), against 43 for the former f32.load + splat, mul + add kernel: that is
 * the limit of two 128-bit FMAs per cycle, so a larger tile cannot go faster and only raises
 * register pressure (V8 allocates 15 xmm registers). This CPU's separate add pipes let mul + add
 * come close to the fused rate; CPUs whose adds share the FMA ports gain more from fusing. The
 * loops are deliberately not unrolled by hand: TurboFan unrolls small loops itself, and a k loop
 * unrolled by 2 or 4 here measured ≈ 45 % slower.
 */
import { envVar } from '../env.ts';

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((ch) => ch.charCodeAt(0))];

// Opcodes used below.
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const v128load = (off = 0) => [0xfd, 0x00, 4, ...uleb(off)];
const v128store = (off = 0) => [0xfd, 0x0b, 4, ...uleb(off)];
const v128zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const fadd = [0xfd, ...uleb(228)];
const fmul = [0xfd, ...uleb(230)];
const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
const brIf = (d: number) => [0x0d, ...uleb(d)];
// v128.load32_splat: one vbroadcastss from memory, where f32.load + f32x4.splat costs a load and
// a shuffle that competes with the multiply-adds for the FP ports (≈ +15–30 % GFLOP/s here).
const loadSplat = (off = 0) => [0xfd, 0x09, 2, ...uleb(off)];
// f32x4.relaxed_madd(a, b, c) = a·b + c: V8 emits one vfmadd231ps where the CPU has FMA3 (in
// Liftoff and TurboFan alike, so results do not change when a function tiers up), else mul + add.
const relaxedMadd = [0xfd, 0x85, 0x02];

/**
 * Whether the engine validates relaxed-SIMD code (Chromium and Node ≥ 22 by default; Node 20
 * behind V8's --experimental-wasm-relaxed-simd, which src/node sets before anything compiles).
 */
export function engineHasRelaxedSimd(): boolean {
  // (func (drop (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
  const body = [0, ...v128zero, ...v128zero, ...v128zero, ...relaxedMadd, 0x1a, 0x0b];
  const probe = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0, 0]])),
    ...section(3, vec([[0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  try {
    return WebAssembly.validate(new Uint8Array(probe) as BufferSource);
  } catch {
    return false;
  }
}

let relaxed: boolean | undefined;
/**
 * Whether the GEMM kernels use relaxed-SIMD fused multiply-add: the engine has it and
 * FREETUMOR_RELAXED_SIMD=0 (Node) does not turn it off. Decided once per thread, before the first
 * module is built, so every product in a run rounds the same way; workers decide alike because
 * they share the process's engine flags and environment.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    relaxed = envVar('FREETUMOR_RELAXED_SIMD') !== '0' && engineHasRelaxedSimd();
  }
  return relaxed;
}

/** acc += x·b on locals: fused where relaxedSimdAvailable(), else f32x4.mul then f32x4.add. */
const fmaInto = (acc: number, x: number, b: number): number[] =>
  relaxedSimdAvailable()
    ? [...get(x), ...get(b), ...get(acc), ...relaxedMadd, ...set(acc)]
    : [...get(acc), ...get(x), ...get(b), ...fmul, ...fadd, ...set(acc)];

/**
 * `shared`: import the memory as env.memory, shared with a maximum of 4 GiB, so every thread of
 * the kernel pool (threadPool.ts) instantiates this same module over one memory; otherwise the
 * module defines its own (the single-threaded path).
 */
function buildModule(shared = false): Uint8Array {
  const [ROWS, MB, SEGS, NSEG, SEGLEN, BP, PANELS, BPS, BRS, C, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [IG, J, S, R0, R1, R2, R3, PA0, PA1, PA2, PA3, PB, KK, CR, CROW, OFF] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
  const ACC = 27; // 8 accumulators 27..34
  const [B0, B1, X] = [35, 36, 37];
  const NPARAMS = 11;
  const NI32 = 16;

  const inc = (l: number, by: number) => [...get(l), ...i32c(by), ...add, ...set(l)];
  const fma = (acc: number, b: number) => fmaInto(acc, X, b);
  const i32load = (off: number) => [0x28, 2, ...uleb(off)];
  const rowStep = (pa: number, r: number) => [
    ...get(pa), ...loadSplat(), ...set(X),
    ...fma(ACC + 2 * r, B0), ...fma(ACC + 2 * r + 1, B1),
  ];
  const storeRow = (r: number) => [
    ...get(CR), ...get(CR), ...v128load(0), ...get(ACC + 2 * r), ...fadd, ...v128store(0),
    ...get(CR), ...get(CR), ...v128load(16), ...get(ACC + 2 * r + 1), ...fadd, ...v128store(16),
    ...get(CR), ...get(LDC), ...add, ...set(CR),
  ];

  const kLoop = loop([
    ...get(PB), ...v128load(0), ...set(B0),
    ...get(PB), ...v128load(16), ...set(B1),
    ...rowStep(PA0, 0), ...rowStep(PA1, 1), ...rowStep(PA2, 2), ...rowStep(PA3, 3),
    ...inc(PA0, 4), ...inc(PA1, 4), ...inc(PA2, 4), ...inc(PA3, 4),
    ...get(PB), ...get(BRS), ...add, ...set(PB),
    ...get(KK), ...i32c(1), ...sub, ...set(KK),
    ...get(KK), ...brIf(0),
  ]);

  const segLoop = loop([
    ...get(SEGS), ...get(S), ...i32c(4), ...mul, ...add, ...i32load(0), ...set(OFF),
    ...get(R0), ...get(OFF), ...add, ...set(PA0),
    ...get(R1), ...get(OFF), ...add, ...set(PA1),
    ...get(R2), ...get(OFF), ...add, ...set(PA2),
    ...get(R3), ...get(OFF), ...add, ...set(PA3),
    ...get(SEGLEN), ...set(KK),
    ...kLoop,
    ...inc(S, 1),
    ...get(S), ...get(NSEG), 0x49, ...brIf(0),
  ]);

  const panelLoop = loop([
    ...get(BP), ...get(J), ...get(BPS), ...mul, ...add, ...set(PB),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [...v128zero, ...set(ACC + i)]),
    ...i32c(0), ...set(S),
    ...segLoop,
    ...get(CROW), ...get(J), ...i32c(32), ...mul, ...add, ...set(CR),
    ...storeRow(0), ...storeRow(1), ...storeRow(2), ...storeRow(3),
    ...inc(J, 1),
    ...get(J), ...get(PANELS), 0x49, ...brIf(0), // j < panels (unsigned)
  ]);

  const rowLoop = loop([
    ...get(ROWS), ...get(IG), ...i32c(16), ...mul, ...add, ...set(OFF),
    ...get(OFF), ...i32load(0), ...set(R0),
    ...get(OFF), ...i32load(4), ...set(R1),
    ...get(OFF), ...i32load(8), ...set(R2),
    ...get(OFF), ...i32load(12), ...set(R3),
    ...get(C), ...get(IG), ...get(LDC), ...mul, ...i32c(4), ...mul, ...add, ...set(CROW),
    ...i32c(0), ...set(J),
    ...panelLoop,
    ...inc(IG, 1),
    ...get(IG), ...get(MB), 0x49, ...brIf(0),
  ]);

  const body = [
    ...vec([[...uleb(NI32), I32], [...uleb(8), V128], [...uleb(3), V128]]),
    // Nothing to do for empty problems (the loops are do-while).
    ...get(MB), 0x45, ...get(NSEG), 0x45, 0x72, ...get(SEGLEN), 0x45, 0x72, ...get(PANELS), 0x45, 0x72, 0x04, 0x40, 0x0f, 0x0b,
    ...i32c(0), ...set(IG),
    ...rowLoop,
    0x0b,
  ];
  const bodyT = buildGatherInner();

  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([
      [0x60, ...vec(new Array<number[]>(NPARAMS).fill([I32])), 0],
      [0x60, ...vec(new Array<number[]>(9).fill([I32])), 0],
    ])),
    ...(shared ? section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]])) : []),
    ...section(3, vec([[0], [1]])),
    ...(shared ? [] : section(5, vec([[0x00, ...uleb(1)]]))),
    ...section(7, vec([[...str('gemm'), 0x00, 0], [...str('gemmT'), 0x00, 1], [...str('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body], [...uleb(bodyT.length), ...bodyT]])),
  ];
  return new Uint8Array(bytes);
}

/**
 * gemmT(rowTab, nPos, kOffs, mBlocks, bp, panels, bPanel, c, ldc): C += Aᵀ-gathered · B where
 *   A[i, p] = f32 at rowTab[p] + kOffs[i]     (rowTab: i32[nPos], kOffs: i32[mBlocks·4])
 * i.e. the inner dimension runs over output voxels and each C row is one (tap, channel) of a
 * filter gradient: dW[k, n] += Σ_p x[voxel p + tap k] · dY[p, n], read straight from a padded
 * slab. B (dY) is packed [panels][nPos][8] (bPanel = 32·nPos).
 */
function buildGatherInner(): number[] {
  const [RT0, NPOS, KOFFS, MB, BP, PANELS, BPS, C, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [IG, J, K0, K1, K2, K3, PB, KK, CR, CROW, RT, BASE, OFF] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  const ACC = 22;
  const [B0, B1, X] = [30, 31, 32];
  const inc = (l: number, by: number) => [...get(l), ...i32c(by), ...add, ...set(l)];
  const fma = (acc: number, b: number) => fmaInto(acc, X, b);
  const i32load = (off: number) => [0x28, 2, ...uleb(off)];
  const rowStep = (k: number, r: number) => [
    ...get(BASE), ...get(k), ...add, ...loadSplat(), ...set(X),
    ...fma(ACC + 2 * r, B0), ...fma(ACC + 2 * r + 1, B1),
  ];
  const storeRow = (r: number) => [
    ...get(CR), ...get(CR), ...v128load(0), ...get(ACC + 2 * r), ...fadd, ...v128store(0),
    ...get(CR), ...get(CR), ...v128load(16), ...get(ACC + 2 * r + 1), ...fadd, ...v128store(16),
    ...get(CR), ...get(LDC), ...add, ...set(CR),
  ];
  const pLoop = loop([
    ...get(RT), ...i32load(0), ...set(BASE),
    ...get(PB), ...v128load(0), ...set(B0),
    ...get(PB), ...v128load(16), ...set(B1),
    ...rowStep(K0, 0), ...rowStep(K1, 1), ...rowStep(K2, 2), ...rowStep(K3, 3),
    ...inc(RT, 4), ...inc(PB, 32),
    ...get(KK), ...i32c(1), ...sub, ...set(KK),
    ...get(KK), ...brIf(0),
  ]);
  const panelLoop = loop([
    ...get(BP), ...get(J), ...get(BPS), ...mul, ...add, ...set(PB),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [...v128zero, ...set(ACC + i)]),
    ...get(RT0), ...set(RT),
    ...get(NPOS), ...set(KK),
    ...pLoop,
    ...get(CROW), ...get(J), ...i32c(32), ...mul, ...add, ...set(CR),
    ...storeRow(0), ...storeRow(1), ...storeRow(2), ...storeRow(3),
    ...inc(J, 1),
    ...get(J), ...get(PANELS), 0x49, ...brIf(0),
  ]);
  const rowLoop = loop([
    ...get(KOFFS), ...get(IG), ...i32c(16), ...mul, ...add, ...set(OFF),
    ...get(OFF), ...i32load(0), ...set(K0),
    ...get(OFF), ...i32load(4), ...set(K1),
    ...get(OFF), ...i32load(8), ...set(K2),
    ...get(OFF), ...i32load(12), ...set(K3),
    ...get(C), ...get(IG), ...get(LDC), ...mul, ...i32c(4), ...mul, ...add, ...set(CROW),
    ...i32c(0), ...set(J),
    ...panelLoop,
    ...inc(IG, 1),
    ...get(IG), ...get(MB), 0x49, ...brIf(0),
  ]);
  return [
    ...vec([[...uleb(13), I32], [...uleb(8), V128], [...uleb(3), V128]]),
    ...get(MB), 0x45, ...get(NPOS), 0x45, 0x72, ...get(PANELS), 0x45, 0x72, 0x04, 0x40, 0x0f, 0x0b,
    ...i32c(0), ...set(IG),
    ...rowLoop,
    0x0b,
  ];
}

export interface WasmGemm {
  /** C += A·B, pointers and strides in bytes (see the module comment). */
  gemm(
    rows: number, mBlocks: number, segs: number, nseg: number, segLen: number,
    bp: number, panels: number, bPanel: number, bRow: number, c: number, ldc: number,
  ): void;
  /** C += gathered A · B with the inner dimension over voxels (see buildGatherInner). */
  gemmT(rowTab: number, nPos: number, kOffs: number, mBlocks: number, bp: number, panels: number, bPanel: number, c: number, ldc: number): void;
  memory: WebAssembly.Memory;
}

// 1.5 KB of module: under the 4 KB that Chrome allows to compile synchronously on a main thread.
let instance: WasmGemm | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable (callers fall back to JS). */
export function wasmGemm(): WasmGemm | null {
  if (instance !== undefined) return instance;
  try {
    const mod = new WebAssembly.Module(buildModule() as BufferSource);
    const inst = new WebAssembly.Instance(mod, {});
    const ex = inst.exports as unknown as WasmGemm;
    instance = { gemm: ex.gemm, gemmT: ex.gemmT, memory: ex.memory };
  } catch {
    instance = null;
  }
  return instance;
}

/**
 * The module compiled for a shared imported memory (threads), or null where the engine lacks
 * WebAssembly threads or SIMD. Every thread instantiates this one module: see sharedGemm.
 */
export function sharedGemmModule(): WebAssembly.Module | null {
  if (sharedModule !== undefined) return sharedModule;
  try {
    sharedModule = new WebAssembly.Module(buildModule(true) as BufferSource);
  } catch {
    sharedModule = null;
  }
  return sharedModule;
}
let sharedModule: WebAssembly.Module | null | undefined;

/** An instance of sharedGemmModule() over `memory` (a WebAssembly.Memory created with shared: true). */
export function sharedGemm(mod: WebAssembly.Module, memory: WebAssembly.Memory): WasmGemm {
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  const ex = inst.exports as unknown as WasmGemm;
  return { gemm: ex.gemm, gemmT: ex.gemmT, memory };
}

/**
 * A bump allocator over the module's memory, reset per kernel call (kernels are synchronous).
 * Allocation starts at `base` bytes: the thread pool keeps its control block below it.
 */
export class WasmArena {
  private top: number;
  constructor(private readonly w: WasmGemm, private readonly base = 0) {
    this.top = base;
  }

  reset(): void {
    this.top = this.base;
  }

  /** Byte offset of `floats` 64-byte-aligned floats; grows memory as needed. */
  alloc(floats: number): number {
    const p = this.top;
    // Plain arithmetic, not bit masks: offsets may pass 2³¹ (the module's memory goes to 4 GiB).
    this.top = Math.ceil((p + floats * 4) / 64) * 64;
    if (this.top > 2 ** 32) throw new Error(`conv3d kernel needs ${(this.top / 2 ** 30).toFixed(1)} GiB of wasm memory (max 4)`);
    const need = this.top - this.w.memory.buffer.byteLength;
    if (need > 0) this.w.memory.grow(Math.ceil(need / 65536));
    return p;
  }

  /** A fresh view (views detach when memory grows). */
  f32(): Float32Array {
    return new Float32Array(this.w.memory.buffer);
  }

  i32(): Int32Array {
    return new Int32Array(this.w.memory.buffer);
  }

  /**
   * Row table for a plain row-major A: `rows` rows (padded to a multiple of 4 by repeating the
   * first row, whose C rows the caller ignores) at byte stride lda from a. Returns its address.
   */
  plainRows(a: number, lda: number, rows: number): number {
    const n = (rows + 3) & ~3;
    const t = this.alloc(n);
    const v = this.i32();
    for (let i = 0; i < n; i++) v[(t >>> 2) + i] = a + (i < rows ? i : 0) * lda;
    return t;
  }

  /** A one-entry segment table {0}. */
  zeroSeg(): number {
    const t = this.alloc(1);
    this.i32()[t >>> 2] = 0;
    return t;
  }
}
