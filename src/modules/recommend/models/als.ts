import { TaskPool } from '../dense/pool.ts';
import { Rng } from '../../../platform/rng.ts';
import { transpose, type Csr } from '../sparse.ts';
import { ALS_PHASE, ALS_TASKS, CHUNKS, sumGram, type AlsShared } from './als-tasks.ts';
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
 * each iteration. With ctx.threads > 1 the rows of each half-sweep (and the Gram matrix and
 * the loss, in fixed partial sums) are shared out to worker threads over SharedArrayBuffers
 * (models/als-tasks.ts); the factors are bit-for-bit those of one thread.
 */
export class AlsRecommender extends BaseRecommender {
  readonly name = 'als';
  readonly options: AlsOptions;
  userFactors: Float64Array = new Float64Array(0);
  itemFactors: Float64Array = new Float64Array(0);
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
    const threads = Math.max(1, Math.floor(ctx.threads));
    const shared = threads > 1;
    const cu = withConfidence(x, conf);
    const ci = transpose(cu);
    const rng = new Rng(ctx.seed);
    const X = floats(x.nRows * f, shared), Y = floats(x.nCols * f, shared);
    for (let k = 0; k < X.length; k++) X[k] = rng.normal() * 0.01;
    for (let k = 0; k < Y.length; k++) Y[k] = rng.normal() * 0.01;
    const s: AlsShared = {
      f, reg: o.regularization, steps: o.cgSteps,
      users: shared ? shareCsr(cu) : cu, items: shared ? shareCsr(ci) : ci,
      X, Y, G: floats(f * f, shared), gramParts: floats(CHUNKS * f * f, shared), lossParts: floats(CHUNKS, shared),
      block: SOLVE_BLOCK,
    };
    ctx.probe?.();
    const pool = await TaskPool.create(ALS_TASKS, s, threads);
    this.losses = [];
    try {
      for (let it = 0; it < o.iterations; it++) {
        pool.run(ALS_PHASE.gram, 0);
        sumGram(s, o.regularization);
        pool.run(ALS_PHASE.solve, 0);
        pool.run(ALS_PHASE.gram, 1);
        sumGram(s, o.regularization);
        pool.run(ALS_PHASE.solve, 1);
        const loss = runLoss(s, (phase, param) => pool.run(phase, param));
        this.losses.push(loss);
        ctx.log?.(`als: iteration ${it + 1}/${o.iterations} loss ${loss.toFixed(2)}`);
      }
    } finally {
      await pool.close();
    }
    this.userFactors = X;
    this.itemFactors = Y;
    ctx.probe?.();
    return { factors: f, iterations: o.iterations, threads: pool.threads, loss: this.losses };
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

/** Users per solve task: small enough to balance the threads, large enough to make the atomic hand-out negligible. */
const SOLVE_BLOCK = 64;

function floats(n: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

function shareTyped<T extends Int32Array | Float32Array>(a: T, make: (b: SharedArrayBuffer) => T): T {
  const out = make(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** A copy of m over SharedArrayBuffers (so worker threads read the same memory). */
function shareCsr(m: Csr): Csr {
  return {
    nRows: m.nRows,
    nCols: m.nCols,
    indptr: shareTyped(m.indptr, (b) => new Int32Array(b)),
    indices: shareTyped(m.indices, (b) => new Int32Array(b)),
    data: shareTyped(m.data, (b) => new Float32Array(b)),
  };
}

/** The loss of s's factors, running the phases with `run` (a pool's or inline). */
function runLoss(s: AlsShared, run: (phase: number, param: number) => void): number {
  run(ALS_PHASE.gram, 0);
  sumGram(s, 0);
  run(ALS_PHASE.loss, 0);
  let loss = 0;
  for (let t = 0; t < CHUNKS; t++) loss += s.lossParts[t]!;
  let norms = 0;
  for (let k = 0; k < s.Y.length; k++) norms += s.Y[k]! * s.Y[k]!;
  return loss + s.reg * norms;
}

/**
 * Σ_{u,i} c_ui (p_ui − s_ui)² + λ(‖X‖² + ‖Y‖²), s = x_u·y_i, with m's values the confidences c;
 * computed as Σ_u x_uᵀ(YᵀY)x_u + Σ_observed [c(1 − s)² − s²] + λ(...): O(nnz·f + (users + items)·f²).
 */
export function implicitLoss(m: Csr, X: Float64Array, Y: Float64Array, f: number, reg: number): number {
  const s: AlsShared = { f, reg, steps: 0, users: m, items: m, X, Y, G: new Float64Array(f * f), gramParts: new Float64Array(CHUNKS * f * f), lossParts: new Float64Array(CHUNKS), block: SOLVE_BLOCK };
  const state = ALS_TASKS.state(s);
  return runLoss(s, (phase, param) => {
    const n = ALS_TASKS.count(state, phase, param);
    for (let t = 0; t < n; t++) ALS_TASKS.run(state, phase, t, param);
  });
}
