import { columnCounts } from '../sparse.ts';
import { invertSpdInPlace } from '../dense/inverse.ts';
import { addSym, createTiled, DEFAULT_TILE, getSym } from '../dense/tiled.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface EaseOptions {
  /** L2 regularisation λ on the item–item weights. */
  lambda: number;
  /**
   * Catalog cap: only the `maxItems` items with the most interactions get EASE weights (the
   * n×n inverse costs n³/2 multiply-adds and 12·n² bytes); the rest score -Infinity here and are
   * served by the other models.
   */
  maxItems: number;
  /** Tile size of the dense solver (a multiple of 4). */
  tile: number;
}

export const EASE_DEFAULTS: EaseOptions = { lambda: 200, maxItems: 8_000, tile: DEFAULT_TILE };

/**
 * EASE (Steck 2019): item–item weights B minimising ‖X − XB‖² + λ‖B‖² with diag(B) = 0, in
 * closed form B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, on binary interactions.
 * A user's scores are x_u·B.
 */
export class EaseRecommender extends BaseRecommender {
  readonly name = 'ease';
  readonly options: EaseOptions;
  /** B over the modelled items, row-major (row i: how item i votes for each item). */
  weights = new Float32Array(0);
  /** Modelled items (training indices), and each training item's position among them or -1. */
  modelled = new Int32Array(0);
  position = new Int32Array(0);
  private train?: TrainData['train'];
  private acc = new Float64Array(0);

  constructor(options: Partial<EaseOptions> = {}) {
    super();
    this.options = { ...EASE_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const x = data.train, o = this.options;
    this.train = x;
    this.nItemsFit = x.nCols;
    // the modelled items: the most interacted-with, in training order
    const counts = columnCounts(x);
    let chosen = Int32Array.from({ length: x.nCols }, (_, i) => i).filter((i) => counts[i]! > 0);
    if (chosen.length > o.maxItems) chosen = chosen.sort((a, b) => counts[b]! - counts[a]! || a - b).subarray(0, o.maxItems).sort();
    const pos = new Int32Array(x.nCols).fill(-1);
    chosen.forEach((i, k) => (pos[i] = k));
    const n = chosen.length;
    this.modelled = chosen;
    this.position = pos;
    // G = XᵀX + λI over the modelled items (binary X), lower triangle
    const shared = ctx.threads > 1;
    const g = createTiled(n, o.tile, shared);
    const tmp: number[] = [];
    for (let u = 0; u < x.nRows; u++) {
      tmp.length = 0;
      for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) if (pos[x.indices[p]!]! >= 0) tmp.push(pos[x.indices[p]!]!);
      for (let a = 0; a < tmp.length; a++) for (let b = 0; b <= a; b++) addSym(g, tmp[a]!, tmp[b]!, 1);
    }
    for (let k = 0; k < n; k++) addSym(g, k, k, o.lambda);
    ctx.probe?.();
    let last = -1;
    const { threads } = await invertSpdInPlace(g, {
      threads: ctx.threads,
      onProgress: (done, step) => {
        ctx.probe?.();
        const pct = Math.floor(done * 10) * 10;
        if (pct === last) return;
        last = pct;
        ctx.log?.(`ease: inverse of ${n}×${n} ${step} ${pct}%`);
      },
    });
    ctx.probe?.();
    // B[i][j] = −P[i][j] / P[j][j] (i ≠ j), B[i][i] = 0
    const w = new Float32Array(n * n);
    const diag = new Float64Array(n);
    for (let j = 0; j < n; j++) diag[j] = getSym(g, j, j);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) w[row + j] = i === j ? 0 : -getSym(g, i, j) / diag[j]!;
    }
    this.weights = w;
    ctx.probe?.();
    return { items: n, threads };
  }

  memoryBytes(): number {
    return bytesOf(this.weights, this.modelled, this.position);
  }

  score(user: number, out: Float64Array): void {
    const x = this.train!, n = this.modelled.length, w = this.weights, pos = this.position, m = this.modelled;
    if (this.acc.length !== n) this.acc = new Float64Array(n);
    const acc = this.acc.fill(0);
    for (let p = x.indptr[user]!; p < x.indptr[user + 1]!; p++) {
      const k = pos[x.indices[p]!]!;
      if (k < 0) continue;
      const row = k * n;
      for (let j = 0; j < n; j++) acc[j] = acc[j]! + w[row + j]!;
    }
    if (n < this.nItemsFit) out.fill(-Infinity);
    for (let j = 0; j < n; j++) out[m[j]!] = acc[j]!;
  }
}
