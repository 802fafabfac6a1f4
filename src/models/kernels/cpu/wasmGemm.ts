/**
 * A WebAssembly SIMD matrix product, assembled here byte by byte so no toolchain or binary asset
 * is needed and the same module runs in Node and in browsers (all current engines ship fixed-width
 * SIMD). V8 turns each f32x4 op into one SSE/AVX instruction; plain JS cannot (it computes
 * Float32Array arithmetic as scalar float64).
 *
 *   gemm(a, lda, mBlocks, k, bp, panels, c, ldc):  C += A · B   (all pointers/strides in bytes)
 *
 * A: row-major, mBlocks·4 rows of k floats at stride lda. B: packed 8-column panels
 * [panels][k][8]. C: mBlocks·4 rows at stride ldc, panels·8 columns. The micro-kernel holds a
 * 4×8 tile of C in eight v128 accumulators; per k step it issues 2 vector loads, 4 broadcasts and
 * 16 vector multiply/adds (64 flops).
 */

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
const f32load = (off = 0) => [0x2a, 2, ...uleb(off)];
const v128load = (off = 0) => [0xfd, 0x00, 4, ...uleb(off)];
const v128store = (off = 0) => [0xfd, 0x0b, 4, ...uleb(off)];
const v128zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const splat = [0xfd, 0x13];
const fadd = [0xfd, ...uleb(228)];
const fmul = [0xfd, ...uleb(230)];
const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
const brIf = (d: number) => [0x0d, ...uleb(d)];

function buildModule(): Uint8Array {
  // Parameters 0..7; then locals.
  const [A, LDA, MB, K, BP, PANELS, C, LDC] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [IG, J, PA0, PA1, PA2, PA3, PB, KK, CR, AROW, CROW] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const ACC = 19; // 8 accumulators 19..26
  const [B0, B1, X] = [27, 28, 29];

  const inc = (l: number, by: number) => [...get(l), ...i32c(by), ...add, ...set(l)];
  const fma = (acc: number, b: number) => [...get(acc), ...get(X), ...get(b), ...fmul, ...fadd, ...set(acc)];
  const rowStep = (pa: number, r: number) => [
    ...get(pa), ...f32load(), ...splat, ...set(X),
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
    ...inc(PA0, 4), ...inc(PA1, 4), ...inc(PA2, 4), ...inc(PA3, 4), ...inc(PB, 32),
    ...get(KK), ...i32c(1), ...sub, ...set(KK),
    ...get(KK), ...brIf(0),
  ]);

  const panelLoop = loop([
    // Pointers for this (row block, panel) tile.
    ...get(AROW), ...set(PA0),
    ...get(PA0), ...get(LDA), ...add, ...set(PA1),
    ...get(PA1), ...get(LDA), ...add, ...set(PA2),
    ...get(PA2), ...get(LDA), ...add, ...set(PA3),
    ...get(BP), ...get(J), ...get(K), ...mul, ...i32c(32), ...mul, ...add, ...set(PB),
    ...get(K), ...set(KK),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [...v128zero, ...set(ACC + i)]),
    ...kLoop,
    ...get(CROW), ...get(J), ...i32c(32), ...mul, ...add, ...set(CR),
    ...storeRow(0), ...storeRow(1), ...storeRow(2), ...storeRow(3),
    ...inc(J, 1),
    ...get(J), ...get(PANELS), 0x49, ...brIf(0), // j < panels (unsigned)
  ]);

  const rowLoop = loop([
    ...get(A), ...get(IG), ...get(LDA), ...mul, ...i32c(4), ...mul, ...add, ...set(AROW),
    ...get(C), ...get(IG), ...get(LDC), ...mul, ...i32c(4), ...mul, ...add, ...set(CROW),
    ...i32c(0), ...set(J),
    ...panelLoop,
    ...inc(IG, 1),
    ...get(IG), ...get(MB), 0x49, ...brIf(0),
  ]);

  const body = [
    ...vec([[...uleb(11), I32], [...uleb(8), V128], [...uleb(3), V128]]),
    // Nothing to do for empty problems (the loops are do-while).
    ...get(MB), 0x45, ...get(K), 0x45, 0x72, ...get(PANELS), 0x45, 0x72, 0x04, 0x40, 0x0f, 0x0b,
    ...i32c(0), ...set(IG),
    ...rowLoop,
    0x0b,
  ];

  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array<number[]>(8).fill([I32])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([[...str('gemm'), 0x00, 0], [...str('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(bytes);
}

export interface WasmGemm {
  /** C += A·B, pointers and strides in bytes (see the module comment). */
  gemm(a: number, lda: number, mBlocks: number, k: number, bp: number, panels: number, c: number, ldc: number): void;
  memory: WebAssembly.Memory;
}

let instance: WasmGemm | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable (callers fall back to JS). */
export function wasmGemm(): WasmGemm | null {
  if (instance !== undefined) return instance;
  try {
    const mod = new WebAssembly.Module(buildModule() as BufferSource);
    const inst = new WebAssembly.Instance(mod, {});
    const ex = inst.exports as unknown as { gemm: WasmGemm['gemm']; memory: WebAssembly.Memory };
    instance = { gemm: ex.gemm, memory: ex.memory };
  } catch {
    instance = null;
  }
  return instance;
}

/** A bump allocator over the module's memory, reset per kernel call (kernels are synchronous). */
export class WasmArena {
  private top = 0;
  constructor(private readonly w: WasmGemm) {}

  reset(): void {
    this.top = 0;
  }

  /** Byte offset of `floats` 64-byte-aligned floats; grows memory as needed. */
  alloc(floats: number): number {
    const p = this.top;
    this.top = (p + floats * 4 + 63) & ~63;
    const need = this.top - this.w.memory.buffer.byteLength;
    if (need > 0) this.w.memory.grow(Math.ceil(need / 65536));
    return p;
  }

  /** A fresh view (views detach when memory grows). */
  f32(): Float32Array {
    return new Float32Array(this.w.memory.buffer);
  }
}
