import type { TaskKind } from '../dense/pool.ts';
import type { Csr } from '../sparse.ts';

/**
 * ALS's parallel work (models/als.ts): the Gram matrix FᵀF in partial sums, the per-row
 * conjugate-gradient solves and the loss in partial sums, as tasks over row ranges. The factor
 * matrices, the confidence matrices and the partial sums are shared (SharedArrayBuffers with
 * more than one thread); each task writes only its own rows or its own partial slot, and the
 * partitions do not depend on the number of threads, so any number of threads gives bit-for-bit
 * the same factors.
 */
export interface AlsShared {
  f: number;
  reg: number;
  /** Conjugate-gradient steps per row and half-sweep. */
  steps: number;
  /** Confidences, users × items, and the same transposed. */
  users: Csr;
  items: Csr;
  /** User factors (users × f) and item factors (items × f), row-major. */
  X: Float64Array;
  Y: Float64Array;
  /** f×f: the Gram matrix (plus λ on the diagonal during a solve phase). */
  G: Float64Array;
  /** CHUNKS partial Gram matrices (upper triangles). */
  gramParts: Float64Array;
  /** CHUNKS partial losses. */
  lossParts: Float64Array;
  /** Rows per solve task. */
  block: number;
}

interface AlsThread extends AlsShared {
  r: Float64Array;
  p: Float64Array;
  ap: Float64Array;
}

/** Partial sums per phase: fixed, so the summation order never depends on the thread count. */
export const CHUNKS = 16;

export const ALS_PHASE = {
  /** partial Gram of chunk t of Y's rows (param 0) or X's rows (param 1) */
  gram: 1,
  /** solve block t of users' rows of X (param 0) or items' rows of Y (param 1) */
  solve: 2,
  /** partial loss over chunk t of the users */
  loss: 3,
} as const;

export const ALS_TASKS: TaskKind<AlsShared, AlsThread> = {
  name: 'als',
  state: (d) => ({ ...d, r: new Float64Array(d.f), p: new Float64Array(d.f), ap: new Float64Array(d.f) }),
  count: (s, phase, param) => {
    if (phase === ALS_PHASE.solve) return Math.ceil((param === 0 ? s.users : s.items).nRows / s.block);
    return phase === ALS_PHASE.gram || phase === ALS_PHASE.loss ? CHUNKS : 0;
  },
  run: (s, phase, t, param) => {
    switch (phase) {
      case ALS_PHASE.gram: {
        const F = param === 0 ? s.Y : s.X;
        const rows = F.length / s.f;
        partialGram(F, chunkStart(rows, t), chunkStart(rows, t + 1), s.f, s.gramParts, t * s.f * s.f);
        return;
      }
      case ALS_PHASE.solve: {
        const m = param === 0 ? s.users : s.items;
        const lo = t * s.block, hi = Math.min(m.nRows, lo + s.block);
        if (param === 0) solveRows(m, s.X, s.Y, lo, hi, s);
        else solveRows(m, s.Y, s.X, lo, hi, s);
        return;
      }
      case ALS_PHASE.loss: {
        const rows = s.users.nRows;
        s.lossParts[t] = partialLoss(s.users, s.X, s.Y, s.f, s.reg, s.G, chunkStart(rows, t), chunkStart(rows, t + 1));
        return;
      }
    }
  },
};

/** First row of chunk t of `rows` rows cut into CHUNKS. */
function chunkStart(rows: number, t: number): number {
  return Math.floor((t * rows) / CHUNKS);
}

/** out[o..] (f×f, upper triangle) = Σ_{r in lo..hi} F_rᵀF_r. */
function partialGram(F: Float64Array, lo: number, hi: number, f: number, out: Float64Array, o: number): void {
  out.fill(0, o, o + f * f);
  for (let r = lo; r < hi; r++) {
    const x = r * f;
    for (let a = 0; a < f; a++) {
      const va = F[x + a]!;
      if (va === 0) continue;
      const g = o + a * f;
      for (let b = a; b < f; b++) out[g + b] = out[g + b]! + va * F[x + b]!;
    }
  }
}

