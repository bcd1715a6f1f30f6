import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import {
  applyCentrality, applyCounts, centralityOffThread, getRun, getRunCached, readCounts, readGraphLinks, staleCentrality, staleCounts,
  type CentralityRows, type GraphLinks, type TraitsRun,
} from '../modules/profiles/index.ts';
import { withTraitsLock } from './traits-recompute.ts';
import { timer } from './traits-incremental.ts';

/**
 * The influence refresh (docs/profiles.md, "Social influence"): what an incremental traits pass
 * leaves for later because it is too large to compute inside a pass, each marked by the pass:
 *
 * - centrality: a pass that changes the influence graph marks the workspace's centrality stale;
 *   the refresh recomputes PageRank (on a worker thread for large graphs);
 * - deferred counts: a pass whose upstream sharers' cascades are too large for index lookups marks
 *   those sharers; the refresh recounts their followers, shares, clicks and downstream orders / GMV.
 *
 * A workspace is refreshed when its oldest mark is at least `delayMs` old, so a burst of changes
 * costs one refresh, and the marked values trail the events by at most about `delayMs` plus the
 * refresh. The reading and computing run outside the traits lock and any write transaction (on the
 * latest commit, read after the marks were listed); only the write holds them, and it writes only
 * what its marks still cover (a full recompute or a later pass may have written newer values).
 */
export interface InfluenceRefreshOptions {
  /** A change waits at least this long before its refresh (default 30 s; 0 = refresh everything marked now). */
  delayMs?: number;
  /** When given, the milliseconds of each phase are added to it (bench:segments). */
  timings?: Record<string, number>;
  /** PageRank of a graph (default centralityOffThread; tests give a failing one). */
  compute?: (links: GraphLinks) => Promise<CentralityRows>;
}

export const INFLUENCE_REFRESH_DELAY_MS = 30_000;

/** Refreshes what is due; returns how many refreshes (a workspace's centrality, a workspace's counts) wrote. */
export async function influenceRefreshStep(es: EventStoreDb, o: InfluenceRefreshOptions = {}): Promise<number> {
  const delay = o.delayMs ?? INFLUENCE_REFRESH_DELAY_MS;
  const lap = timer(o.timings);
  const held = backoff.get(es) ?? new Map<string, { until: number; failures: number }>();
  backoff.set(es, held);
  const due: Array<{ key: string; ws: string; run: (run: TraitsRun) => Promise<boolean> }> = [];
  for (const s of await staleCentrality(es)) {
    if (Date.now() - s.sinceMs < delay) continue;
    due.push({
      key: `centrality\u0001${s.workspaceId}`, ws: s.workspaceId,
      run: async () => {
        // Read after the marks were listed: the graph includes every change up to s.upTo.
        const links = await readGraphLinks(es, s.workspaceId);
        lap('graph read');
        const rows = await (o.compute ?? centralityOffThread)(links);
        lap('pagerank');
        return write(es, s.workspaceId, null, (c, run) => applyCentrality(c, { ws: s.workspaceId, settings: run.settings }, rows, s.upTo));
      },
    });
  }
  for (const s of await staleCounts(es)) {
    if (Date.now() - s.sinceMs < delay) continue;
    due.push({
      key: `counts\u0001${s.workspaceId}`, ws: s.workspaceId,
      run: async (run) => {
        const rows = await readCounts(es, { ws: s.workspaceId, asOf: run.asOf, settings: run.settings }, s.profiles);
        lap('counts read');
        // Counted as of the run read here: written only if it is still the workspace's run.
        return write(es, s.workspaceId, run.computedAt, async (c, now) => (await applyCounts(c, { ws: s.workspaceId, settings: now.settings }, rows, s.upTo)) > 0);
      },
    });
  }
  lap('marks');
  let refreshed = 0;
  let failure: unknown = null;
  for (const d of due) {
    const b = held.get(d.key);
    if (b && Date.now() < b.until) continue;
    try {
      // Not getRunCached: that cache is for holders of the traits lock (a recompute's run written
      // but not yet committed would be cached as current).
      const run = await getRun(es, d.ws);
      // No run: the workspace's next full recompute computes everything (and clears the marks).
      if (run && (await d.run(run))) refreshed++;
      lap('write');
      held.delete(d.key);
    } catch (e) {
      // One refresh failing (a worker out of memory, say) does not hold the others: it waits
      // 5 s, 10 s, … up to 10 min before its next try; the error goes to the caller (logged).
      const failures = (b?.failures ?? 0) + 1;
      held.set(d.key, { until: Date.now() + Math.min(600_000, 5000 * 2 ** (failures - 1)), failures });
      failure ??= e;
    }
  }
  if (failure) throw failure;
  return refreshed;
}

/**
 * The write of a refresh: under the traits lock, on the run the workspace has then (none, or not the
 * run `computedAt` names when given: nothing written; a full recompute since covered the marks).
 */
function write(
  es: EventStoreDb, ws: string, computedAt: string | null,
  fn: (c: Parameters<Parameters<EventStoreDb['write']>[0]>[0], run: TraitsRun) => Promise<boolean>,
): Promise<boolean> {
  return withTraitsLock(es, async () => {
    const run = await getRunCached(es, ws);
    if (!run || (computedAt !== null && run.computedAt !== computedAt)) return false;
    return es.write((c) => fn(c, run));
  });
}

const backoff = new WeakMap<EventStoreDb, Map<string, { until: number; failures: number }>>();
