import { columnCounts, transpose, type Csr } from '../sparse.ts';
import type { Split } from '../split.ts';
import { createModel, type ModelParams } from '../models/registry.ts';
import type { FitInfo, Recommender, TrainData } from '../models/types.ts';
import { catalogCoverage, intraListDiversity, novelty, userMetrics } from './metrics.ts';
import { MemoryProbe } from './memory.ts';
import { listCosines } from './similarity.ts';

export interface EvaluateOptions {
  /** Cut-offs, e.g. [10, 20]. */
  k: number[];
  models: string[];
  params?: ModelParams;
  /** Threads a model may use (EASE's solver). */
  threads: number;
  seed: number;
  /**
   * Count only held-out items still in the catalog as relevant. Default false: held-out items
   * dropped by the item filter stay relevant (unreachable misses), as in the reference protocol.
   */
  catalogOnly?: boolean;
  /** Progress lines (one per step), e.g. to stderr. */
  log?: (line: string) => void;
}

/**
 * One model's results. `metrics` keys: `ndcg@K`, `recall@K`, `precision@K`, `map@K`, `hit@K`,
 * `coverage@K`, `diversity@K`, `novelty@K` for each K, and `train_seconds` (wall),
 * `train_cpu_seconds` (CPU of all the process's threads: the cost regardless of contention),
 * `recommend_ms_per_user`, `peak_rss_mb` (peak resident-set growth while training),
 * `rss_delta_mb` (growth kept after training), `peak_alloc_mb` (peak growth of V8 heap +
 * ArrayBuffer bytes while training), `model_mb` (the typed arrays the fitted model holds). A hybrid's training time includes its components'
 * (validation and full fits), even when another model in the run fitted them first.
 */
export interface ModelResult {
  name: string;
  metrics: Record<string, number>;
  info: FitInfo;
}

export interface EvaluationResult {
  users: number;
  testUsers: number;
  items: number;
  trainInteractions: number;
  testInteractions: number;
  diversityBy: 'category' | 'co-occurrence';
  models: ModelResult[];
}

/**
 * Fits each model on the split's training data and ranks every test user's items (training
 * items excluded), scoring the top lists against the held-out items. Models are fitted in turn;
 * fitted components are shared with the hybrids (and their fit times charged to them).
 */
