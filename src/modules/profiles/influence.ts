import { DuckDBConnection, listValue, type DuckDBValue } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { IN_LIST_MAX, Params, profileIn } from './params.ts';
import { dropTraitsIndexes } from './indexes.ts';
import { centralityOf, clearCentralityStale, graphLinks, markCentralityStale, noteCentralityRefresh, storeCentrality, type CentralityRows } from './centrality.ts';
import { DEFAULT_PROFILE_SETTINGS } from './settings.ts';
import type { FactsQuery, Scope } from './facts.ts';
import type { SocialActionRow } from './social-actions.ts';

/**
 * Social influence traits (docs/profiles.md, "Social influence"), from `social_actions` (see
 * social-actions.ts) and the identity mirror, as of the end of the as-of day:
 *
 * - `influence_edges`: the profile-level graph (follow src→dst, friend both ways, invite
 *   inviter→invitee), live at the end of the day. A full run rebuilds it; a scoped run replaces
 *   the edges with an endpoint in the scope (every edge whose state or endpoints can have changed:
 *   new events are the scope's, and an id that changed profile has both profiles in the scope).
 * - counts and downstream orders / GMV for a set of target profiles: the scope, the endpoints of
 *   edges that changed, and the sharers upstream (up to `depth` generations) of the shares the
 *   scope made, touched or ordered through: every profile whose influence row can have changed.
 * - `influence_centrality`: PageRank of the graph with each node's percentile (centrality.ts), in
 *   a full run; a scoped pass that changed the graph marks it stale for the centrality refresh
 *   (src/flows/traits-influence-refresh.ts); then centrality and the KOL flag from the stored values.
 *
 * The same statements with or without a scope filter, so an incremental pass writes what a full
 * recompute writes — once the influence refresh has run, for the two things a pass leaves to it:
 * centrality, and the counts of upstream sharers whose cascades are too large to recount in a pass.
 */

/**
 * Where the counts and downstream statements read from: the tables (full runs, and edges), or for a
 * scoped pass CTEs of the rows they can need, found by index lookups (`upstreamSources`,
 * `countsSources`): the same
 * statements over fewer rows, so the same result. `sa`: social_actions; `shares`: the rows that
 * define shares (each share id present with all of its rows, or with all of its `share` rows);
 * `pi`: the identity mirror; `ie`: the graph.
 */
interface Sources { sa: string; shares: string; pi: string; ie: string; ctes: string[] }
const TABLES: Sources = { sa: 'social_actions', shares: 'social_actions', pi: 'profile_identities', ie: 'influence_edges', ctes: [] };

const pi = (alias: string, ws: string, kind: 'user_id' | 'anonymous_id', value: string, mirror = TABLES.pi) =>
  `left join ${mirror} ${alias} on ${alias}.workspace_id = ${ws} and ${alias}.kind = '${kind}' and ${alias}.value = ${value}`;
/** Joins mapping a row (alias x, with user_id / anonymous_id) to its profile: the userId's, else the anonymousId's. */
const owner = (x: string, ws: string, mirror = TABLES.pi) =>
  `${pi(x + 'u', ws, 'user_id', x + '.user_id', mirror)} ${pi(x + 'a', ws, 'anonymous_id', x + '.anonymous_id', mirror)}`;
const ownerId = (x: string) => `coalesce(${x}u.profile_id, ${x}a.profile_id)`;

const DAY = 86_400_000;
function head(q: FactsQuery, p: Params) {
  const cutoffMs = Date.parse(q.asOf + 'T00:00:00Z') + DAY;
  if (!Number.isFinite(cutoffMs)) throw new Error(`bad as-of day ${q.asOf}`);
  return { ws: p.add(q.ws), cutoff: `${p.add(new Date(cutoffMs).toISOString())}::timestamptz` };
}

/** Rows of social_actions whose actor is one of the scope's ids (true without a scope). */
function byActor(p: Params, scope: Scope | null, x: string): string {
  if (!scope) return 'true';
  const parts: string[] = [];
  if (scope.userIds.length) parts.push(`list_contains(${p.list(scope.userIds)}, ${x}.user_id)`);
  if (scope.anonymousIds.length) parts.push(`list_contains(${p.list(scope.anonymousIds)}, ${x}.anonymous_id)`);
  return parts.length ? `(${parts.join(' or ')})` : 'false';
}

/** The social actions that make graph edges. */
const EDGE_KINDS = ['follow', 'unfollow', 'friend', 'unfriend', 'invite_accepted'];

