import { type Csr } from '../sparse.ts';
import { forEachCooccurrenceRow, keepLargest, RowBuilder } from './cooccur.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface SessionOptions {
  /** Items after an item (in time order) that count as visited with it. */
  window: number;
  /** How many of the user's latest items drive the recommendation. */
  recent: number;
  /** Weight of the k-th most recent item: decay^k. */
  decay: number;
  /** Neighbours kept per item. */
  neighbours: number;
}

export const SESSION_DEFAULTS: SessionOptions = { window: 5, recent: 5, decay: 0.7, neighbours: 200 };

/**
 * Session-based next-item: co-visitation counts (b after a within `window` steps of a user's
 * time-ordered history, weighted 1 / distance), applied to the user's most recent items.
 * Without timestamps there is no order: it falls back to item co-occurrence counts over all of a
 * user's items ("people who have X also have Y").
 */
export class SessionRecommender extends BaseRecommender {
  readonly name = 'session';
  readonly options: SessionOptions;
  private next?: Csr;
  private recentItems: Int32Array[] = [];
  private ordered = false;

  constructor(options: Partial<SessionOptions> = {}) {
    super();
    this.options = { ...SESSION_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const x = data.train, t = data.trainTimes, o = this.options;
    this.nItemsFit = x.nCols;
    this.ordered = t !== undefined;
    const rows = new RowBuilder();
    this.recentItems = [];
    if (t) {
      // per user: items in time order (ties by item index)
      const seqs: Int32Array[] = [];
      for (let u = 0; u < x.nRows; u++) {
        const a = x.indptr[u]!, b = x.indptr[u + 1]!;
        const ps = Array.from({ length: b - a }, (_, k) => a + k).sort((p, q) => t[p]! - t[q]! || x.indices[p]! - x.indices[q]!);
        seqs.push(Int32Array.from(ps, (p) => x.indices[p]!));
      }
      const maps: Map<number, number>[] = Array.from({ length: x.nCols }, () => new Map());
      for (const seq of seqs) {
        for (let p = 0; p < seq.length; p++) {
          const m = maps[seq[p]!]!;
          for (let q = p + 1; q <= Math.min(seq.length - 1, p + o.window); q++) m.set(seq[q]!, (m.get(seq[q]!) ?? 0) + 1 / (q - p));
        }
      }
      for (const m of maps) {
        const cols = Int32Array.from(m.keys()), vals = Float64Array.from(m.values());
        rows.push(cols, vals, keepLargest(cols, vals, cols.length, o.neighbours));
      }
      this.recentItems = seqs.map((s) => s.slice(Math.max(0, s.length - o.recent)).reverse());
    } else {
      forEachCooccurrenceRow(x, undefined, (_i, cols, vals, count) => rows.push(cols, vals, keepLargest(cols, vals, count, o.neighbours)));
      for (let u = 0; u < x.nRows; u++) this.recentItems.push(x.indices.slice(x.indptr[u]!, x.indptr[u + 1]!));
    }
    ctx.probe?.();
    this.next = rows.build(x.nCols, x.nCols);
    ctx.probe?.();
    return { ordered: this.ordered ? 1 : 0, pairs: this.next.indices.length };
  }

  /** items × items next-item weights (each row: what is visited after the item), or undefined before fit. */
  neighbourRows(): Csr | undefined {
    return this.next;
  }

  memoryBytes(): number {
    return bytesOf(this.next) + this.recentItems.reduce((n, r) => n + r.byteLength, 0);
  }

  score(user: number, out: Float64Array): void {
    const items = this.recentItems[user];
    if (!items) return;
    const m = this.next!;
    let w = 1;
    for (let k = 0; k < items.length; k++) {
      const i = items[k]!;
      for (let q = m.indptr[i]!; q < m.indptr[i + 1]!; q++) {
        const j = m.indices[q]!;
        out[j] = out[j]! + w * m.data[q]!;
      }
      if (this.ordered) w *= this.options.decay;
    }
  }
}
