import { Rng } from '../../../platform/rng.ts';
import { carveValidation, DEFAULT_SPLIT } from '../split.ts';
import type { Csr } from '../sparse.ts';
import { topK } from '../topk.ts';
import { ndcgAt } from '../eval/metrics.ts';
import { BaseRecommender, type FitContext, type FitInfo, type Recommender, type TrainData } from './types.ts';

export interface HybridOptions {
  /** Component models by name (see the registry). */
  components: string[];
  /** Per-user score normalisation before blending (over the items not in the user's history). */
  normalise: 'zscore' | 'max';
  /** Share of each training user's items held out to learn the weights. */
  validationFraction: number;
  /** Users the weights are tuned on (a seeded sample of the validation users). */
  maxValidationUsers: number;
  /** Candidates per component and user considered while tuning (union of each one's top). */
  candidates: number;
  /** The cut-off of the tuning objective, NDCG@tuneK. */
  tuneK: number;
  /** Weight values tried for each component, by coordinate ascent. */
  grid: number[];
  /** Fixed weights instead of tuning (by component name). */
  weights?: Record<string, number>;
}

export const HYBRID_DEFAULTS: HybridOptions = {
  components: ['ease', 'itemknn', 'als', 'social', 'popular', 'session'],
  normalise: 'zscore',
  validationFraction: 0.2,
  maxValidationUsers: 2000,
  candidates: 100,
  tuneK: 10,
  grid: [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5],
};

/** Validation splits carved once per training matrix and seed (shared by hybrid variants). */
const carved = new WeakMap<Csr, Map<string, ReturnType<typeof carveValidation>>>();

/**
 * The validation split a hybrid learns its weights on (per user, `fraction` held out: by time
 * when there are timestamps, else random; seed + 1). Carved once per training matrix, fraction
 * and seed, so hybrid variants and callers reporting validation metrics share it.
 */
export function hybridValidation(train: Csr, times: Float64Array | undefined, fraction: number, seed: number): ReturnType<typeof carveValidation> {
  const splitKind = times ? 'time' : 'random';
  const key = `${splitKind}:${fraction}:${seed}`;
  let byKey = carved.get(train);
  if (!byKey) carved.set(train, (byKey = new Map()));
  let val = byKey.get(key);
  if (!val) {
    val = carveValidation(train, times, { ...DEFAULT_SPLIT, kind: splitKind, testFraction: fraction, seed: seed + 1, minUserItems: 5 });
    byKey.set(key, val);
  }
  return val;
}

/**
 * Hybrid: a weighted sum of the components' per-user normalised scores. The weights are learned
 * by coordinate ascent on NDCG@tuneK over a validation split carved from the training data
 * (components fitted on the rest), then the components are fitted on all the training data.
 * The user's own training items always score -Infinity (never recommended).
 */
export class HybridRecommender extends BaseRecommender {
  readonly options: HybridOptions;
  weights: number[] = [];
  validationNdcg = 0;
  private models: (Recommender | undefined)[] = [];
  private train?: Csr;
  private bufs: Float64Array[] = [];

  constructor(
    readonly name: string,
    private readonly make: (name: string) => Recommender,
    options: Partial<HybridOptions> = {},
  ) {
    super();
    this.options = { ...HYBRID_DEFAULTS, ...options };
  }

  async fit(data: TrainData, ctx: FitContext): Promise<FitInfo> {
    const o = this.options, names = o.components;
    this.train = data.train;
    this.nItemsFit = data.train.nCols;
    const get = (name: string, d: TrainData) => (ctx.component ? ctx.component(name, d) : this.fitNew(name, d, ctx));
    if (o.weights) {
      this.weights = names.map((n) => o.weights![n] ?? 0);
    } else {
      const val = hybridValidation(data.train, data.trainTimes, o.validationFraction, ctx.seed);
      const valData: TrainData = { train: val.train, trainTimes: val.trainTimes, side: data.side };
      const valModels: Recommender[] = [];
      for (const n of names) {
        ctx.log?.(`${this.name}: fitting ${n} on the validation split`);
        valModels.push(await get(n, valData));
      }
      ctx.log?.(`${this.name}: tuning weights on NDCG@${o.tuneK}`);
      const tuned = this.tune(valModels, val.train, val.test, val.testUsers, ctx);
      this.weights = tuned.weights;
      this.validationNdcg = tuned.ndcg;
    }
    this.models = [];
    for (let c = 0; c < names.length; c++) {
      if (this.weights[c] === 0) {
        this.models.push(undefined);
        continue;
      }
      ctx.log?.(`${this.name}: fitting ${names[c]} on the training data`);
      this.models.push(await get(names[c]!, data));
    }
    this.bufs = names.map(() => new Float64Array(this.nItemsFit));
    const info: FitInfo = { validationNdcg: this.validationNdcg };
    names.forEach((n, c) => (info[`w_${n}`] = this.weights[c]!));
    return info;
  }

  /**
   * The blend as fitted: each component's name, learned weight and fitted model (undefined when
   * its weight is 0 and it was not fitted on the full data). Serving uses it to precompute lists
   * with per-component contributions.
   */
  components(): Array<{ name: string; weight: number; model: Recommender | undefined }> {
    return this.options.components.map((name, c) => ({ name, weight: this.weights[c] ?? 0, model: this.models[c] }));
  }

  private async fitNew(name: string, d: TrainData, ctx: FitContext): Promise<Recommender> {
    const m = this.make(name);
    await m.fit(d, ctx);
    return m;
  }

  /** The components it serves with (each also counted on its own when evaluated alone). */
  memoryBytes(): number {
    return this.models.reduce((n, m) => n + (m?.memoryBytes?.() ?? 0), 0);
  }