/** The profile-level edges as of the day (with an endpoint in the scope, when there is one): `select type, src, dst`. */
function edgesSql(q: FactsQuery, p: Params): string {
  const { ws, cutoff } = head(q, p);
  let filter = '';
  if (q.scope) {
    const actor = byActor(p, q.scope, 'x');
    const named = q.scope.userIds.length ? ` or list_contains(${p.list(q.scope.userIds)}, x.other_user_id)` : '';
    filter = `and (${actor}${named})`;
  }
  const inScope = q.scope ? `and (src in (select unnest(${p.list(q.scope.profiles)})) or dst in (select unnest(${p.list(q.scope.profiles)})))` : '';
  return `with m as (
      select x.kind, x.seq, x.ts, coalesce('u:' || x.user_id, 'a:' || x.anonymous_id) as me, 'u:' || x.other_user_id as other,
        ${ownerId('x')} as me_p, o.profile_id as other_p
      from social_actions x ${owner('x', ws)} ${pi('o', ws, 'user_id', 'x.other_user_id')}
      where x.workspace_id = ${ws} and x.ts < ${cutoff} and x.kind in (${EDGE_KINDS.map((k) => `'${k}'`).join(', ')})
        and x.other_user_id is not null and coalesce(x.user_id, x.anonymous_id) is not null ${filter}),
    fol as (select * from m where kind in ('follow', 'unfollow') qualify row_number() over (partition by me, other order by ts desc, seq desc) = 1),
    fr as (select * from m where kind in ('friend', 'unfriend') qualify row_number() over (partition by least(me, other), greatest(me, other) order by ts desc, seq desc) = 1)
    select distinct type, src, dst from (
      select 'follow' as type, me_p as src, other_p as dst from fol where kind = 'follow'
      union all select 'friend', me_p, other_p from fr where kind = 'friend'
      union all select 'friend', other_p, me_p from fr where kind = 'friend'
      union all select 'invite', other_p, me_p from m where kind = 'invite_accepted')
    where src is not null and dst is not null and src <> dst ${inScope}`;
}

/**
 * Replaces the stored graph edges of the scope (all of the workspace without one); returns the
 * endpoints of the edges that changed ('all' for a full run). A scoped run reads the recomputed and
 * the stored edges in one statement and writes only when they differ.
 */
async function refreshEdges(c: DuckDBConnection, q: FactsQuery): Promise<string[] | 'all'> {
  const p = new Params();
  const sql = edgesSql(q, p);
  if (!q.scope) {
    // The indexes are built again after the recompute's commit (indexes.ts).
    await dropTraitsIndexes(c, 'influence_edges');
    await c.run('delete from influence_edges where workspace_id = $1', [q.ws]);
    await c.run(`insert into influence_edges select ${p.add(q.ws)}, type, src, dst from (${sql})`, p.values);
    return 'all';
  }
  const sp = p.list(q.scope.profiles);
  const wsP = p.add(q.ws);
  const r = await c.runAndReadAll(
    `with e as (${sql})
     select true as new, type, src, dst from e
     union all select false, type, src, dst from influence_edges
       where workspace_id = ${wsP} and (src in (select unnest(${sp})) or dst in (select unnest(${sp})))`, p.values);
  // getColumnsJS gives no columns at all for an empty result.
  const cols = r.getColumnsJS();
  const [isNew, types, srcs, dsts] = [0, 1, 2, 3].map((i) => cols[i] ?? []) as [boolean[], string[], string[], string[]];
  const fresh = new Map<string, [string, string, string]>();
  const stored = new Set<string>();
  for (let i = 0; i < isNew.length; i++) {
    const k = `${types[i]}\u0000${srcs[i]}\u0000${dsts[i]}`;
    if (isNew[i]) fresh.set(k, [types[i]!, srcs[i]!, dsts[i]!]);
    else stored.add(k);
  }
  const changed = new Set<string>();
  for (const [k, [, a, b]] of fresh) if (!stored.has(k)) changed.add(a).add(b);
  for (const k of stored) {
    if (fresh.has(k)) continue;
    const [, a, b] = k.split('\u0000');
    changed.add(a!).add(b!);
  }
  if (changed.size) {
    await c.run(`delete from influence_edges where workspace_id = $1 and (src in (select unnest($2::varchar[])) or dst in (select unnest($2::varchar[])))`,
      [q.ws, listValue(q.scope.profiles)]);
    const a = await c.createAppender('influence_edges');
    for (const [type, src, dst] of fresh.values()) {
      a.appendVarchar(q.ws);
      a.appendVarchar(type);
      a.appendVarchar(src);
      a.appendVarchar(dst);
      a.endRow();
    }
    a.closeSync();
  }
  return [...changed].sort();
}

/** Sharers of the shares the scope made (and their parents), touched or ordered through, and of their ancestors up to `depth` generations. */
async function upstreamSharers(c: DuckDBConnection, q: FactsQuery, depth: number, restrict: boolean): Promise<string[]> {
  const p = new Params();
  const { ws, cutoff } = head(q, p);
  const src = restrict && q.scope ? await upstreamSources(c, q, p, depth) : TABLES;
  const actor = byActor(p, q.scope, 'x');
  const r = await c.runAndReadAll(`with recursive ${src.ctes.map((x) => x + ',').join('\n')}
    soi as (
      select share_id from ${src.sa} x where x.workspace_id = ${ws} and x.ts < ${cutoff} and x.kind in ('share', 'touch', 'order') and x.share_id is not null and ${actor}
      union select parent_share_id from ${src.sa} x where x.workspace_id = ${ws} and x.ts < ${cutoff} and x.kind = 'share' and x.parent_share_id is not null and ${actor}),
    ${shareDefs(ws, cutoff, src)},
    up(share_id, d) as (
      select share_id, 0 from soi
      union select s.parent_share_id, up.d + 1 from up join sdef s on s.share_id = up.share_id where s.parent_share_id is not null and up.d < ${p.add(depth)})
    select distinct sdef.sharer from up join sdef using (share_id) where sdef.sharer is not null order by 1`, p.values);
  return (r.getRowObjectsJS() as Array<{ sharer: string }>).map((x) => x.sharer);
}

