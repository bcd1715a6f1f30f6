import { Rng } from '../rng.ts';
import { transpose, type Csr } from '../sparse.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface AlsOptions {
  factors: number;
  iterations: number;
  /** L2 regularisation on both factor matrices. */
  regularization: number;
  /** Confidence c = 1 + alpha · r. */
  alpha: number;
  /** r from the interaction value v: 'binary' (r = 1), 'log' (r = log(1 + v)), 'raw' (r = v). */
  weighting: 'binary' | 'log' | 'raw';
  /** Conjugate-gradient steps per row and sweep (warm-started from the previous factors). */
  cgSteps: number;
}

export const ALS_DEFAULTS: AlsOptions = { factors: 64, iterations: 12, regularization: 0.1, alpha: 10, weighting: 'binary', cgSteps: 3 };

/**
 * Implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008): minimises
 * Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²) with p = 1 on interactions, 0 elsewhere,
 * by alternating least squares; each row's f×f system is solved by a few conjugate-gradient
 * steps (Takács et al. 2011), which never increase the loss. `losses` has the loss after
 * each iteration.
 */
export class AlsRecommender extends BaseRecommender {
  readonly name = 'als';
  readonly options: AlsOptions;
  userFactors = new Float64Array(0);
  itemFactors = new Float64Array(0);
  losses: number[] = [];

  constructor(options: Partial<AlsOptions> = {}) {
    super();
    this.options = { ...ALS_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const o = this.options, f = o.factors;
    const x = data.train;
    this.nItemsFit = x.nCols;
    const conf = (v: number) => 1 + o.alpha * (o.weighting === 'binary' ? 1 : o.weighting === 'log' ? Math.log1p(v) : v);
    const cu = withConfidence(x, conf);
    const ci = transpose(cu);
    const rng = new Rng(ctx.seed);
    const X = Float64Array.from({ length: x.nRows * f }, () => rng.normal() * 0.01);
    const Y = Float64Array.from({ length: x.nCols * f }, () => rng.normal() * 0.01);
    const scratch = new Scratch(f);
    this.losses = [];
    for (let it = 0; it < o.iterations; it++) {
      sweep(cu, X, Y, f, o.regularization, o.cgSteps, scratch);
      sweep(ci, Y, X, f, o.regularization, o.cgSteps, scratch);
      const loss = implicitLoss(cu, X, Y, f, o.regularization, scratch);
      this.losses.push(loss);
      ctx.log?.(`als: iteration ${it + 1}/${o.iterations} loss ${loss.toFixed(2)}`);
    }
    this.userFactors = X;
    this.itemFactors = Y;
    ctx.probe?.();
    return { factors: f, iterations: o.iterations, loss: this.losses };
  }

  memoryBytes(): number {
    return bytesOf(this.userFactors, this.itemFactors);
  }

  score(user: number, out: Float64Array): void {
    const f = this.options.factors, X = this.userFactors, Y = this.itemFactors;
    const u0 = user * f;
    for (let i = 0; i < this.nItemsFit; i++) {
      let s = 0;
      const i0 = i * f;
      for (let k = 0; k < f; k++) s += X[u0 + k]! * Y[i0 + k]!;
      out[i] = s;
    }
  }
}

/** A copy of x whose values are the confidences c(v). */
function withConfidence(x: Csr, conf: (v: number) => number): Csr {
  return { ...x, data: Float32Array.from(x.data, conf) };
}

class Scratch {
  readonly gram: Float64Array;
  readonly r: Float64Array;
  readonly p: Float64Array;
  readonly ap: Float64Array;
  constructor(f: number) {
    this.gram = new Float64Array(f * f);
    this.r = new Float64Array(f);
    this.p = new Float64Array(f);
    this.ap = new Float64Array(f);
  }
}

/** gram = FᵀF (rows of F are factor vectors). */
function gramOf(F: Float64Array, rows: number, f: number, gram: Float64Array): void {
  gram.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const va = F[o + a]!;
      if (va === 0) continue;
      const g = a * f;
      for (let b = a; b < f; b++) gram[g + b] = gram[g + b]! + va * F[o + b]!;
    }
  }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) gram[a * f + b] = gram[b * f + a]!;
}

/**
 * One half-sweep: for each row u of `m` (values = confidences), improves X_u for
 * (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u by conjugate-gradient steps from the current x_u.
 */
function sweep(m: Csr, X: Float64Array, Y: Float64Array, f: number, reg: number, steps: number, s: Scratch): void {
  gramOf(Y, Y.length / f, f, s.gram);
  const G = s.gram, r = s.r, p = s.p, ap = s.ap;
  for (let k = 0; k < f; k++) G[k * f + k] = G[k * f + k]! + reg;
  for (let u = 0; u < m.nRows; u++) {
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
 * Σ_{u,i} c_ui (p_ui − s_ui)² + λ(‖X‖² + ‖Y‖²), s = x_u·y_i, computed as
 * Σ_u x_uᵀ(YᵀY)x_u + Σ_observed [c(1 − s)² − s²] + λ(...): O(nnz·f + (users + items)·f²).
 */
export function implicitLoss(m: Csr, X: Float64Array, Y: Float64Array, f: number, reg: number, s: Scratch = new Scratch(f)): number {
  gramOf(Y, Y.length / f, f, s.gram);
  const G = s.gram;
  let loss = 0, norms = 0;
  for (let u = 0; u < m.nRows; u++) {
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
  for (let k = 0; k < Y.length; k++) norms += Y[k]! * Y[k]!;
  return loss + reg * norms;
}
