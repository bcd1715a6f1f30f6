import { Rng } from '../../../platform/rng.ts';
import type { Csr } from '../sparse.ts';
import { MemoryProbe } from '../eval/memory.ts';
import { catalogCoverage, userMetrics } from '../eval/metrics.ts';
import { createModel, type ModelParams } from '../models/registry.ts';
import { HybridRecommender, hybridValidation, HYBRID_DEFAULTS } from '../models/hybrid.ts';
import type { FitContext, FitInfo, Recommender, TrainData } from '../models/types.ts';
import type { ContentRecommender } from '../models/content.ts';
import type { ItemKnnRecommender } from '../models/itemknn.ts';
import type { PopularRecommender } from '../models/popular.ts';
import type { SessionRecommender } from '../models/session.ts';
import { inputCounts, type TrainingInput } from './input.ts';
import { precompute } from './precompute.ts';
import { groupPopularity, GROUP_POPULARITY_DEFAULTS } from './group-popular.ts';
import { prepare } from './prepare.ts';
import { DEFAULT_SETTINGS, type TrainingSettings } from './settings.ts';
import { newVersion, type ModelReport, type Snapshot } from './snapshot.ts';

/**
 * Model settings for serving (the offline defaults are tuned for evaluation): bounded neighbour
 * lists, EASE over the 2,000 most interacted-with items, a smaller ALS, time-decayed popularity,
 * social ties weighted by edge type and recency.
 */
export const SERVING_PARAMS: ModelParams = {
  popular: { halfLifeDays: 14 },
  itemknn: { neighbours: 100, shrink: 10 },
  ease: { maxItems: 2000, lambda: 200 },
  als: { factors: 32, iterations: 8 },
  content: { minDocumentFrequency: 2 },
  social: { edgeWeights: true, halfLifeDays: 60 },
  session: { neighbours: 100 },
};

export interface TrainProgress {
  /** 'fit' (a model on all the data), 'validate' (the hybrid's weight learning), 'precompute', 'done'. */
  phase: 'fit' | 'validate' | 'precompute' | 'done';
  model?: string;
  /** For 'fit': the model's place among all. */
  index?: number;
  total?: number;
  seconds?: number;
  message: string;
}

export interface TrainOptions {
  settings?: TrainingSettings;
  /** Threads EASE's solver and ALS may use (1 keeps training on one core). */
  threads: number;
  seed?: number;
  params?: ModelParams;
  now?: Date;
  onProgress?: (p: TrainProgress) => void;
  /** Awaited between chunks of work (e.g. setImmediate) so a shared event loop keeps moving. */
  pause?: () => Promise<void>;
}

/** Not enough data to train: what was found and what is needed. */
export class NotEnoughData extends Error {
  constructor(readonly found: { activeUsers: number; interactions: number; items: number }, readonly needed: { minUsers: number; minInteractions: number }) {
    super(`not enough data: ${found.activeUsers} users with 2+ interactions (need ${needed.minUsers}), ${found.interactions} interactions (need ${needed.minInteractions}), ${found.items} items`);
  }
}

const VALIDATION_USERS = 2000;
const K = 10;

/**
 * Trains every component, the hybrid (weights learned on a validation split), measures each on
 * that split, and precomputes the serving snapshot. Throws NotEnoughData below the settings'
 * minimums.
 */
