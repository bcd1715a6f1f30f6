import { topK } from '../topk.ts';
import { EaseRecommender } from '../models/ease.ts';
import { PopularRecommender } from '../models/popular.ts';
import type { Recommender } from '../models/types.ts';

/** How a component's scores look, which decides how much of the catalog must be touched. */
type Shape = 'constant' | 'modelled' | 'sparse' | 'dense';

interface Part {
  name: string;
  weight: number;
  model: Recommender;
  shape: Shape;
  buf: Float64Array;
  /** sparse: the items it scored this user; modelled: the modelled items. */
  touched: Int32Array;
  nTouched: number;
  /** z-score of this user's scores: z = (s − mean) · inv. */
  mean: number;
  inv: number;
  /** Non-finite scores stand for this (the lowest finite score). */
  floor: number;
}

/** Components whose scores are zero outside the few items they touch. */
const SPARSE = new Set(['itemknn', 'social', 'session', 'content']);

/**
 * The hybrid's blend for one user at a time, computed sparsely: it ranks exactly as
 * HybridRecommender.score does (the weighted sum of each component's z-scores over the items not
 * in the user's history), but never normalises a whole score vector. A z-score is an affine map,
 * so the ranking only needs each component's scale (1/sd) and the per-item scores where they
 * differ from the component's constant background: popularity is the same vector for everyone
 * (its statistics are global, corrected for the user's own items), EASE only scores its modelled
 * items, and item-kNN, social, session and content touch few items; only ALS is dense.
 * `blended` therefore differs from the hybrid's scores by a per-user constant.
 */
export class SparseBlend {
  readonly blended: Float64Array;
  private readonly parts: Part[];
  private readonly mark: Uint8Array;
  private popSum = 0;
  private popSq = 0;
  private popMin = 0;
  private popOrder = new Int32Array(0);

