import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface PopularOptions {
  /** With timestamps: each interaction counts exp(-ln2 · age / halfLife); 0 = plain counts. */
  halfLifeDays: number;
}

/** Popularity: the number of training users per item (optionally time-decayed); the same list for everyone. */
export class PopularRecommender extends BaseRecommender {
  readonly name = 'popular';
  private scores = new Float64Array(0);
  constructor(readonly options: PopularOptions = { halfLifeDays: 0 }) {
    super();
  }

  async fit(data: TrainData, _ctx: FitContext): Promise<FitInfo> {
    const x = data.train, t = data.trainTimes;
    this.nItemsFit = x.nCols;
    const s = new Float64Array(x.nCols);
    const nnz = x.indptr[x.nRows]!;
    const decay = this.options.halfLifeDays > 0 && t !== undefined;
    let tmax = -Infinity;
    if (decay) for (let p = 0; p < nnz; p++) tmax = Math.max(tmax, t[p]!);
    const rate = decay ? Math.LN2 / (this.options.halfLifeDays * 86400) : 0;
    for (let p = 0; p < nnz; p++) {
      const i = x.indices[p]!;
      s[i] = s[i]! + (decay ? Math.exp(-rate * (tmax - t[p]!)) : 1);
    }
    this.scores = s;
    return { decayed: decay ? 1 : 0 };
  }

  score(_user: number, out: Float64Array): void {
    out.set(this.scores);
  }

  memoryBytes(): number {
    return bytesOf(this.scores);
  }

  /** The non-personalised ranking (for anonymous or opted-out users). */
  popularity(): Float64Array {
    return this.scores;
  }
}