/** `sdef(share_id, parent_share_id, sharer)`: each share as its first `Product Shared` (by arrival) before the cutoff defines it. */
const shareDefs = (ws: string, cutoff: string, src: Sources) => `sd0 as (
      select share_id, parent_share_id, user_id, anonymous_id from ${src.shares}
      where workspace_id = ${ws} and ts < ${cutoff} and kind = 'share' qualify row_number() over (partition by share_id order by seq) = 1),
    sdef as (select s.share_id, s.parent_share_id, ${ownerId('s')} as sharer from sd0 s ${owner('s', ws, src.pi)})`;

/**
 * `select profile_id, followers, …, downstream_gmv` of the target profiles (null = every profile of
 * the workspace) from these sources (built on the same Params).
 */
function countsSql(q: FactsQuery, p: Params, src: Sources, targets: string[] | null, depth: number): string {
  const { ws, cutoff } = head(q, p);
  const tgt = targets ? `select profile_id from computed_traits where ${profileIn(p, targets)}` : `select profile_id from computed_traits where workspace_id = ${ws}`;
  // Rows of social_actions of the targets' ids (all rows without targets).
  const ofTargets = (x: string) => targets
    ? `(${x}.user_id in (select value from tid where kind = 'user_id') or ${x}.anonymous_id in (select value from tid where kind = 'anonymous_id'))`
    : 'true';
  const sql = `with recursive ${src.ctes.map((x) => x + ',').join('\n')}
    tgt as materialized (${tgt}),
    tid as (select kind, value from ${src.pi} where workspace_id = ${ws} and profile_id in (select profile_id from tgt)),
    e_out as (
      select src as profile_id, count(*) filter (where type = 'follow') as following, count(*) filter (where type = 'friend') as friends,
        count(*) filter (where type = 'invite') as invites_accepted
      from ${src.ie} where workspace_id = ${ws} and src in (select profile_id from tgt) group by 1),
    e_in as (
      select dst as profile_id, count(*) as followers
      from ${src.ie} where workspace_id = ${ws} and type = 'follow' and dst in (select profile_id from tgt) group by 1),
    sao as materialized (
      select x.kind, x.seq, x.ts, x.user_id, x.anonymous_id, x.share_id, x.invite_id, x.order_id, x.amount, ${ownerId('x')} as owner
      from ${src.sa} x ${owner('x', ws, src.pi)}
      where x.workspace_id = ${ws} and x.ts < ${cutoff} and x.kind in ('invite_sent', 'touch', 'order', 'cancel')),
    inv as (
      select x.owner as profile_id, count(distinct coalesce(x.invite_id, 'seq:' || x.seq)) as n
      from sao x where x.kind = 'invite_sent' and ${ofTargets('x')} group by 1),
    ${shareDefs(ws, cutoff, src)},
    own as (select sharer as profile_id, share_id from sdef where sharer in (select profile_id from tgt)),
    dn(profile_id, share_id, d) as (
      select profile_id, share_id, 0 from own
      union select dn.profile_id, s.share_id, dn.d + 1 from dn join sdef s on s.parent_share_id = dn.share_id where dn.d < ${p.add(depth)}),
    dset as (select distinct profile_id, share_id from dn),
    dsh as (select distinct share_id from dset),
    tch as (select x.share_id, x.owner as visitor from sao x where x.kind = 'touch' and x.share_id in (select share_id from dsh)),
    clicks as (
      select o.profile_id, count(distinct o.share_id || chr(1) || t.visitor) as n
      from own o join tch t on t.share_id = o.share_id where t.visitor is not null and t.visitor <> o.profile_id group by 1),
    nord as (select x.owner as buyer from sao x where x.kind = 'order' and x.share_id in (select share_id from dsh)),
    cb as (select visitor as profile_id from tch where visitor is not null union select buyer from nord where buyer is not null),
    cbid as (select kind, value from ${src.pi} where workspace_id = ${ws} and profile_id in (select profile_id from cb)),
    bx as (
      select x.kind, x.seq, x.ts, x.share_id, x.order_id, x.amount, x.owner as buyer from sao x
      where x.kind in ('order', 'cancel', 'touch')
        and (x.user_id in (select value from cbid where kind = 'user_id') or x.anonymous_id in (select value from cbid where kind = 'anonymous_id'))),
    bxp as (select * from bx where buyer in (select profile_id from cb)),
    ord as (
      select buyer, seq, ts, order_id, share_id, amount from bxp where kind = 'order'
      qualify row_number() over (partition by buyer, coalesce(order_id, 'seq:' || seq) order by seq) = 1),
    can as (select distinct buyer, order_id from bxp where kind = 'cancel'),
    ordc as (select o.* from ord o where not exists (select 1 from can where can.buyer = o.buyer and can.order_id = o.order_id)),
    att as (
      select o.buyer, o.seq, any_value(o.amount) as amount,
        coalesce(any_value(o.share_id), first(t.share_id order by t.ts desc, t.seq desc)) as share_id
      from ordc o left join bxp t on t.kind = 'touch' and t.buyer = o.buyer and t.ts <= o.ts and t.ts > o.ts - interval 7 day
      group by o.buyer, o.seq),
    dwn as (
      select profile_id, count(*) as orders, sum(amount) as gmv
      from (select distinct d.profile_id, a.buyer, a.seq, a.amount from att a join dset d on d.share_id = a.share_id) group by 1),
    shc as (select profile_id, count(*) as n from own group by 1)
    select t.profile_id,
      coalesce(e_in.followers, 0)::integer as followers, coalesce(e_out.following, 0)::integer as following,
      coalesce(e_out.friends, 0)::integer as friends, coalesce(inv.n, 0)::integer as invites_sent,
      coalesce(e_out.invites_accepted, 0)::integer as invites_accepted, coalesce(shc.n, 0)::integer as shares,
      coalesce(clicks.n, 0)::integer as share_clicks, coalesce(dwn.orders, 0)::integer as downstream_orders,
      coalesce(dwn.gmv, 0)::decimal(18,2) as downstream_gmv
    from tgt t left join e_in using (profile_id) left join e_out using (profile_id) left join inv using (profile_id)
      left join shc using (profile_id) left join clicks using (profile_id) left join dwn using (profile_id)`;
  return sql;
}

