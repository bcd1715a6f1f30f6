import { csrFromTriples, transpose, type Csr } from '../sparse.ts';
import { tokenize } from './tokenize.ts';
import { BaseRecommender, bytesOf, type FitContext, type FitInfo, type TrainData } from './types.ts';

export interface ContentOptions {
  /** Tokens in fewer items than this are dropped (they cannot link two items). */
  minDocumentFrequency: number;
}

/**
 * Content-based: TF-IDF vectors of each item's text (tokenised, Chinese by character bigrams)
 * and attribute tokens (categories, brands), L2-normalised; a user's profile is the sum of their
 * items' vectors and an item's score is its cosine-like dot product with the profile. Works for
 * items without interactions.
 */
export class ContentRecommender extends BaseRecommender {
  readonly name = 'content';
  readonly options: ContentOptions;
  /** items × tokens TF-IDF. */
  vectors?: Csr;
  private postings?: Csr;
  private train?: Csr;
  private profile = new Float64Array(0);
  private touched = new Int32Array(0);

  constructor(options: Partial<ContentOptions> = {}) {
    super();
    this.options = { minDocumentFrequency: 2, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const x = data.train, side = data.side;
    this.train = x;
    this.nItemsFit = x.nCols;
    const vocab = new Map<string, number>();
    const r: number[] = [], c: number[] = [];
    for (let i = 0; i < x.nCols; i++) {
      const toks = [...tokenize(side.itemText?.[i] ?? ''), ...(side.itemTokens?.[i] ?? [])];
      for (const t of toks) {
        let id = vocab.get(t);
        if (id === undefined) vocab.set(t, (id = vocab.size));
        r.push(i);
        c.push(id);
      }
    }
    const tf = csrFromTriples(x.nCols, Math.max(1, vocab.size), r, c, undefined, 'sum');
    const df = new Int32Array(tf.nCols);
    for (const t of tf.indices) df[t]!++;
    const data2 = new Float32Array(tf.data.length);
    for (let i = 0; i < tf.nRows; i++) {
      let norm = 0;
      for (let p = tf.indptr[i]!; p < tf.indptr[i + 1]!; p++) {
        const d = df[tf.indices[p]!]!;
        const w = d < this.options.minDocumentFrequency ? 0 : (1 + Math.log(tf.data[p]!)) * Math.log(tf.nRows / d);
        data2[p] = w;
        norm += w * w;
      }
      norm = Math.sqrt(norm);
      if (norm > 0) for (let p = tf.indptr[i]!; p < tf.indptr[i + 1]!; p++) data2[p] = data2[p]! / norm;
    }
    this.vectors = { ...tf, data: data2 };
    this.postings = transpose(this.vectors);
    this.profile = new Float64Array(tf.nCols);
    this.touched = new Int32Array(tf.nCols);
    ctx.probe?.();
    return { tokens: vocab.size };
  }

  memoryBytes(): number {
    return bytesOf(this.vectors, this.postings);
  }

  score(user: number, out: Float64Array): void {
    const x = this.train!, v = this.vectors!, post = this.postings!, prof = this.profile, touched = this.touched;
    let nt = 0;
    for (let p = x.indptr[user]!; p < x.indptr[user + 1]!; p++) {
      const i = x.indices[p]!;
      for (let q = v.indptr[i]!; q < v.indptr[i + 1]!; q++) {
        const t = v.indices[q]!, w = v.data[q]!;
        if (w === 0) continue;
        if (prof[t] === 0) touched[nt++] = t;
        prof[t] = prof[t]! + w;
      }
    }
    for (let a = 0; a < nt; a++) {
      const t = touched[a]!, w = prof[t]!;
      prof[t] = 0;
      for (let q = post.indptr[t]!; q < post.indptr[t + 1]!; q++) {
        const j = post.indices[q]!;
        out[j] = out[j]! + w * post.data[q]!;
      }
    }
  }
}
