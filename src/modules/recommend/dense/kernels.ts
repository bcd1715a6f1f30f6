/**
 * Tile kernels on T×T row-major tiles stored in Float64Arrays at given offsets. Everything heavy
 * in the dense solver is `gemmNT` (C ± A·Bᵀ: dot products of contiguous rows, 4×4 register
 * blocked); the rest is O(T³) per diagonal tile. T must be a multiple of 4.
 */

/** C += sign · A·Bᵀ (sign = 1 or -1). */
export function gemmNT(C: Float64Array, c0: number, A: Float64Array, a0: number, B: Float64Array, b0: number, T: number, sign: number): void {
  for (let r = 0; r < T; r += 4) {
    const ar0 = a0 + r * T, ar1 = ar0 + T, ar2 = ar1 + T, ar3 = ar2 + T;
    for (let c = 0; c < T; c += 4) {
      const bc0 = b0 + c * T, bc1 = bc0 + T, bc2 = bc1 + T, bc3 = bc2 + T;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let q = 0; q < T; q++) {
        const x0 = A[ar0 + q]!, x1 = A[ar1 + q]!, x2 = A[ar2 + q]!, x3 = A[ar3 + q]!;
        const y0 = B[bc0 + q]!, y1 = B[bc1 + q]!, y2 = B[bc2 + q]!, y3 = B[bc3 + q]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      let o = c0 + r * T + c;
      C[o] = C[o]! + sign * s00; C[o + 1] = C[o + 1]! + sign * s01; C[o + 2] = C[o + 2]! + sign * s02; C[o + 3] = C[o + 3]! + sign * s03;
      o += T;
      C[o] = C[o]! + sign * s10; C[o + 1] = C[o + 1]! + sign * s11; C[o + 2] = C[o + 2]! + sign * s12; C[o + 3] = C[o + 3]! + sign * s13;
      o += T;
      C[o] = C[o]! + sign * s20; C[o + 1] = C[o + 1]! + sign * s21; C[o + 2] = C[o + 2]! + sign * s22; C[o + 3] = C[o + 3]! + sign * s23;
      o += T;
      C[o] = C[o]! + sign * s30; C[o + 1] = C[o + 1]! + sign * s31; C[o + 2] = C[o + 2]! + sign * s32; C[o + 3] = C[o + 3]! + sign * s33;
    }
  }
}

/** In-place Cholesky of a symmetric positive-definite tile: its lower triangle becomes L. */
export function potrf(A: Float64Array, a0: number, T: number): void {
  for (let j = 0; j < T; j++) {
    const rj = a0 + j * T;
    let d = A[rj + j]!;
    for (let m = 0; m < j; m++) d -= A[rj + m]! * A[rj + m]!;
    if (!(d > 0)) throw new Error(`matrix is not positive definite (pivot ${d} at ${j})`);
    const l = Math.sqrt(d);
    A[rj + j] = l;
    for (let i = j + 1; i < T; i++) {
      const ri = a0 + i * T;
      let s = A[ri + j]!;
      for (let m = 0; m < j; m++) s -= A[ri + m]! * A[rj + m]!;
      A[ri + j] = s / l;
    }
  }
}

/** X ← X·L⁻ᵀ for the lower-triangular tile L (solves Z·Lᵀ = X row by row). */
export function trsmRightLowerT(L: Float64Array, l0: number, X: Float64Array, x0: number, T: number): void {
  for (let r = 0; r < T; r++) {
    const xr = x0 + r * T;
    for (let c = 0; c < T; c++) {
      const lc = l0 + c * T;
      let s = X[xr + c]!;
      for (let m = 0; m < c; m++) s -= X[xr + m]! * L[lc + m]!;
      X[xr + c] = s / L[lc + c]!;
    }
  }
}

/** W ← L⁻¹ for the lower-triangular tile L (W lower-triangular, upper part zeroed). */
export function trtriLower(L: Float64Array, l0: number, W: Float64Array, w0: number, T: number): void {
  for (let r = 0; r < T; r++) {
    const wr = w0 + r * T;
    for (let c = r + 1; c < T; c++) W[wr + c] = 0;
    W[wr + r] = 1 / L[l0 + r * T + r]!;
    for (let c = r - 1; c >= 0; c--) {
      let s = 0;
      for (let m = c + 1; m <= r; m++) s += W[wr + m]! * L[l0 + m * T + c]!;
      W[wr + c] = -s / L[l0 + c * T + c]!;
    }
  }
}

/** Transposes a tile in place. */
export function transposeTile(A: Float64Array, a0: number, T: number): void {
  for (let r = 0; r < T; r++) {
    for (let c = r + 1; c < T; c++) {
      const p = a0 + r * T + c, q = a0 + c * T + r;
      const t = A[p]!;
      A[p] = A[q]!;
      A[q] = t;
    }
  }
}

/** Copies the transpose of tile S into tile D. */
export function copyTransposed(S: Float64Array, s0: number, D: Float64Array, d0: number, T: number): void {
  for (let r = 0; r < T; r++) for (let c = 0; c < T; c++) D[d0 + c * T + r] = S[s0 + r * T + c]!;
}
