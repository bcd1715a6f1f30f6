import { copyTransposed, gemmNT, potrf, transposeTile, trsmRightLowerT, trtriLower } from './kernels.ts';
import type { TaskKind } from './pool.ts';
import { tileOffset } from './tiled.ts';

/**
 * The tasks of the tiled SPD inverse, run by the main thread and the worker threads alike.
 * Buffers: A (the matrix, then L, then the inverse P), W (L⁻¹), D (transposed diagonal tiles of
 * L⁻¹, nt tiles). Each phase is a set of independent tasks; phases are separated by barriers.
 */
export interface SolverState {
  readonly n: number;
  readonly T: number;
  readonly nt: number;
  readonly A: Float64Array;
  readonly W: Float64Array;
  readonly D: Float64Array;
  /** Per-thread scratch tile. */
  readonly scratch: Float64Array;
}

export const PHASE = {
  /** column k of L below the diagonal: tile i = k+1+t (param = k) */
  cholColumn: 1,
  /** W_jj = L_jj⁻¹ and D_j = W_jjᵀ for tile j = t */
  diagInverse: 2,
  /** transpose every tile of A in place (task = packed tile index) */
  transposeA: 3,
  /** row i = nt-1-t of W = L⁻¹ (largest rows first) */
  inverseRow: 4,
  /** transpose every tile of W in place */
  transposeW: 5,
  /** tile t (packed order) of P = WᵀW into A */
  productTile: 6,
} as const;

/** The buffers the solver's threads share. */
export interface SolverBuffers {
  n: number;
  T: number;
  nt: number;
  A: SharedArrayBuffer | ArrayBuffer;
  W: SharedArrayBuffer | ArrayBuffer;
  D: SharedArrayBuffer | ArrayBuffer;
}

/** The tiled inverse as a task kind for TaskPool. */
export const SOLVER_TASKS: TaskKind<SolverBuffers, SolverState> = {
  name: 'solver',
  state: (b) => ({ n: b.n, T: b.T, nt: b.nt, A: new Float64Array(b.A), W: new Float64Array(b.W), D: new Float64Array(b.D), scratch: new Float64Array(b.T * b.T) }),
  count: taskCount,
  run: runTask,
};

/** Number of tasks in a phase. */
export function taskCount(s: { nt: number }, phase: number, param: number): number {
  const packed = (s.nt * (s.nt + 1)) / 2;
  switch (phase) {
    case PHASE.cholColumn: return s.nt - 1 - param;
    case PHASE.diagInverse: return s.nt;
    case PHASE.inverseRow: return s.nt;
    case PHASE.transposeA:
    case PHASE.transposeW:
    case PHASE.productTile: return packed;
    default: return 0;
  }
}

/** Runs task t of a phase. */
export function runTask(s: SolverState, phase: number, t: number, param: number): void {
  const { A, W, D, T } = s;
  const TT = T * T;
  switch (phase) {
    case PHASE.cholColumn: {
      const k = param, i = k + 1 + t;
      const c = tileOffset(s, i, k);
      for (let m = 0; m < k; m++) gemmNT(A, c, A, tileOffset(s, i, m), A, tileOffset(s, k, m), T, -1);
      trsmRightLowerT(A, tileOffset(s, k, k), A, c, T);
      return;
    }
    case PHASE.diagInverse: {
      const w = tileOffset(s, t, t);
      trtriLower(A, w, W, w, T);
      copyTransposed(W, w, D, t * TT, T);
      return;
    }
    case PHASE.transposeA:
      transposeTile(A, t * TT, T);
      return;
    case PHASE.transposeW:
      transposeTile(W, t * TT, T);
      return;
    case PHASE.inverseRow: {
      // W_ij = -(Σ_{m=j+1..i} W_im L_mj) W_jj ; A holds L tiles transposed, D holds W_jjᵀ
      const i = s.nt - 1 - t;
      const acc = s.scratch;
      for (let j = i - 1; j >= 0; j--) {
        acc.fill(0);
        for (let m = j + 1; m <= i; m++) gemmNT(acc, 0, W, tileOffset(s, i, m), A, tileOffset(s, m, j), T, 1);
        const w = tileOffset(s, i, j);
        W.fill(0, w, w + TT);
        gemmNT(W, w, acc, 0, D, j * TT, T, -1);
      }
      return;
    }
    case PHASE.productTile: {
      // P_ij = Σ_{m≥i} W_miᵀ W_mj ; W holds its tiles transposed
      const [i, j] = packedPair(t);
      const c = tileOffset(s, i, j);
      A.fill(0, c, c + TT);
      for (let m = i; m < s.nt; m++) gemmNT(A, c, W, tileOffset(s, m, i), W, tileOffset(s, m, j), T, 1);
      return;
    }
  }
}

/** The (i, j) of packed tile index t (i ≥ j). */
export function packedPair(t: number): [number, number] {
  let i = Math.floor((Math.sqrt(8 * t + 1) - 1) / 2);
  while ((i * (i + 1)) / 2 > t) i--;
  while (((i + 1) * (i + 2)) / 2 <= t) i++;
  return [i, t - (i * (i + 1)) / 2];
}

/** The serial step of column k: update the diagonal tile with the columns left of it, factor it. */
export function factorDiagonal(s: SolverState, k: number): void {
  const d = tileOffset(s, k, k);
  for (let m = 0; m < k; m++) {
    const o = tileOffset(s, k, m);
    gemmNT(s.A, d, s.A, o, s.A, o, s.T, -1);
  }
  potrf(s.A, d, s.T);
}
