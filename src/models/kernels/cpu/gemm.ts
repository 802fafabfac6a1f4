/**
 * The one matrix product every CPU conv3d kernel reduces to: C[M,N] (+)= A[M,K] · B[K,N].
 *
 * B is packed once into 4-column panels ([⌈N/4⌉][K][4], zero-padded) so the micro-kernel reads
 * it sequentially whatever N is; A is read in place (row-major, leading dimension lda). The
 * micro-kernel keeps a 4×4 tile of C in locals: V8 holds them in registers (16 xmm), and each
 * k step then costs 8 loads for 16 multiply-adds instead of 2 loads per multiply-add.
 */

/** Pack B (row-major [K, N], leading dimension ldb) into zero-padded 4-column panels. */
export function packB(b: Float32Array, bOff: number, ldb: number, k: number, n: number, out?: Float32Array): Float32Array {
  const panels = (n + 3) >> 2;
  const size = panels * k * 4;
  const p = out && out.length >= size ? out : new Float32Array(size);
  for (let j = 0; j < panels; j++) {
    const j0 = j * 4;
    const w = Math.min(4, n - j0);
    let o = j * k * 4;
    if (w === 4) {
      for (let kk = 0; kk < k; kk++, o += 4) {
        const s = bOff + kk * ldb + j0;
        p[o] = b[s];
        p[o + 1] = b[s + 1];
        p[o + 2] = b[s + 2];
        p[o + 3] = b[s + 3];
      }
    } else {
      for (let kk = 0; kk < k; kk++, o += 4) {
        const s = bOff + kk * ldb + j0;
        for (let c = 0; c < 4; c++) p[o + c] = c < w ? b[s + c] : 0;
      }
    }
  }
  return p;
}

/**
 * C[cOff + i·ldc + j] (+)= Σ_k A[aOff + i·lda + k] · B[k, j] for i < m, j < n, with B packed by
 * packB. `accumulate` false overwrites C.
 */
export function gemmPacked(
  a: Float32Array, aOff: number, lda: number, m: number, k: number,
  bp: Float32Array, n: number,
  c: Float32Array, cOff: number, ldc: number, accumulate: boolean,
): void {
  const panels = (n + 3) >> 2;
  const m4 = m & ~3;
  for (let j = 0; j < panels; j++) {
    const bBase = j * k * 4;
    const j0 = j * 4;
    const w = Math.min(4, n - j0);
    for (let i = 0; i < m4; i += 4) {
      const a0 = aOff + i * lda;
      const a1 = a0 + lda;
      const a2 = a1 + lda;
      const a3 = a2 + lda;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let bo = bBase;
      for (let kk = 0; kk < k; kk++, bo += 4) {
        const b0 = bp[bo], b1 = bp[bo + 1], b2 = bp[bo + 2], b3 = bp[bo + 3];
        const x0 = a[a0 + kk], x1 = a[a1 + kk], x2 = a[a2 + kk], x3 = a[a3 + kk];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const r = cOff + i * ldc + j0;
      store4(c, r, w, accumulate, c00, c01, c02, c03);
      store4(c, r + ldc, w, accumulate, c10, c11, c12, c13);
      store4(c, r + 2 * ldc, w, accumulate, c20, c21, c22, c23);
      store4(c, r + 3 * ldc, w, accumulate, c30, c31, c32, c33);
    }
    for (let i = m4; i < m; i++) {
      const a0 = aOff + i * lda;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let bo = bBase;
      for (let kk = 0; kk < k; kk++, bo += 4) {
        const x0 = a[a0 + kk];
        c00 += x0 * bp[bo]; c01 += x0 * bp[bo + 1]; c02 += x0 * bp[bo + 2]; c03 += x0 * bp[bo + 3];
      }
      store4(c, cOff + i * ldc + j0, w, accumulate, c00, c01, c02, c03);
    }
  }
}

function store4(c: Float32Array, r: number, w: number, acc: boolean, v0: number, v1: number, v2: number, v3: number): void {
  if (w === 4) {
    if (acc) {
      c[r] += v0; c[r + 1] += v1; c[r + 2] += v2; c[r + 3] += v3;
    } else {
      c[r] = v0; c[r + 1] = v1; c[r + 2] = v2; c[r + 3] = v3;
    }
    return;
  }
  const v = [v0, v1, v2, v3];
  for (let t = 0; t < w; t++) c[r + t] = acc ? c[r + t] + v[t] : v[t];
}