/** Writes the counts and downstream orders / GMV of the target profiles (null = every profile of the workspace) from these sources. */
async function writeCounts(c: DuckDBConnection, q: FactsQuery, p: Params, src: Sources, targets: string[] | null, depth: number): Promise<void> {
  const sql = countsSql(q, p, src, targets, depth);
  const rows = targets ? profileIn(p, targets, 't') : `t.workspace_id = ${p.add(q.ws)}`;
  await c.run(
    `update computed_traits t set ${COUNT_COLUMNS.map(([k]) => `${k} = x.${k}`).join(', ')}
     from (${sql}) x where ${rows} and t.profile_id = x.profile_id
       and (${COUNT_COLUMNS.map(([k]) => `t.${k} is distinct from x.${k}`).join(' or ')})`,
    p.values,
  );
}

/** Centrality, its percentile and the KOL flag of the targets (null = every profile), from the stored centrality and followers. */
async function writeKol(c: DuckDBConnection, q: Pick<FactsQuery, 'ws' | 'settings'>, targets: string[] | null): Promise<void> {
  const kol = (q.settings.influence ?? DEFAULT_PROFILE_SETTINGS.influence).kol;
  const p = new Params();
  const ws = p.add(q.ws);
  const minF = p.add(kol.minFollowers);
  const pct = kol.minCentralityPercentile === null ? 'false' : `c.percentile >= ${p.add(kol.minCentralityPercentile)}`;
  // The targets' rows by index (a materialized lookup: no other filter is pushed into it).
  const ct = targets ? `with ct as materialized (select workspace_id, profile_id, followers from computed_traits where ${profileIn(p, targets)})` : '';
  const rows = targets ? profileIn(p, targets, 't') : `t.workspace_id = ${ws}`;
  await c.run(
    `update computed_traits t set centrality = x.c, centrality_percentile = x.p, is_kol = x.k
     from (${ct}
       select ct.profile_id, coalesce(c.centrality, 0) as c, c.percentile as p,
         (coalesce(ct.followers, 0) >= ${minF} or coalesce(${pct}, false)) as k
       from ${targets ? 'ct' : 'computed_traits ct'} left join influence_centrality c on c.workspace_id = ct.workspace_id and c.profile_id = ct.profile_id
       where ct.workspace_id = ${ws}) x
     where ${rows} and t.profile_id = x.profile_id
       and (t.centrality is distinct from x.c or t.centrality_percentile is distinct from x.p or t.is_kol is distinct from x.k)`,
    p.values,
  );
}

/**
 * The influence step of a traits computation, after the scope's rows are written: graph edges,
 * counts and downstream of every profile whose values can have changed (or, for upstream sharers
 * past the lookups' limit, a mark for the influence refresh), then centrality and KOL.
 * A full run computes PageRank in its snapshot; a scoped pass that changed an edge marks the
 * centrality stale instead (centrality.ts: the refresh recomputes it outside the pass) and writes
 * its targets' KOL flags from the stored centrality. On the caller's write transaction.
 */
export async function writeInfluence(c: DuckDBConnection, q: FactsQuery, o: { graphUnchanged?: boolean } = {}): Promise<void> {
  const depth = (q.settings.influence ?? DEFAULT_PROFILE_SETTINGS.influence).depth;
  // A scoped pass that cannot have changed an edge (influenceChanges: 'counts') keeps the graph.
  const changed = q.scope && o.graphUnchanged ? [] : await refreshEdges(c, q);
  if (!q.scope || changed === 'all') {
    await writeCounts(c, q, new Params(), TABLES, null, depth);
    await clearCountsStale(c, q.ws, null);
    await storeCentrality(c, q.ws, centralityOf(await graphLinks(c, q.ws)));
    await clearCentralityStale(c, q.ws);
    await writeKol(c, q, null);
    return;
  }
  // A scope's statements read only the rows they can need, found by index (upstreamSources, countsSources).
  const direct = new Set([...q.scope.profiles, ...changed]);
  const upstream = (await upstreamSharers(c, q, depth, true)).filter((x) => !direct.has(x));
  const targets = [...direct, ...upstream].sort();
  let p = new Params();
  let src = await countsSources(c, q, p, targets, depth);
  let counted = targets;
  if (src === TABLES && upstream.length) {
    // A cascade too large for index lookups (a big sharer upstream): recounting it would read the
    // whole tables inside the pass (seconds). The upstream sharers' counts are left to the
    // influence refresh when the scope's and the changed edges' profiles can be counted without
    // them by lookups; if those need the tables too, everyone is counted now (same cost).
    const dp = new Params();
    const dsrc = await countsSources(c, q, dp, [...direct].sort(), depth);
    if (dsrc !== TABLES) {
      counted = [...direct].sort();
      [p, src] = [dp, dsrc];
      await markCountsStale(c, q.ws, upstream);
    }
  }
  await writeCounts(c, q, p, src, counted, depth);
  // Counted now: an older value computed by a refresh in flight must not overwrite them (applyCounts).
  await clearCountsStale(c, q.ws, counted);
  if (changed.length) await markCentralityStale(c, q.ws);
  await writeKol(c, q, targets);
}

