import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { applyCentrality, centralityOffThread, getRunCached, readGraphLinks, staleCentrality, type CentralityRows, type GraphLinks } from '../modules/profiles/index.ts';
import { withTraitsLock } from './traits-recompute.ts';
import { timer } from './traits-incremental.ts';

/**
 * The centrality refresh (docs/profiles.md, "Social influence"): an incremental traits pass that
 * changes the influence graph only marks the workspace's centrality stale; this step recomputes
 * PageRank for every workspace whose oldest unrefreshed change is at least `delayMs` old, so a
 * burst of follows costs one refresh and centrality (and the KOL flags that use its percentile)
 * trails the graph by at most about `delayMs` plus the refresh itself. The graph is read and
 * PageRank computed (on a worker thread for large graphs) outside the traits lock and any write
 * transaction; only storing the result and the profiles' centrality / KOL columns holds them.
 */
export interface CentralityStepOptions {
  /** A change waits at least this long before its refresh (default 30 s; 0 = refresh every stale workspace now). */
  delayMs?: number;
  /** When given, the milliseconds of each phase are added to it (bench:segments). */
  timings?: Record<string, number>;
  /** PageRank of a graph (default centralityOffThread; tests give a failing one). */
  compute?: (links: GraphLinks) => Promise<CentralityRows>;
}

export const CENTRALITY_DELAY_MS = 30_000;

/** Refreshes the stale centralities that are due; returns how many workspaces it refreshed. */
export async function centralityStep(es: EventStoreDb, o: CentralityStepOptions = {}): Promise<number> {
  const delay = o.delayMs ?? CENTRALITY_DELAY_MS;
  const lap = timer(o.timings);
  let refreshed = 0;
  let failure: unknown = null;
  const held = backoff.get(es) ?? new Map<string, { until: number; failures: number }>();
  backoff.set(es, held);
  for (const s of await staleCentrality(es)) {
    if (Date.now() - s.sinceMs < delay) continue;
    const b = held.get(s.workspaceId);
    if (b && Date.now() < b.until) continue;
    try {
      lap('stale marks');
      // Read after the marks were listed: the graph includes every change up to s.upTo.
      const links = await readGraphLinks(es, s.workspaceId);
      lap('graph read');
      const rows = await (o.compute ?? centralityOffThread)(links);
      lap('pagerank');
      const applied = await withTraitsLock(es, async () => {
        const run = await getRunCached(es, s.workspaceId);
        if (!run) return false;
        return es.write((c) => applyCentrality(c, { ws: s.workspaceId, settings: run.settings }, rows, s.upTo));
      });
      lap('write');
      held.delete(s.workspaceId);
      if (applied) refreshed++;
    } catch (e) {
      // One workspace failing (a worker out of memory, say) does not hold the others: it waits
      // 5 s, 10 s, … up to 10 min before its next try; the error goes to the caller (logged).
      const failures = (b?.failures ?? 0) + 1;
      held.set(s.workspaceId, { until: Date.now() + Math.min(600_000, 5000 * 2 ** (failures - 1)), failures });
      failure ??= e;
    }
  }
  if (failure) throw failure;
  return refreshed;
}

const backoff = new WeakMap<EventStoreDb, Map<string, { until: number; failures: number }>>();
