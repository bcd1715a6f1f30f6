import type { DuckDBConnection } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { workerAnswer } from '../../platform/threads/index.ts';
import { pagerank } from './pagerank.ts';

/**
 * Graph centrality (docs/profiles.md, "Social influence"): PageRank of the workspace's influence
 * graph into `influence_centrality`. A full recompute computes it in its own transaction's snapshot;
 * an incremental pass that changes an edge only marks it stale (`markCentralityStale`, one row in
 * `influence_centrality_pending`), and the centrality refresh (src/flows/traits-influence-refresh.ts)
 * recomputes it later, outside the pass: PageRank is workspace-wide (seconds on a million-node
 * graph), so running it inline would hold every pass and ingest write behind it.
 */

/** The links of the graph: follow follower → followee, friend both ways, invite invitee → inviter. */
export interface GraphLinks { from: string[]; to: string[] }

/** Centrality = PageRank × N per node (sorted), and its percentile. */
export interface CentralityRows { nodes: string[]; centrality: Float64Array; percentile: Float64Array }

const LINKS_SQL = `select case when type = 'invite' then dst else src end as u, case when type = 'invite' then src else dst end as v
  from influence_edges where workspace_id = $1`;

/** The graph's links on a connection (inside a transaction: its snapshot). */
export async function graphLinks(c: DuckDBConnection, ws: string): Promise<GraphLinks> {
  const cols = (await c.runAndReadAll(LINKS_SQL, [ws])).getColumnsJS();
  return { from: (cols[0] ?? []) as string[], to: (cols[1] ?? []) as string[] };
}

/**
 * Centrality = PageRank × N (the mean over the graph's N nodes is 1), rounded to 6 decimals;
 * percentile = 100 · (rank − 1)/(N − 1) with rank 1 + the number of nodes of lower centrality (as
 * SQL percent_rank; 0 for a single node), rounded to 4 decimals.
 */
export function centralityOf(links: GraphLinks): CentralityRows {
  const { nodes, rank } = pagerank(links.from.map((u, i) => [u, links.to[i]!] as const));
  const n = nodes.length;
  const centrality = Float64Array.from(rank, (x) => Math.round(x * n * 1e6) / 1e6);
  const sorted = Float64Array.from(centrality).sort();
  const lower = (x: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const percentile = Float64Array.from(centrality, (x) => (n > 1 ? Math.round((10_000 * 100 * lower(x)) / (n - 1)) / 10_000 : 0));
  return { nodes, centrality, percentile };
}

/** Below this many links PageRank runs on the calling thread (a worker's start costs more). */
const WORKER_ABOVE = 20_000;

/** centralityOf on a worker thread for large graphs, so the caller's event loop keeps serving. */
export function centralityOffThread(links: GraphLinks): Promise<CentralityRows> {
  if (links.from.length <= WORKER_ABOVE) return Promise.resolve(centralityOf(links));
  return workerAnswer<{ rows?: CentralityRows; error?: string }>(new URL('./centrality-worker.ts', import.meta.url), { workerData: links }).then((m) => {
    if (!m.rows) throw new Error(m.error);
    return m.rows;
  });
}

/** Replaces the workspace's stored centrality. */
export async function storeCentrality(c: DuckDBConnection, ws: string, rows: CentralityRows): Promise<void> {
  await c.run('delete from influence_centrality where workspace_id = $1', [ws]);
  const a = await c.createAppender('influence_centrality');
  for (let i = 0; i < rows.nodes.length; i++) {
    a.appendVarchar(ws);
    a.appendVarchar(rows.nodes[i]!);
    a.appendDouble(rows.centrality[i]!);
    a.appendDouble(rows.percentile[i]!);
    a.endRow();
  }
  a.closeSync();
}

/** Records that the workspace's graph changed after its stored centrality was computed. */
export async function markCentralityStale(c: DuckDBConnection, ws: string): Promise<void> {
  await c.run('insert into influence_centrality_pending (workspace_id, since) values ($1, now())', [ws]);
}

/** A workspace whose stored centrality is older than its graph: since when, and the newest change's id. */
export interface StaleCentrality { workspaceId: string; sinceMs: number; upTo: number }

export async function staleCentrality(es: EventStoreDb): Promise<StaleCentrality[]> {
  const r = await es.read<{ workspace_id: string; since_ms: number; up_to: number }>(
    `select workspace_id, epoch_ms(min(since)) as since_ms, max(id) as up_to from influence_centrality_pending group by workspace_id order by workspace_id`);
  return r.map((x) => ({ workspaceId: x.workspace_id, sinceMs: x.since_ms, upTo: x.up_to }));
}

/** The graph's links as the latest commit has them (read after `staleCentrality`: at least as new as the changes it listed). */
export async function readGraphLinks(es: EventStoreDb, ws: string): Promise<GraphLinks> {
  const r = await es.read<{ u: string; v: string }>(LINKS_SQL, [ws]);
  return { from: r.map((x) => x.u), to: r.map((x) => x.v) };
}

/**
 * Clears the workspace's stale marks: every one (a full recompute, which computed centrality in its
 * own snapshot), or those up to a change id (a refresh that read the graph after seeing them).
 * Returns whether any mark up to `upTo` was still there (false: a full recompute got there first).
 */
export async function clearCentralityStale(c: DuckDBConnection, ws: string, upTo?: number): Promise<boolean> {
  const r = await c.runAndReadAll(
    `delete from influence_centrality_pending where workspace_id = $1${upTo === undefined ? '' : ' and id <= $2'} returning id`,
    upTo === undefined ? [ws] : [ws, upTo]);
  return r.currentRowCount > 0;
}

/** Notes that a refresh rewrote the workspace's centrality columns now (outside any pass). */
export async function noteCentralityRefresh(c: DuckDBConnection, ws: string): Promise<void> {
  await c.run('delete from influence_centrality_refreshes where workspace_id = $1', [ws]);
  await c.run('insert into influence_centrality_refreshes values ($1, now())', [ws]);
}

/** When a centrality refresh last rewrote the workspace's centrality columns (ms since the epoch), or null. */
export async function centralityRefreshedAt(es: EventStoreDb, ws: string): Promise<number | null> {
  const r = await es.read<{ at: number | null }>('select epoch_ms(max(refreshed_at)) as at from influence_centrality_refreshes where workspace_id = $1', [ws]);
  return r[0]?.at ?? null;
}