/** Records that these profiles' influence counts are left for the influence refresh. */
async function markCountsStale(c: DuckDBConnection, ws: string, profiles: string[]): Promise<void> {
  await c.run(`insert into influence_counts_pending (workspace_id, profile_id, since) select $1, unnest($2::varchar[]), now()`, [ws, listValue(profiles)]);
}

/**
 * Deletes the workspace's deferred-count marks: of these profiles (null = all), up to a mark id when
 * given; returns the profiles whose marks it deleted.
 */
async function clearCountsStale(c: DuckDBConnection, ws: string, profiles: string[] | null, upTo?: number): Promise<Set<string>> {
  const p = new Params();
  const where = [`workspace_id = ${p.add(ws)}`];
  if (profiles) where.push(`profile_id in (select unnest(${p.list(profiles)}))`);
  if (upTo !== undefined) where.push(`id <= ${p.add(upTo)}`);
  const r = await c.runAndReadAll(`delete from influence_counts_pending where ${where.join(' and ')} returning profile_id`, p.values, p.types);
  return new Set((r.getColumnsJS()[0] ?? []) as string[]);
}

/** A workspace with deferred influence counts: since when, the newest mark's id, the profiles. */
export interface StaleCounts { workspaceId: string; sinceMs: number; upTo: number; profiles: string[] }

export async function staleCounts(es: EventStoreDb): Promise<StaleCounts[]> {
  const r = await es.read<{ workspace_id: string; since_ms: number; up_to: number; profiles: string[] }>(
    `select workspace_id, epoch_ms(min(since)) as since_ms, max(id) as up_to, list(distinct profile_id order by profile_id) as profiles
     from influence_counts_pending group by workspace_id order by workspace_id`);
  return r.map((x) => ({ workspaceId: x.workspace_id, sinceMs: x.since_ms, upTo: x.up_to, profiles: x.profiles }));
}

/** Deferred influence counts computed by the refresh: the profiles, and per COUNT_COLUMNS column their values as text (exact). */
export interface CountsRows { profiles: string[]; columns: string[][] }
/** The columns countsSql gives and writeCounts / applyCounts write, with their types. */
const COUNT_COLUMNS = [
  ['followers', 'integer'], ['following', 'integer'], ['friends', 'integer'], ['invites_sent', 'integer'], ['invites_accepted', 'integer'],
  ['shares', 'integer'], ['share_clicks', 'integer'], ['downstream_orders', 'integer'], ['downstream_gmv', 'decimal(18,2)'],
] as const;

/**
 * The first half of a deferred-counts refresh, outside any transaction: the counts of these
 * profiles as the latest commit has them (read after `staleCounts` listed their marks), from the
 * whole tables (the cascades were too large for index lookups). GMV as decimal text (exact).
 */
export async function readCounts(es: EventStoreDb, q: Pick<FactsQuery, 'ws' | 'asOf' | 'settings'>, profiles: string[]): Promise<CountsRows> {
  const depth = (q.settings.influence ?? DEFAULT_PROFILE_SETTINGS.influence).depth;
  const p = new Params();
  const sql = countsSql({ ...q, scope: null }, p, TABLES, profiles, depth);
  const rows = await es.read<Record<string, string>>(`select profile_id, ${COUNT_COLUMNS.map(([k]) => `${k}::varchar as ${k}`).join(', ')} from (${sql}) order by profile_id`, p.values);
  return { profiles: rows.map((r) => r.profile_id!), columns: COUNT_COLUMNS.map(([k]) => rows.map((r) => r[k]!)) };
}

/**
 * The second half, on the caller's write transaction: deletes the workspace's deferred-count marks
 * up to `upTo` and writes the counts of the profiles whose marks it deleted. A profile a pass
 * recounted meanwhile (its marks deleted then) or a full recompute covered keeps its newer values;
 * one marked again after `upTo` keeps that mark for the next refresh. Returns the profiles written.
 */
export async function applyCounts(c: DuckDBConnection, q: Pick<FactsQuery, 'ws' | 'settings'>, rows: CountsRows, upTo: number): Promise<number> {
  const ws = q.ws;
  const covered = await clearCountsStale(c, ws, null, upTo);
  const keep = rows.profiles.map((x, i) => (covered.has(x) ? i : -1)).filter((i) => i >= 0);
  if (!keep.length) return 0;
  const p = new Params();
  const ids = keep.map((i) => rows.profiles[i]!);
  const x = `select unnest(${p.list(ids)}) as profile_id,
    ${COUNT_COLUMNS.map(([k, type], j) => `unnest(${p.list(keep.map((i) => rows.columns[j]![i]!))})::${type} as ${k}`).join(', ')}`;
  await c.run(
    `update computed_traits t set ${COUNT_COLUMNS.map(([k]) => `${k} = x.${k}`).join(', ')}
     from (${x}) x where ${profileIn(p, ids, 't')} and t.profile_id = x.profile_id`,
    p.values, p.types,
  );
  // The KOL rule reads followers.
  await writeKol(c, q, ids);
  return ids.length;
}