export async function evaluateSplit(split: Split, o: EvaluateOptions): Promise<EvaluationResult> {
  const log = o.log ?? (() => undefined);
  const data: TrainData = { train: split.train, trainTimes: split.trainTimes, side: split.side };
  const maxK = Math.max(...o.k);
  const nItems = split.train.nCols;
  const itemUsers = columnCounts(split.train);
  let activeUsers = 0;
  for (let u = 0; u < split.train.nRows; u++) if (split.train.indptr[u + 1]! > split.train.indptr[u]!) activeUsers++;
  const diversityBy = split.side.itemCategories ? 'category' : 'co-occurrence';
  const pairSims = listCosines(split.side.itemCategories ?? transpose(split.train));

  // fitted models shared within this evaluation: by training matrix, then name
  type Fitted = { model: Recommender; seconds: number; cpuSeconds: number; info: FitInfo };
  const fitted = new WeakMap<Csr, Map<string, Promise<Fitted>>>();
  let chargedSeconds = 0, chargedCpu = 0;
  const fitOnce = async (name: string, d: TrainData): Promise<{ entry: Fitted; reused: boolean }> => {
    let byName = fitted.get(d.train);
    if (!byName) fitted.set(d.train, (byName = new Map()));
    const known = byName.get(name);
    if (known) return { entry: await known, reused: true };
    const p = (async () => {
      const m = createModel(name, o.params);
      const t0 = performance.now(), c0 = process.cpuUsage();
      const info = await m.fit(d, ctx);
      const c1 = process.cpuUsage(c0);
      return { model: m, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c1.user + c1.system) / 1e6, info };
    })();
    byName.set(name, p);
    return { entry: await p, reused: false };
  };
  const component = async (name: string, d: TrainData): Promise<Recommender> => {
    const { entry, reused } = await fitOnce(name, d);
    if (reused) {
      // fitted earlier in the run: charge its time to the model asking
      chargedSeconds += entry.seconds;
      chargedCpu += entry.cpuSeconds;
    } else {
      log(`  ${name}: fitted in ${entry.seconds.toFixed(2)} s`);
    }
    return entry.model;
  };
  const ctx = { threads: o.threads, seed: o.seed, log: (l: string) => log(`  ${l}`), probe: () => undefined as void, component };

  const results: ModelResult[] = [];
  for (const name of o.models) {
    log(`${name}: training`);
    const probe = await MemoryProbe.start();
    ctx.probe = probe.sample;
    chargedSeconds = 0;
    chargedCpu = 0;
    const { entry, reused } = await fitOnce(name, data);
    const fitSeconds = reused ? entry.seconds : entry.seconds + chargedSeconds;
    const fitCpu = reused ? entry.cpuSeconds : entry.cpuSeconds + chargedCpu;
    const mem = probe.finish();
    const model = entry.model, info = entry.info;
    log(`${name}: trained in ${fitSeconds.toFixed(2)} s; ranking ${split.testUsers.length} users`);
    const t1 = performance.now();
    const lists: Int32Array[] = [];
    for (const u of split.testUsers) lists.push(model.recommend(u, maxK, split.train.indices.subarray(split.train.indptr[u]!, split.train.indptr[u + 1]!)));
    const recMs = (performance.now() - t1) / Math.max(1, split.testUsers.length);
    const metrics: Record<string, number> = {};
    for (const k of o.k) {
      const sums = { precision: 0, recall: 0, ndcg: 0, map: 0, hit: 0 };
      split.testUsers.forEach((u, x) => {
        const a = split.test.indptr[u]!, b = split.test.indptr[u + 1]!;
        const rel = split.test.indices.subarray(a, b);
        const m = userMetrics(lists[x]!, k, (i) => binarySearch(rel, i), o.catalogOnly ? b - a : Math.max(b - a, split.heldOut[u]!));
        sums.precision += m.precision;
        sums.recall += m.recall;
        sums.ndcg += m.ndcg;
        sums.map += m.map;
        sums.hit += m.hit;
      });
      const n = Math.max(1, split.testUsers.length);
      metrics[`ndcg@${k}`] = sums.ndcg / n;
      metrics[`recall@${k}`] = sums.recall / n;
      metrics[`precision@${k}`] = sums.precision / n;
      metrics[`map@${k}`] = sums.map / n;
      metrics[`hit@${k}`] = sums.hit / n;
      metrics[`coverage@${k}`] = catalogCoverage(lists, k, nItems);
      metrics[`diversity@${k}`] = intraListDiversity(lists, k, pairSims);
      metrics[`novelty@${k}`] = novelty(lists, k, itemUsers, activeUsers);
    }
    metrics.train_seconds = fitSeconds;
    metrics.train_cpu_seconds = fitCpu;
    metrics.recommend_ms_per_user = recMs;
    metrics.peak_rss_mb = mem.peakDelta / 2 ** 20;
    metrics.rss_delta_mb = mem.rssDelta / 2 ** 20;
    metrics.peak_alloc_mb = mem.peakAllocDelta / 2 ** 20;
    metrics.model_mb = (model.memoryBytes?.() ?? 0) / 2 ** 20;
    log(`${name}: ndcg@${o.k[0]} ${metrics[`ndcg@${o.k[0]}`]!.toFixed(4)}`);
    results.push({ name, metrics, info });
  }
  return {
    users: activeUsers,
    testUsers: split.testUsers.length,
    items: nItems,
    trainInteractions: split.train.indices.length,
    testInteractions: split.test.indices.length,
    diversityBy,
    models: results,
  };
}

function binarySearch(a: Int32Array, v: number): boolean {
  let lo = 0, hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] === v) return true;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