export async function trainSnapshot(input: TrainingInput, o: TrainOptions): Promise<Snapshot> {
  const settings = o.settings ?? DEFAULT_SETTINGS.training;
  const seed = o.seed ?? 42;
  const params: ModelParams = { ...SERVING_PARAMS, ...o.params };
  const progress = o.onProgress ?? (() => undefined);
  const pause = o.pause ?? (async () => undefined);
  const t0 = performance.now();
  const counts = inputCounts(input);
  if (counts.activeUsers < settings.minUsers || counts.interactions < settings.minInteractions || counts.items < 2) {
    throw new NotEnoughData(counts, { minUsers: settings.minUsers, minInteractions: settings.minInteractions });
  }
  const p = prepare(input, settings.weights);
  const data = p.data;
  const names = [...new Set(['popular', ...settings.models])];

  type Fitted = { model: Recommender; seconds: number; info: FitInfo; mem?: { peakDelta: number; peakAllocDelta: number } };
  const fitted = new WeakMap<Csr, Map<string, Promise<Fitted>>>();
  let probe: MemoryProbe | undefined;
  const ctx: FitContext = {
    threads: o.threads,
    seed,
    log: (line) => progress({ phase: 'validate', message: line }),
    probe: () => probe?.sample(),
  };
  const fitOnce = (name: string, d: TrainData): Promise<Fitted> => {
    let byName = fitted.get(d.train);
    if (!byName) fitted.set(d.train, (byName = new Map()));
    let f = byName.get(name);
    if (!f) {
      f = (async () => {
        await pause();
        const m = createModel(name, params);
        const t = performance.now();
        const info = await m.fit(d, ctx);
        return { model: m, seconds: (performance.now() - t) / 1000, info };
      })();
      byName.set(name, f);
    }
    return f;
  };
  ctx.component = async (name, d) => (await fitOnce(name, d)).model;

  // every component on all the data, one at a time, with its memory
  const full = new Map<string, Fitted>();
  for (const [k, name] of names.entries()) {
    progress({ phase: 'fit', model: name, index: k + 1, total: names.length + 1, message: `${name}: training` });
    probe = await MemoryProbe.start();
    const f = await fitOnce(name, data);
    f.mem = probe.finish();
    probe = undefined;
    full.set(name, f);
    progress({ phase: 'fit', model: name, index: k + 1, total: names.length + 1, seconds: f.seconds, message: `${name}: trained in ${f.seconds.toFixed(2)} s, peak +${mb(f.mem.peakAllocDelta)} MB allocated` });
  }

  // the hybrid: components refitted on the validation split, weights learned there
  progress({ phase: 'fit', model: 'hybrid', index: names.length + 1, total: names.length + 1, message: 'hybrid: learning weights on the validation split' });
  const hybrid = new HybridRecommender('hybrid', (n) => createModel(n, params), { ...params.hybrid, components: names, maxValidationUsers: VALIDATION_USERS });
  const th = performance.now();
  probe = await MemoryProbe.start();
  await hybrid.fit(data, ctx);
  const hybridMem = probe.finish();
  probe = undefined;
  const hybridSeconds = (performance.now() - th) / 1000;
  const weights = Object.fromEntries(hybrid.components().map((c) => [c.name, c.weight]));
  progress({ phase: 'fit', model: 'hybrid', index: names.length + 1, total: names.length + 1, seconds: hybridSeconds, message: `hybrid: weights ${names.map((n) => `${n}=${weights[n]}`).join(' ')} (validation NDCG@10 ${hybrid.validationNdcg.toFixed(4)})` });

  // each model (and the blend) measured on the same validation split
  const fraction = params.hybrid?.validationFraction ?? HYBRID_DEFAULTS.validationFraction;
  const val = hybridValidation(data.train, data.trainTimes, fraction, seed);
  const valData: TrainData = { train: val.train, trainTimes: val.trainTimes, side: data.side };
  const users = Array.from(val.testUsers);
  if (users.length > VALIDATION_USERS) new Rng(seed + 7).shuffle(users).splice(VALIDATION_USERS);
  const models: Record<string, ModelReport> = {};
  const measure = (m: Recommender): Record<string, number> => {
    const lists: Int32Array[] = [];
    const sums = { ndcg: 0, recall: 0, precision: 0, hit: 0 };
    for (const u of users) {
      const list = m.recommend(u, K, val.train.indices.subarray(val.train.indptr[u]!, val.train.indptr[u + 1]!));
      lists.push(list);
      const rel = val.test.indices.subarray(val.test.indptr[u]!, val.test.indptr[u + 1]!);
      const r = userMetrics(list, K, (i) => rel.includes(i), rel.length);
      sums.ndcg += r.ndcg;
      sums.recall += r.recall;
      sums.precision += r.precision;
      sums.hit += r.hit;
    }
    const n = Math.max(1, users.length);
    return { [`ndcg@${K}`]: sums.ndcg / n, [`recall@${K}`]: sums.recall / n, [`precision@${K}`]: sums.precision / n, [`hit@${K}`]: sums.hit / n, [`coverage@${K}`]: catalogCoverage(lists, K, val.train.nCols) };
  };
  for (const name of names) {
    await pause();
    const v = await fitOnce(name, valData);
    const f = full.get(name)!;
    models[name] = {
      weight: weights[name] ?? 0,
      train_seconds: round(f.seconds),
      peak_rss_mb: mb(f.mem!.peakDelta),
      peak_alloc_mb: mb(f.mem!.peakAllocDelta),
      model_mb: mb(f.model.memoryBytes?.() ?? 0),
      metrics: roundAll(measure(v.model)),
      info: f.info,
    };
  }
  const fixed = new HybridRecommender('hybrid', (n) => createModel(n, params), { components: names, weights });
  await fixed.fit(valData, { ...ctx, log: undefined });
  models.hybrid = {
    weight: 1,
    train_seconds: round(hybridSeconds),
    peak_rss_mb: mb(hybridMem.peakDelta),
    peak_alloc_mb: mb(hybridMem.peakAllocDelta),
    model_mb: mb(hybrid.memoryBytes()),
    metrics: roundAll(measure(fixed)),
    info: { validationNdcg: round(hybrid.validationNdcg) },
  };

  // precompute what serving reads
  progress({ phase: 'precompute', message: `precomputing lists for ${data.train.nRows} users and ${data.train.nCols} items` });
  const tp = performance.now();
  const comps = hybrid.components().map((c) => ({ name: c.name, weight: c.weight, model: full.get(c.name)!.model }));
  const pre = await precompute(input, p, comps, {
    candidates: settings.candidatesPerUser,
    topK: 10,
    neighbours: 50,
    popular: full.get('popular')!.model as PopularRecommender,
    itemknn: full.get('itemknn')?.model as ItemKnnRecommender | undefined,
    session: full.get('session')?.model as SessionRecommender | undefined,
    content: full.get('content')?.model as ContentRecommender | undefined,
    newItemDays: 30,
    newItemUsers: 3,
    newItemsPerUser: 2,
    newItemRank: 4,
    precomputeUser: (u) => input.userKeys[u]!.startsWith('u:'),
    onUsers: async (done, total) => {
      if (done % 20_000 === 0 || done === total) progress({ phase: 'precompute', message: `precomputed ${done}/${total} users` });
      await pause();
    },
  });
  const halfLife = Number((params.popular as { halfLifeDays?: number } | undefined)?.halfLifeDays ?? GROUP_POPULARITY_DEFAULTS.halfLifeDays);
  const gp = groupPopularity(input, p, { ...GROUP_POPULARITY_DEFAULTS, halfLifeDays: halfLife });
  const precomputeSeconds = (performance.now() - tp) / 1000;
  const trainSeconds = (performance.now() - t0) / 1000;
  const now = o.now ?? new Date();
  const snapshot: Snapshot = {
    meta: {
      format: 1,
      version: newVersion(now),
      workspaceId: input.workspaceId,
      trainedAt: now.toISOString(),
      asOf: p.asOf > 0 ? new Date(p.asOf * 1000).toISOString() : null,
      eventSeq: input.eventSeq,
      counts: { ...counts, usersWithLists: pre.usersWithLists, fbtRules: pre.fbtRules, popularityGroups: gp.groups.length, usersWithGroups: gp.keys.length, validationUsers: users.length, precomputeSeconds: round(precomputeSeconds) },
      models,
      hybrid: { components: names, weights, validationNdcg: round(hybrid.validationNdcg) },
      validation: { users: users.length, k: K, split: data.trainTimes ? 'time (latest 20% per user)' : 'random 20% per user' },
      topModels: pre.topModels,
      topK: 10,
      categories: p.categories,
      brands: p.brands,
      trainSeconds: round(trainSeconds),
      groups: gp.groups,
      arrays: {},
    },
    userKeys: input.userKeys,
    groupKeys: gp.keys,
    itemIds: input.itemIds,
    itemNames: input.items.name,
    arrays: { ...pre.arrays, ...gp.arrays },
    tops: pre.tops,
  };
  progress({ phase: 'done', seconds: trainSeconds, message: `trained ${snapshot.meta.version} in ${trainSeconds.toFixed(1)} s (precompute ${precomputeSeconds.toFixed(1)} s)` });
  return snapshot;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const roundAll = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)]));