/**
 * The second half of a centrality refresh (the first, PageRank of the graph read after the stale
 * marks up to `upTo`, ran outside any transaction): on the caller's write transaction, clears
 * those marks and stores the centrality, then every profile's centrality and KOL flag. Writes
 * nothing and returns false when a full recompute cleared the marks meanwhile (its centrality is
 * newer). Newer marks stay: the graph changed again, another refresh follows.
 */
export async function applyCentrality(c: DuckDBConnection, q: Pick<FactsQuery, 'ws' | 'settings'>, rows: CentralityRows, upTo: number): Promise<boolean> {
  if (!(await clearCentralityStale(c, q.ws, upTo))) return false;
  await storeCentrality(c, q.ws, rows);
  await writeKol(c, q, null);
  await noteCentralityRefresh(c, q.ws);
  return true;
}

/**
 * What an incremental pass can have changed in the influence traits, so that the influence step
 * (or its graph part) can be skipped. The caller checks that the pass changed no mirror row (no
 * merge, un-merge or new identity: every action keeps its owner); then the traits can only change
 * through the social actions of the pass's seq range (after, upTo], before the cutoff:
 *
 * - 'none' when every such action is an order without a `share_id` of its own whose buyer has no
 *   share touch in the 7-day attribution window before it: it is credited to no share (counts
 *   nowhere downstream), and an order changes nothing else. The touches looked for are those of
 *   any of `ids` (the scope's mirror rows, the buyer's among them) by the social_actions indexes:
 *   a superset of the buyer's, so the answer errs on the side of running the step;
 * - 'counts' when no action is a follow, unfollow, friend, unfriend or accepted invite: the graph
 *   (influence_edges, hence centrality) is unchanged, counts and downstream may not be;
 * - 'all' otherwise.
 */
export async function influenceChanges(
  c: DuckDBConnection | EventStoreDb, ws: string, asOf: string, after: number, upTo: number, ids: Array<{ kind: string; value: string }>,
  rangeRows: SocialActionRow[] | null = null,
): Promise<'none' | 'counts' | 'all'> {
  // On the event store's readers only with the range's rows given: the table's rows of the range may not be committed yet.
  if (!(c instanceof DuckDBConnection) && !rangeRows) throw new Error('influenceChanges: a read outside the transaction needs the range\'s rows');
  const read = async (sql: string, values: DuckDBValue[]) => (c instanceof DuckDBConnection ? (await c.runAndReadAll(sql, values)).getRowObjectsJS() : await c.read<Record<string, unknown>>(sql, values));
  let x: { edges: number; active: number; o_min: string | null; o_max: string | null } | undefined;
  if (rangeRows) {
    // The range's actions as refreshSocialActions extracted them: the statement below, in JS.
    const cutoffUs = (Date.parse(asOf + 'T00:00:00Z') + DAY) * 1000;
    const rows = rangeRows.filter((a) => a.workspaceId === ws && a.us < cutoffUs);
    const orders = rows.filter((a) => a.kind === 'order').map((a) => a.us);
    x = {
      edges: rows.filter((a) => EDGE_KINDS.includes(a.kind)).length,
      active: rows.filter((a) => !(a.kind === 'order' && a.shareId === null)).length,
      o_min: orders.length ? usText(Math.min(...orders)) : null, o_max: orders.length ? usText(Math.max(...orders)) : null,
    };
  } else {
    const p = new Params();
    const { ws: wsP, cutoff } = head({ ws, asOf, scope: null, settings: DEFAULT_PROFILE_SETTINGS }, p);
    const r = await read(
      `select count(*) filter (where kind in (${EDGE_KINDS.map((k) => `'${k}'`).join(', ')}))::integer as edges,
         count(*) filter (where not (kind = 'order' and share_id is null))::integer as active,
         (min(ts) filter (where kind = 'order'))::varchar as o_min, (max(ts) filter (where kind = 'order'))::varchar as o_max
       from social_actions where seq > ${p.add(after)} and seq <= ${p.add(upTo)} and workspace_id = ${wsP} and ts < ${cutoff}`,
      p.values,
    );
    x = r[0] as typeof x;
  }
  if (!x) return 'none';
  if (x.edges > 0) return 'all';
  if (x.active > 0) return 'counts';
  if (x.o_min === null || x.o_max === null) return 'none';
  const users = [...new Set(ids.filter((i) => i.kind === 'user_id').map((i) => i.value))];
  const anons = [...new Set(ids.filter((i) => i.kind === 'anonymous_id').map((i) => i.value))];
  if (!users.length && !anons.length) return 'none';
  const t = new Params();
  const lookups: string[] = [];
  const parts: string[] = [];
  if (users.length) {
    lookups.push(`tu as materialized (select workspace_id, kind, ts from social_actions where user_id in ${t.inList(users)})`);
    parts.push('select * from tu');
  }
  if (anons.length) {
    lookups.push(`ta as materialized (select workspace_id, kind, ts from social_actions where anonymous_id in ${t.inList(anons)})`);
    parts.push('select * from ta');
  }
  const n = await read(
    `with ${lookups.join(', ')} select count(*)::integer as n from (${parts.join(' union all ')})
     where workspace_id = ${t.add(ws)} and kind = 'touch' and ts > ${t.add(x.o_min)}::timestamptz - interval 7 day and ts <= ${t.add(x.o_max)}::timestamptz`,
    t.values,
  );
  return ((n[0] as { n: number }).n ?? 0) === 0 ? 'none' : 'counts';
}