  constructor(components: Array<{ name: string; weight: number; model: Recommender }>, readonly nItems: number) {
    this.blended = new Float64Array(nItems);
    this.mark = new Uint8Array(nItems);
    this.parts = components.map((c) => {
      const shape: Shape = c.model instanceof PopularRecommender ? 'constant' : c.model instanceof EaseRecommender ? 'modelled' : SPARSE.has(c.name) ? 'sparse' : 'dense';
      const touched = shape === 'modelled' ? (c.model as EaseRecommender).modelled : new Int32Array(nItems);
      return { ...c, shape, buf: new Float64Array(nItems), touched, nTouched: shape === 'modelled' ? touched.length : 0, mean: 0, inv: 0, floor: 0 };
    });
    const pop = this.parts.find((p) => p.shape === 'constant');
    if (pop) {
      const s = (pop.model as PopularRecommender).popularity();
      pop.buf.set(s);
      let min = Infinity;
      for (let i = 0; i < nItems; i++) {
        this.popSum += s[i]!;
        this.popSq += s[i]! * s[i]!;
        if (s[i]! < min) min = s[i]!;
      }
      this.popMin = min === Infinity ? 0 : min;
      this.popOrder = Int32Array.from({ length: nItems }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
    }
  }

  get names(): string[] {
    return this.parts.map((p) => p.name);
  }

  /**
   * Scores user u (history `excluded`): fills `blended` (history items −Infinity) and leaves each
   * component's scores ready for `contribution` and `top`. Call `release()` before the next user.
   */
  score(u: number, excluded: Int32Array): void {
    const n = this.nItems, b = this.blended, mark = this.mark;
    b.fill(0);
    for (const i of excluded) mark[i] = 1;
    for (const p of this.parts) {
      const s = p.buf;
      let sum = 0, sq = 0, cnt = 0, min = Infinity;
      if (p.shape === 'constant') {
        sum = this.popSum;
        sq = this.popSq;
        cnt = n;
        min = this.popMin;
        for (const i of excluded) {
          sum -= s[i]!;
          sq -= s[i]! * s[i]!;
          cnt--;
        }
      } else if (p.shape === 'modelled') {
        // as the hybrid's normalise: statistics over the finite scores outside the history; the
        // items it does not model (−Infinity) then stand at the lowest finite score
        p.model.score(u, s);
        for (let k = 0; k < p.nTouched; k++) {
          const i = p.touched[k]!, v = s[i]!;
          if (!Number.isFinite(v)) continue;
          if (v < min) min = v;
          if (mark[i]) continue;
          sum += v;
          sq += v * v;
          cnt++;
        }
        if (min === Infinity) min = 0;
      } else if (p.shape === 'sparse') {
        p.model.score(u, s);
        let nt = 0;
        for (let i = 0; i < n; i++) if (s[i] !== 0) p.touched[nt++] = i;
        p.nTouched = nt;
        for (let k = 0; k < nt; k++) {
          const i = p.touched[k]!, v = s[i]!;
          if (mark[i]) continue;
          sum += v;
          sq += v * v;
        }
        cnt = n - excluded.length;
        min = 0;
      } else {
        s.fill(0);
        p.model.score(u, s);
        for (let i = 0; i < n; i++) {
          const v = s[i]!;
          if (!Number.isFinite(v)) continue;
          if (v < min) min = v;
          if (mark[i]) continue;
          sum += v;
          sq += v * v;
          cnt++;
        }
        if (min === Infinity) min = 0;
        for (let i = 0; i < n; i++) if (!Number.isFinite(s[i]!)) s[i] = min;
      }
      p.floor = min;
      if (cnt <= 0) {
        p.mean = 0;
        p.inv = 0;
        continue;
      }
      p.mean = sum / cnt;
      const sd = Math.sqrt(Math.max(0, sq / cnt - p.mean * p.mean));
      p.inv = sd > 0 ? 1 / sd : 0;
      const a = p.weight * p.inv;
      if (a === 0) continue;
      if (p.shape === 'constant' || p.shape === 'dense') for (let i = 0; i < n; i++) b[i] = b[i]! + a * s[i]!;
      else if (p.shape === 'modelled') for (let k = 0; k < p.nTouched; k++) {
        const i = p.touched[k]!, v = s[i]!;
        if (Number.isFinite(v)) b[i] = b[i]! + a * (v - min);
      }
      else for (let k = 0; k < p.nTouched; k++) {
        const i = p.touched[k]!;
        b[i] = b[i]! + a * s[i]!;
      }
    }
    for (const i of excluded) b[i] = -Infinity;
  }

  /** Component c's weighted z-score for item i (its contribution to the hybrid's score). */
  contribution(c: number, i: number): number {
    const p = this.parts[c]!;
    let v = p.buf[i]!;
    if (!Number.isFinite(v)) v = p.floor;
    return p.weight * (v - p.mean) * p.inv;
  }

  /** Component c's raw scores for the current user (valid until `release`). */
  scores(c: number): Float64Array {
    return this.parts[c]!.buf;
  }

  weight(c: number): number {
    return this.parts[c]!.weight;
  }

  /** Component c's own top k for the user (history excluded), with its z-scores. */
  top(c: number, k: number): Array<{ item: number; score: number }> {
    const p = this.parts[c]!, mark = this.mark;
    const skip = (i: number) => mark[i] === 1;
    let list: Int32Array;
    if (p.shape === 'constant') {
      const out: number[] = [];
      for (let q = 0; q < this.popOrder.length && out.length < k; q++) if (!mark[this.popOrder[q]!]) out.push(this.popOrder[q]!);
      list = Int32Array.from(out);
    } else if (p.shape === 'dense') list = topK(p.buf, k, skip);
    else list = topK(p.buf, k, skip, p.touched.subarray(0, p.nTouched));
    const z = (i: number) => (p.buf[i]! - p.mean) * p.inv;
    return Array.from(list, (i) => ({ item: i, score: z(i) }));
  }

  /** Clears this user's state (history marks, sparse buffers). */
  release(excluded: Int32Array): void {
    for (const i of excluded) this.mark[i] = 0;
    for (const p of this.parts) if (p.shape === 'sparse') {
      for (let k = 0; k < p.nTouched; k++) p.buf[p.touched[k]!] = 0;
      p.nTouched = 0;
    }
  }
}
