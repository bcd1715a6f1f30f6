/**
 * Deterministic synthetic social-commerce world emitting Segment-spec messages.
 *
 *   const sim = simulate({ users: 1000, days: 30, seed: 42 });
 *   for (const batch of sim.batches()) send(batch);
 *
 * Same options => byte-identical output. Messages are generated one day at a time, so memory is
 * bounded by a day's traffic plus the static world (users, graph, catalog).
 */
import { buildCatalog } from './catalog.ts';
import { buildGraph } from './graph.ts';
import { Rng } from './rng.ts';
import type { World } from './state.ts';
import type { GroundTruth, SegmentMessage, SimOptions } from './types.ts';
import { buildUsers } from './users.ts';
import { dayFactor, runWorld } from './world.ts';

export type { GroundTruth, SegmentMessage, SimOptions } from './types.ts';

/** Calibrated mean messages per returning session, per signup and per pre-signup visit. */
const PER_SESSION = 6.0;
const PER_SIGNUP = 14;
const PER_PREVISIT = 4;

function parseStart(date: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(date) ? date + 'T00:00:00.000Z' : date);
  if (!Number.isFinite(ms)) throw new Error(`sim: invalid startDate ${date}`);
  return ms;
}

export function buildWorld(opts: SimOptions): World {
  const { users: n, days, seed } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error('sim: users must be a positive integer');
  if (!Number.isInteger(days) || days < 1) throw new Error('sim: days must be a positive integer');
  if (!Number.isInteger(seed)) throw new Error('sim: seed must be an integer');
  const nProducts = opts.products ?? Math.min(20000, Math.max(50, Math.floor(n / 5)));
  if (!Number.isInteger(nProducts) || nProducts < 1) throw new Error('sim: products must be a positive integer');
  const catalog = buildCatalog(new Rng(seed, 2), nProducts);
  const users = buildUsers(new Rng(seed, 3), seed, n, days, catalog.categories.length);
  const graph = buildGraph(new Rng(seed, 4), users);
  return { seed, users, graph, catalog, startMs: parseStart(opts.startDate ?? '2026-01-01'), days };
}

function groundTruth(w: World): GroundTruth {
  const { users: us, catalog: cat } = w;
  const categories = cat.categories.slice();
  const users: GroundTruth['users'] = new Array(us.n);
  for (let u = 0; u < us.n; u++) {
    const tastes: Record<string, number> = {};
    for (let j = 0; j < us.k; j++) tastes[categories[j]!] = us.tastes[u * us.k + j]!;
    const cd = us.churnDay[u]!;
    users[u] = { userId: us.userIds[u]!, community: us.community[u]!, tastes, isKol: us.isKol[u] === 1, churnDay: cd < 0 ? null : cd };
  }
  const products: GroundTruth['products'] = new Array(cat.size);
  for (let p = 0; p < cat.size; p++) {
    products[p] = { productId: cat.ids[p]!, name: cat.names[p]!, category: categories[cat.category[p]!]!, brand: cat.brands[p]!, price: cat.price[p]!, popularityRank: cat.rank[p]! };
  }
  return { users, products, categories };
}

/** Rough expected number of messages (for progress bars). */
function estimate(w: World): number {
  const us = w.users;
  let avgF = 0;
  for (let d = 0; d < w.days; d++) avgF += dayFactor(w.startMs, d);
  avgF /= w.days;
  let sessions = 0, pre = 0;
  for (let u = 0; u < us.n; u++) {
    const end = us.churnDay[u]! >= 0 ? us.churnDay[u]! : w.days;
    sessions += us.rate[u]! * Math.max(0, end - us.signupDay[u]! - 1);
    if (us.preVisitDay[u]! >= 0) pre++;
  }
  return Math.round(sessions * avgF * PER_SESSION + us.n * PER_SIGNUP + pre * PER_PREVISIT);
}

/** Yields batches (arrays of <= batchSize messages) in non-decreasing timestamp order, day by day. */
export function simulate(opts: SimOptions, batchSize = 1000): { truth: GroundTruth; batches(): Generator<SegmentMessage[]>; estimateEvents(): number } {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('sim: batchSize must be a positive integer');
  const world = buildWorld(opts);
  return {
    truth: groundTruth(world),
    batches: () => runWorld(world, batchSize),
    estimateEvents: () => estimate(world),
  };
}
