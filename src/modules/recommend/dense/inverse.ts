import { TaskPool } from './pool.ts';
import { factorDiagonal, PHASE, SOLVER_TASKS } from './solver.ts';
import { createTiled, tiledLength, type TiledSym } from './tiled.ts';

export interface InverseOptions {
  /** Threads to use (the main one included); 1 = no worker threads. */
  threads?: number;
  /** Called between steps with the share done (0..1) and the step's name. */
  onProgress?: (done: number, step: string) => void;
}

/**
 * Inverts a symmetric positive-definite matrix in place: `m` (lower tiles) becomes m⁻¹.
 * Tiled Cholesky (left-looking, one barrier per tile column), then L⁻¹ row by row, then
 * P = L⁻ᵀL⁻¹ tile by tile: about n³/2 multiply-adds, all in the 4×4-blocked tile kernel.
 * With threads > 1, `m` must have been created with `shared = true`.
 * Throws if the matrix is not positive definite.
 */
export async function invertSpdInPlace(m: TiledSym, opts: InverseOptions = {}): Promise<{ threads: number }> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const shared = threads > 1 && m.data.buffer instanceof SharedArrayBuffer;
  const len = tiledLength(m.n, m.T) || m.T * m.T;
  const mk = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const pool = await TaskPool.create(
    SOLVER_TASKS,
    { n: m.n, T: m.T, nt: m.nt, A: m.data.buffer as ArrayBuffer, W: mk(len * 8), D: mk(m.nt * m.T * m.T * 8) },
    shared ? threads : 1,
  );
  const progress = opts.onProgress ?? (() => undefined);
  try {
    const s = pool.state;
    const nt = m.nt;
    // work shares of the three stages are about equal (n³/6 each)
    for (let k = 0; k < nt; k++) {
      factorDiagonal(s, k);
      pool.run(PHASE.cholColumn, k);
      if ((k & 7) === 7) progress((1 - ((nt - k) / nt) ** 3) / 3, 'cholesky');
    }
    pool.run(PHASE.diagInverse);
    pool.run(PHASE.transposeA);
    progress(1 / 3, 'inverse');
    pool.run(PHASE.inverseRow);
    pool.run(PHASE.transposeW);
    progress(2 / 3, 'product');
    pool.run(PHASE.productTile);
    progress(1, 'done');
    return { threads: pool.threads };
  } finally {
    await pool.close();
  }
}

export { createTiled, type TiledSym };