/** G = Σ of the partial Gram matrices in chunk order, made symmetric, plus `diag` on the diagonal. */
export function sumGram(s: AlsShared, diag: number): void {
  const { f, G, gramParts } = s, ff = f * f;
  G.fill(0);
  for (let t = 0; t < CHUNKS; t++) {
    const o = t * ff;
    for (let a = 0; a < f; a++) for (let b = a; b < f; b++) G[a * f + b] = G[a * f + b]! + gramParts[o + a * f + b]!;
  }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) G[a * f + b] = G[b * f + a]!;
  if (diag !== 0) for (let k = 0; k < f; k++) G[k * f + k] = G[k * f + k]! + diag;
}

/**
 * Rows lo..hi of one half-sweep: for each row u of `m` (values = confidences), improves X_u for
 * (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u by conjugate-gradient steps from the current x_u.
 * s.G must hold YᵀY + λI.
 */
function solveRows(m: Csr, X: Float64Array, Y: Float64Array, lo: number, hi: number, s: AlsThread): void {
  const { f, G, r, p, ap, steps } = s;
  for (let u = lo; u < hi; u++) {
    const x0 = u * f;
    const a = m.indptr[u]!, b = m.indptr[u + 1]!;
    // r = b − A x
    for (let k = 0; k < f; k++) {
      let t = 0;
      const g = k * f;
      for (let l = 0; l < f; l++) t += G[g + l]! * X[x0 + l]!;
      r[k] = -t;
    }
    for (let q = a; q < b; q++) {
      const y0 = m.indices[q]! * f, c = m.data[q]!;
      let yx = 0;
      for (let k = 0; k < f; k++) yx += Y[y0 + k]! * X[x0 + k]!;
      const coef = c - (c - 1) * yx;
      for (let k = 0; k < f; k++) r[k] = r[k]! + coef * Y[y0 + k]!;
    }
    let rs = 0;
    for (let k = 0; k < f; k++) {
      p[k] = r[k]!;
      rs += r[k]! * r[k]!;
    }
    for (let it = 0; it < steps && rs > 1e-20; it++) {
      for (let k = 0; k < f; k++) {
        let t = 0;
        const g = k * f;
        for (let l = 0; l < f; l++) t += G[g + l]! * p[l]!;
        ap[k] = t;
      }
      for (let q = a; q < b; q++) {
        const y0 = m.indices[q]! * f, c = m.data[q]!;
        let yp = 0;
        for (let k = 0; k < f; k++) yp += Y[y0 + k]! * p[k]!;
        const coef = (c - 1) * yp;
        for (let k = 0; k < f; k++) ap[k] = ap[k]! + coef * Y[y0 + k]!;
      }
      let pap = 0;
      for (let k = 0; k < f; k++) pap += p[k]! * ap[k]!;
      const alpha = rs / pap;
      let rsNew = 0;
      for (let k = 0; k < f; k++) {
        X[x0 + k] = X[x0 + k]! + alpha * p[k]!;
        r[k] = r[k]! - (alpha * ap[k]!);
        rsNew += r[k]! * r[k]!;
      }
      const beta = rsNew / rs;
      for (let k = 0; k < f; k++) p[k] = r[k]! + beta * p[k]!;
      rs = rsNew;
    }
  }
}

/**
 * Users lo..hi's part of Σ_{u,i} c_ui (p_ui − s_ui)² + λ‖X_u‖², s = x_u·y_i, computed as
 * x_uᵀ(YᵀY)x_u + Σ_observed [c(1 − s)² − s²]; G must hold YᵀY.
 */
function partialLoss(m: Csr, X: Float64Array, Y: Float64Array, f: number, reg: number, G: Float64Array, lo: number, hi: number): number {
  let loss = 0, norms = 0;
  for (let u = lo; u < hi; u++) {
    const x0 = u * f;
    for (let k = 0; k < f; k++) {
      const xk = X[x0 + k]!;
      norms += xk * xk;
      if (xk === 0) continue;
      let t = 0;
      const g = k * f;
      for (let l = 0; l < f; l++) t += G[g + l]! * X[x0 + l]!;
      loss += xk * t;
    }
    for (let q = m.indptr[u]!; q < m.indptr[u + 1]!; q++) {
      const y0 = m.indices[q]! * f, c = m.data[q]!;
      let sc = 0;
      for (let k = 0; k < f; k++) sc += Y[y0 + k]! * X[x0 + k]!;
      loss += c * (1 - sc) * (1 - sc) - sc * sc;
    }
  }
  return loss + reg * norms;
}