  score(user: number, out: Float64Array): void {
    const x = this.train!;
    const a = x.indptr[user]!, b = x.indptr[user + 1]!;
    const excluded = x.indices.subarray(a, b);
    for (let c = 0; c < this.models.length; c++) {
      const m = this.models[c], w = this.weights[c]!;
      if (!m || w === 0) continue;
      const s = this.bufs[c]!.fill(0);
      m.score(user, s);
      normalise(s, excluded, this.options.normalise);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * s[i]!;
    }
    for (let p = a; p < b; p++) out[x.indices[p]!] = -Infinity;
  }

  /** Coordinate ascent over `grid` for each weight in turn, from the best single component. */
  private tune(models: Recommender[], train: Csr, test: Csr, testUsers: Int32Array, ctx: FitContext): { weights: number[]; ndcg: number } {
    const o = this.options, nc = models.length, nItems = train.nCols;
    const users = Array.from(testUsers);
    if (users.length > o.maxValidationUsers) new Rng(ctx.seed + 2).shuffle(users).splice(o.maxValidationUsers);
    users.sort((p, q) => p - q);
    // per user: candidate items and the components' normalised scores on them
    const cands: Int32Array[] = [];
    const scores: Float32Array[] = []; // [c * nCand + k]
    const bufs = models.map(() => new Float64Array(nItems));
    const mark = new Uint8Array(nItems);
    for (const u of users) {
      const excluded = train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!);
      for (const i of excluded) mark[i] = 1;
      const set = new Set<number>();
      for (let c = 0; c < nc; c++) {
        const s = bufs[c]!.fill(0);
        models[c]!.score(u, s);
        normalise(s, excluded, o.normalise);
        for (const i of topK(s, o.candidates, (i) => mark[i] === 1)) set.add(i);
      }
      for (const i of excluded) mark[i] = 0;
      const cand = Int32Array.from(set).sort();
      const m = new Float32Array(nc * cand.length);
      for (let c = 0; c < nc; c++) for (let k = 0; k < cand.length; k++) m[c * cand.length + k] = bufs[c]![cand[k]!]!;
      cands.push(cand);
      scores.push(m);
    }
    const relevant = users.map((u) => new Set(test.indices.subarray(test.indptr[u]!, test.indptr[u + 1]!)));
    const blended = new Float64Array(nItems);
    const objective = (w: number[]): number => {
      let sum = 0;
      for (let x = 0; x < users.length; x++) {
        const cand = cands[x]!, m = scores[x]!, nk = cand.length;
        for (let k = 0; k < nk; k++) {
          let s = 0;
          for (let c = 0; c < nc; c++) if (w[c] !== 0) s += w[c]! * m[c * nk + k]!;
          blended[k] = s;
        }
        const top = topK(blended.subarray(0, nk), o.tuneK);
        const rel = relevant[x]!;
        sum += ndcgAt(Array.from(top, (k) => cand[k]!), o.tuneK, (i) => rel.has(i), rel.size);
      }
      return users.length ? sum / users.length : 0;
    };
    // start from the best single component
    let best = -1, weights = new Array<number>(nc).fill(0);
    for (let c = 0; c < nc; c++) {
      const w = new Array<number>(nc).fill(0);
      w[c] = 1;
      const v = objective(w);
      ctx.log?.(`${this.name}: alone ${o.components[c]} NDCG@${o.tuneK} ${v.toFixed(4)}`);
      if (v > best) {
        best = v;
        weights = w;
      }
    }
    for (let round = 0; round < 6; round++) {
      let improved = false;
      for (let c = 0; c < nc; c++) {
        for (const g of o.grid) {
          if (g === weights[c]) continue;
          const w = weights.slice();
          w[c] = g;
          if (w.every((v) => v === 0)) continue;
          const v = objective(w);
          if (v > best + 1e-9) {
            best = v;
            weights = w;
            improved = true;
          }
        }
      }
      ctx.log?.(`${this.name}: round ${round + 1} NDCG@${o.tuneK} ${best.toFixed(4)} weights ${o.components.map((n, c) => `${n}=${weights[c]}`).join(' ')}`);
      if (!improved) break;
    }
    return { weights, ndcg: best };
  }
}

/**
 * Normalises a user's scores in place over the items not excluded: 'zscore' (mean 0, sd 1) or
 * 'max' (divided by the largest absolute score). Non-finite scores become the lowest finite one.
 */
export function normalise(s: Float64Array, excluded: ArrayLike<number>, how: 'zscore' | 'max'): void {
  const n = s.length;
  let sum = 0, sq = 0, cnt = 0, min = Infinity, maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    if (!Number.isFinite(v)) continue;
    sum += v;
    sq += v * v;
    cnt++;
    if (v < min) min = v;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  // remove the excluded items from the statistics
  for (let p = 0; p < excluded.length; p++) {
    const v = s[excluded[p]!]!;
    if (!Number.isFinite(v)) continue;
    sum -= v;
    sq -= v * v;
    cnt--;
  }
  if (cnt <= 0) {
    s.fill(0);
    return;
  }
  if (min === Infinity) min = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(s[i]!)) s[i] = min;
  if (how === 'zscore') {
    const mean = sum / cnt;
    const sd = Math.sqrt(Math.max(0, sq / cnt - mean * mean));
    const inv = sd > 0 ? 1 / sd : 0;
    for (let i = 0; i < n; i++) s[i] = (s[i]! - mean) * inv;
  } else {
    const inv = maxAbs > 0 ? 1 / maxAbs : 0;
    for (let i = 0; i < n; i++) s[i] = s[i]! * inv;
  }
}