/** A time in µs since the epoch as exact ISO text (a timestamptz literal). */
function usText(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/**
 * Index lookups for the scoped statements (DuckDB answers `col in (constants)` from an ART index
 * only when it is the scan's one filter, so each lookup is a materialized CTE): one CTE per
 * non-empty list, `name_<col>`, and the SELECTs that read them.
 */
function lookups(p: Params, name: string, table: string, cols: string, by: Array<[string, Iterable<string>]>): { ctes: string[]; selects: string[] } {
  const ctes: string[] = [];
  const selects: string[] = [];
  for (const [col, values] of by) {
    const v = [...new Set(values)].filter((x) => x !== null && x !== undefined);
    if (!v.length) continue;
    ctes.push(`${name}_${col} as materialized (select ${cols} from ${table} where ${col} in ${p.inList(v)})`);
    selects.push(`select * from ${name}_${col}`);
  }
  return { ctes, selects };
}

interface SaRow { kind: string; share_id: string | null; parent_share_id: string | null; user_id: string | null; anonymous_id: string | null }

/** The workspace's social actions with these actors, share ids or parent share ids (by the social_actions indexes). */
async function fetchSocial(c: DuckDBConnection, ws: string, by: Array<[string, Iterable<string>]>): Promise<SaRow[]> {
  const p = new Params();
  const l = lookups(p, 'f', 'social_actions', 'workspace_id, kind, share_id, parent_share_id, user_id, anonymous_id', by);
  if (!l.ctes.length) return [];
  const r = await c.runAndReadAll(
    `with ${l.ctes.join(', ')} select kind, share_id, parent_share_id, user_id, anonymous_id from (${l.selects.join(' union all ')}) where workspace_id = ${p.add(ws)}`,
    p.values);
  return r.getRowObjectsJS() as unknown as SaRow[];
}

/** The workspace's mirror rows of these ids or profiles (by the profile_identities indexes). */
async function fetchMirror(c: DuckDBConnection, ws: string, by: Array<[string, Iterable<string>]>): Promise<Array<{ kind: string; value: string; profile_id: string }>> {
  const p = new Params();
  const l = lookups(p, 'm', 'profile_identities', 'workspace_id, kind, value, profile_id', by);
  if (!l.ctes.length) return [];
  const r = await c.runAndReadAll(
    `with ${l.ctes.join(', ')} select kind, value, profile_id from (${l.selects.join(' union all ')}) where workspace_id = ${p.add(ws)}`, p.values);
  return r.getRowObjectsJS() as Array<{ kind: string; value: string; profile_id: string }>;
}

/**
 * Whether a lookup list is past IN_LIST_MAX: then a lookup is a semi-join over a scan, and the
 * statements read the tables instead (a share with a large cascade; same result either way).
 */
const tooMany = (...sets: Array<Set<string> | string[]>) => sets.some((x) => (Array.isArray(x) ? new Set(x).size : x.size) > IN_LIST_MAX);

const idsOf = (rows: SaRow[]) => rows.flatMap((x) => [x.user_id, x.anonymous_id]).filter((x): x is string => !!x);

/**
 * The sources of a scoped statement: `sa_r` the social actions of these actors and share ids,
 * `sa_s` those of the share ids alone (every row of each: a share's defining row is among them),
 * or with `defIds` the `share` rows of those ids (their definitions), `pi_r` the mirror rows of
 * these ids and profiles, `ie_r` the edges with an endpoint among these profiles.
 */
function sourcesOf(p: Params, o: {
  userIds: Iterable<string>; anonIds: Iterable<string>; shareIds: Iterable<string>; defIds?: Iterable<string>; values: Iterable<string>; profiles: Iterable<string>; edgeProfiles: string[];
}): Sources {
  const shareIds = [...new Set(o.shareIds)];
  const sa = lookups(p, 'sa', 'social_actions', '*', [['user_id', o.userIds], ['anonymous_id', o.anonIds], ['share_id', shareIds]]);
  // The share definitions: the rows of the share ids already looked up, or (defIds) a lookup of their `share` rows.
  const defs = o.defIds ? lookups(p, 'sd', 'social_actions', '*', [['share_def', o.defIds]]) : null;
  const shares = defs ? defs.selects : sa.selects.filter((x) => x.endsWith('sa_share_id'));
  const pim = lookups(p, 'pi', 'profile_identities', '*', [['value', o.values], ['profile_id', o.profiles]]);
  const none = (t: string) => `select * from ${t} limit 0`;
  const ctes = [
    ...sa.ctes,
    ...(defs?.ctes ?? []),
    `sa_r as (${sa.selects.length ? sa.selects.join(' union ') : none('social_actions')})`,
    `sa_s as (${shares.length ? shares[0] : none('social_actions')})`,
    ...pim.ctes,
    `pi_r as (${pim.selects.length ? pim.selects.join(' union ') : none('profile_identities')})`,
  ];
  if (o.edgeProfiles.length) {
    const e = lookups(p, 'ie', 'influence_edges', '*', [['src', o.edgeProfiles], ['dst', o.edgeProfiles]]);
    ctes.push(...e.ctes, `ie_r as (${e.selects.join(' union ')})`);
  } else ctes.push(`ie_r as (${none('influence_edges')})`);
  return { sa: 'sa_r', shares: 'sa_s', pi: 'pi_r', ie: 'ie_r', ctes };
}

/**
 * Sources for upstreamSharers of a scope: the scope's actions, the defining (`share`) rows of the
 * share ids they name and of their ancestors up to `depth` generations (walked by share id through
 * `share_def`, every `share` row of an id: a superset of the first), and the mirror rows of the ids
 * on those rows (the sharers). Not every row of those shares: a big share's touches and orders are
 * thousands of rows, which put the lookups past IN_LIST_MAX and the statement on whole tables (~1 s).
 */
async function upstreamSources(c: DuckDBConnection, q: FactsQuery, p: Params, depth: number): Promise<Sources> {
  const s = q.scope!;
  const mine = await fetchSocial(c, q.ws, [['user_id', s.userIds], ['anonymous_id', s.anonymousIds]]);
  const visited = new Set<string>();
  let frontier = new Set(mine.flatMap((x) => [x.share_id, x.parent_share_id]).filter((x): x is string => !!x));
  const values = new Set<string>();
  for (let d = 0; d <= depth && frontier.size; d++) {
    for (const x of frontier) visited.add(x);
    if (tooMany(visited, values)) return TABLES;
    const rows = await fetchSocial(c, q.ws, [['share_def', frontier]]);
    for (const v of idsOf(rows)) values.add(v);
    frontier = new Set(rows.map((x) => x.parent_share_id).filter((x): x is string => !!x && !visited.has(x)));
  }
  if (tooMany(visited, values, s.userIds, s.anonymousIds)) return TABLES;
  return sourcesOf(p, { userIds: s.userIds, anonIds: s.anonymousIds, shareIds: [], defIds: visited, values, profiles: [], edgeProfiles: [] });
}

/**
 * Sources for writeCounts of some targets: their mirror rows and actions; the shares they made
 * and those up to `depth` generations below (walked by parent share id, a superset), with every
 * row of each; the profiles of the ids on those shares' touches and orders (visitors, buyers:
 * a superset), their mirror rows and their actions; the mirror rows of every id on those actions;
 * the targets' graph edges.
 */
async function countsSources(c: DuckDBConnection, q: FactsQuery, p: Params, targets: string[], depth: number): Promise<Sources> {
  const tid = await fetchMirror(c, q.ws, [['profile_id', targets]]);
  const tu = tid.filter((x) => x.kind === 'user_id').map((x) => x.value);
  const ta = tid.filter((x) => x.kind === 'anonymous_id').map((x) => x.value);
  const own = await fetchSocial(c, q.ws, [['user_id', tu], ['anonymous_id', ta]]);
  const values = new Set(idsOf(own));
  const visited = new Set<string>();
  let frontier = new Set(own.filter((x) => x.kind === 'share' && x.share_id).map((x) => x.share_id!));
  const onShares = new Set<string>();
  for (let d = 0; d <= depth && frontier.size; d++) {
    for (const x of frontier) visited.add(x);
    if (tooMany(visited, values)) return TABLES;
    // Every row of the frontier's shares, and (above the last generation) the rows naming them as parent.
    const rows = await fetchSocial(c, q.ws, d < depth ? [['share_id', frontier], ['parent_share_id', frontier]] : [['share_id', frontier]]);
    for (const x of rows) {
      if (x.share_id && frontier.has(x.share_id)) for (const v of idsOf([x])) onShares.add(v);
    }
    frontier = new Set(rows.filter((x) => x.kind === 'share' && x.share_id && !visited.has(x.share_id) && x.parent_share_id && frontier.has(x.parent_share_id)).map((x) => x.share_id!));
  }
  for (const v of onShares) values.add(v);
  if (tooMany(values, onShares)) return TABLES;
  // Visitors and buyers: every profile holding an id seen on those shares' rows.
  const cb = [...new Set((await fetchMirror(c, q.ws, [['value', onShares]])).map((x) => x.profile_id))];
  const cbid = await fetchMirror(c, q.ws, [['profile_id', cb]]);
  const cu = cbid.filter((x) => x.kind === 'user_id').map((x) => x.value);
  const ca = cbid.filter((x) => x.kind === 'anonymous_id').map((x) => x.value);
  if (tooMany(cu, ca, cb)) return TABLES;
  for (const v of idsOf(await fetchSocial(c, q.ws, [['user_id', cu], ['anonymous_id', ca]]))) values.add(v);
  if (tooMany(values, [...tu, ...cu], [...ta, ...ca], [...targets, ...cb])) return TABLES;
  return sourcesOf(p, {
    userIds: [...tu, ...cu], anonIds: [...ta, ...ca], shareIds: visited, values, profiles: [...targets, ...cb], edgeProfiles: targets,
  });
}
