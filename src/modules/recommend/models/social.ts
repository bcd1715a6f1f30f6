import { type Csr } from '../sparse.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface SocialOptions {
  /**
   * Tie strength of u → f: 'jaccard' (|I_u ∩ I_f| / |I_u ∪ I_f| over training items),
   * 'overlap' (|I_u ∩ I_f|), 'uniform' (1 / number of friends).
   */
  tie: 'jaccard' | 'overlap' | 'uniform';
  /** Added to every tie so friends with no shared items still count a little. */
  floor: number;
  /** Raise tie strengths to this power (sharpens toward the closest friends). */
  power: number;
  /**
   * How much a friend's item counts: 'binary' (1), 'log' (log(1 + value), e.g. listening
   * counts), 'share' (value / the friend's total: the item's share of their activity).
   */
  itemWeight: 'binary' | 'log' | 'share';
  /**
   * Multiply each tie by the graph's stored value (e.g. edge type × recency, as serving's
   * training builds it); false treats the graph as binary.
   */
  edgeWeights: boolean;
  /** With timestamps: a friend's item counts exp(-ln2 · age / halfLife) (0 = no decay). */
  halfLifeDays: number;
}

export const SOCIAL_DEFAULTS: SocialOptions = { tie: 'jaccard', floor: 0.01, power: 1, itemWeight: 'share', edgeWeights: false, halfLifeDays: 0 };

/**
 * Social: a user's score for an item is the tie-strength-weighted number of their friends who
 * have it in training ("3 friends listen to this"). Users without friends score nothing.
 */
export class SocialRecommender extends BaseRecommender {
  readonly name = 'social';
  readonly options: SocialOptions;
  /** users × users tie strengths (the friendship graph's pattern). */
  ties?: Csr;
  private train?: Csr;
  private itemWeights?: Float32Array;

  constructor(options: Partial<SocialOptions> = {}) {
    super();
    this.options = { ...SOCIAL_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const x = data.train, g = data.side.friends, o = this.options, times = data.trainTimes;
    this.train = x;
    this.nItemsFit = x.nCols;
    this.itemWeights = new Float32Array(x.data.length);
    const decay = o.halfLifeDays > 0 && times !== undefined;
    let tmax = -Infinity;
    if (decay) for (let p = 0; p < times.length; p++) tmax = Math.max(tmax, times[p]!);
    const rate = decay ? Math.LN2 / (o.halfLifeDays * 86400) : 0;
    for (let u = 0; u < x.nRows; u++) {
      let total = 0;
      for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) total += x.data[p]!;
      for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) {
        const v = x.data[p]!;
        const w = o.itemWeight === 'binary' ? 1 : o.itemWeight === 'log' ? Math.log1p(v) : total > 0 ? v / total : 0;
        this.itemWeights[p] = decay ? w * Math.exp(-rate * (tmax - times[p]!)) : w;
      }
    }
    if (!g) {
      this.ties = { nRows: x.nRows, nCols: x.nRows, indptr: new Int32Array(x.nRows + 1), indices: new Int32Array(0), data: new Float32Array(0) };
      return { edges: 0 };
    }
    const w = new Float32Array(g.indices.length);
    for (let u = 0; u < g.nRows && u < x.nRows; u++) {
      const deg = g.indptr[u + 1]! - g.indptr[u]!;
      for (let p = g.indptr[u]!; p < g.indptr[u + 1]!; p++) {
        const f = g.indices[p]!;
        let t: number;
        if (o.tie === 'uniform') t = 1 / deg;
        else {
          const inter = f < x.nRows ? intersectCount(x, u, f) : 0;
          const nu = x.indptr[u + 1]! - x.indptr[u]!, nf = f < x.nRows ? x.indptr[f + 1]! - x.indptr[f]! : 0;
          t = o.tie === 'overlap' ? inter : nu + nf - inter > 0 ? inter / (nu + nf - inter) : 0;
        }
        w[p] = Math.pow(t + o.floor, o.power) * (o.edgeWeights ? g.data[p]! : 1);
      }
    }
    this.ties = { ...g, data: w };
    ctx.probe?.();
    return { edges: g.indices.length };
  }

  memoryBytes(): number {
    return bytesOf(this.ties, this.itemWeights);
  }

  score(user: number, out: Float64Array): void {
    const x = this.train!, g = this.ties!, iw = this.itemWeights!;
    if (user >= g.nRows) return;
    for (let p = g.indptr[user]!; p < g.indptr[user + 1]!; p++) {
      const f = g.indices[p]!, w = g.data[p]!;
      if (f >= x.nRows) continue;
      for (let q = x.indptr[f]!; q < x.indptr[f + 1]!; q++) {
        const j = x.indices[q]!;
        out[j] = out[j]! + w * iw[q]!;
      }
    }
  }

  /** How many of a user's friends have the item (for "because 3 friends ..." explanations). */
  friendsWith(user: number, item: number): number {
    const x = this.train!, g = this.ties!;
    let n = 0;
    for (let p = g.indptr[user]!; p < g.indptr[user + 1]!; p++) {
      const f = g.indices[p]!;
      if (f < x.nRows && hasItem(x, f, item)) n++;
    }
    return n;
  }
}

function intersectCount(x: Csr, a: number, b: number): number {
  let p = x.indptr[a]!, q = x.indptr[b]!, n = 0;
  const pe = x.indptr[a + 1]!, qe = x.indptr[b + 1]!;
  while (p < pe && q < qe) {
    const i = x.indices[p]!, j = x.indices[q]!;
    if (i === j) {
      n++;
      p++;
      q++;
    }
    else if (i < j) p++;
    else q++;
  }
  return n;
}

function hasItem(x: Csr, u: number, item: number): boolean {
  for (let p = x.indptr[u]!; p < x.indptr[u + 1]!; p++) if (x.indices[p] === item) return true;
  return false;
}
