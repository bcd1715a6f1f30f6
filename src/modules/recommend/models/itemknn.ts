import { rowNnz, type Csr } from '../sparse.ts';
import { forEachCooccurrenceRow, keepLargest, RowBuilder } from './cooccur.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface ItemKnnOptions {
  /** Neighbours kept per item (the most similar); 0 = all. */
  neighbours: number;
  /** Shrinkage: sim = c_ij / (‖i‖‖j‖ + shrink); damps similarities resting on few users. */
  shrink: number;
  /**
   * Down-weighting of heavy users in the co-occurrence: 'none', 'idf' (log(nItems / |I_u|),
   * IDF over users), 'inverse-log' (1 / log2(1 + |I_u|)).
   */
  userWeight: 'none' | 'idf' | 'inverse-log';
  /** Raise similarities to this power before scoring (1 = plain cosine). */
  power: number;
}

export const ITEMKNN_DEFAULTS: ItemKnnOptions = { neighbours: 0, shrink: 0, userWeight: 'none', power: 1 };

/**
 * Item-based collaborative filtering: cosine similarity between items' user vectors (binary
 * interactions, optional user weights), top neighbours per item; a user's score for j is the sum
 * of similarities between j and the user's items.
 */
export class ItemKnnRecommender extends BaseRecommender {
  readonly name = 'itemknn';
  readonly options: ItemKnnOptions;
  /** items × items similarities (each row: an item's neighbours). */
  sims?: Csr;
  private train?: Csr;

  constructor(options: Partial<ItemKnnOptions> = {}) {
    super();
    this.options = { ...ITEMKNN_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const x = data.train;
    this.train = x;
    this.nItemsFit = x.nCols;
    const o = this.options;
    const w = new Float64Array(x.nRows);
    for (let u = 0; u < x.nRows; u++) {
      const n = rowNnz(x, u);
      w[u] = n === 0 ? 0 : o.userWeight === 'idf' ? Math.log(x.nCols / n) : o.userWeight === 'inverse-log' ? 1 / Math.log2(1 + n) : 1;
    }
    const norm = new Float64Array(x.nCols);
    for (let u = 0; u < x.nRows; u++) for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) {
      const i = x.indices[p]!;
      norm[i] = norm[i]! + w[u]!;
    }
    for (let i = 0; i < x.nCols; i++) norm[i] = Math.sqrt(norm[i]!);
    const rows = new RowBuilder();
    forEachCooccurrenceRow(x, w, (i, cols, vals, count) => {
      for (let a = 0; a < count; a++) {
        const s = vals[a]! / (norm[i]! * norm[cols[a]!]! + o.shrink);
        vals[a] = o.power === 1 ? s : Math.pow(s, o.power);
      }
      rows.push(cols, vals, keepLargest(cols, vals, count, o.neighbours));
    });
    ctx.probe?.();
    this.sims = rows.build(x.nCols, x.nCols);
    ctx.probe?.();
    return { similarities: this.sims.indices.length };
  }

  memoryBytes(): number {
    return bytesOf(this.sims);
  }

  score(user: number, out: Float64Array): void {
    const x = this.train!, s = this.sims!;
    for (let p = x.indptr[user]!; p < x.indptr[user + 1]!; p++) {
      const i = x.indices[p]!;
      for (let q = s.indptr[i]!; q < s.indptr[i + 1]!; q++) {
        const j = s.indices[q]!;
        out[j] = out[j]! + s.data[q]!;
      }
    }
  }
}
