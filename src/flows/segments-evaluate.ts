import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { getRun } from '../modules/profiles/index.ts';
import { clusterModelParams } from './segments-auto.ts';
import {
  checkRule, compileRule, expandRule, getSegment, measureRule, hasCluster, resolveClusters, DAY_MS,
  type CompiledRule, type Rule, type RuleSize,
} from '../modules/segments/index.ts';

/**
 * Evaluation of segment rules across the stores (docs/segments.md): validation and expansion of
 * segment references (definitions in the operational store), resolution of social conditions to
 * raw ids from the social graph (operational store, `social_edges`), then one parameterised
 * DuckDB statement over computed traits, events and the identity mirror.
 */
export interface PreparedRule {
  /** The validated rule as given (what is stored). */
  rule: Rule;
  /** With segment references expanded (what is evaluated). */
  expanded: Rule;
  size: RuleSize;
}

/** Validates a rule from a client (400 with the path on any problem), expands references, checks the limits. */
export async function prepareRule(op: SqlRunner, ws: string, input: unknown, o: { path?: string; selfId?: string } = {}): Promise<PreparedRule> {
  const path = o.path ?? 'rule';
  const rule = checkRule(input, path);
  const segExpanded = await expandRule(rule, async (id) => (await getSegment(op, ws, id))?.rule ?? null, path, o.selfId);
  const expanded = hasCluster(segExpanded) ? await resolveClusters(segExpanded, (id) => clusterModelParams(op, ws, id), path) : segExpanded;
  return { rule, expanded, size: measureRule(expanded, path) };
}

const columnsCache = new WeakMap<EventStoreDb, Promise<Set<string>>>();
/** The columns of computed_traits (the schema only changes with migrations, at start). */
function traitColumns(es: EventStoreDb): Promise<Set<string>> {
  let p = columnsCache.get(es);
  if (!p) {
    p = es.read<{ name: string }>(`select column_name as name from information_schema.columns where table_name = 'computed_traits'`).then((r) => new Set(r.map((x) => x.name)));
    columnsCache.set(es, p);
  }
  return p;
}

/** The evaluation time: the end of the workspace's traits as-of day, else the end of today (UTC). */
export async function evaluationTime(es: EventStoreDb, ws: string): Promise<{ now: number; asOf: string }> {
  const run = await getRun(es, ws);
  const asOf = run?.asOf ?? new Date().toISOString().slice(0, 10);
  return { now: Date.parse(asOf + 'T00:00:00Z') + DAY_MS, asOf };
}

const KEY_SQL = `(case kind when 'user_id' then 'u:' else 'a:' end) || value`;

async function keysOfProfiles(es: EventStoreDb, ws: string, compiled: CompiledRule): Promise<string[]> {
  const r = await es.read<{ k: string }>(`select ${KEY_SQL} as k from profile_identities where workspace_id = $1 and profile_id in (select profile_id from (${compiled.sql}))`, compiled.params);
  return r.map((x) => x.k);
}

/**
 * Compiles an expanded rule for a workspace: each social node is first resolved to the raw ids
 * it matches (social edges are read live from the operational store, so a new follow counts at
 * once; a social condition "of a segment" evaluates that segment's rule first).
 */
export async function compileForWorkspace(op: SqlRunner, es: EventStoreDb, ws: string, expanded: Rule, now: number): Promise<CompiledRule> {
  const columns = await traitColumns(es);
  const socialKeys = new Map<Rule, string[]>();
  if (await hasInfluenceGraph(es, ws, columns)) return compileRule(expanded, { ws, now, columns, graph: 'profiles', socialKeys });
  const resolve = async (r: Rule): Promise<void> => {
    if ('all' in r) for (const c of r.all) await resolve(c);
    else if ('any' in r) for (const c of r.any) await resolve(c);
    else if ('not' in r) await resolve(r.not);
    else if ('segment' in r && r.resolved) await resolve(r.resolved);
    else if ('social' in r) {
      if (r.social === 'near_kol') {
        socialKeys.set(r, await nearKol(op, es, ws, r.hops, columns.has('is_kol')));
        return;
      }
      let from: string[];
      if ('userId' in r.of) from = [`u:${r.of.userId}`];
      else {
        const inner = r.of.resolved;
        if (!inner) throw new Error('social segment reference not expanded');
        await resolve(inner);
        from = await keysOfProfiles(es, ws, compileRule(inner, { ws, now, columns, graph: 'ids', socialKeys }));
      }
      socialKeys.set(r, await neighboursOf(op, ws, r.social, from));
    }
  };
  await resolve(expanded);
  return compileRule(expanded, { ws, now, columns, graph: 'ids', socialKeys });
}

/**
 * Whether the workspace's influence traits are computed (the KOL flag is set on its people): then
 * the profile-level graph `influence_edges` is current as of the traits' day and social conditions
 * are evaluated inside the statement (docs/segments.md, "Social conditions").
 */
export async function hasInfluenceGraph(es: EventStoreDb, ws: string, columns?: ReadonlySet<string>): Promise<boolean> {
  const cols = columns ?? (await traitColumns(es));
  if (!cols.has('is_kol')) return false;
  const r = await es.read('select 1 from computed_traits where workspace_id = $1 and is_kol is not null limit 1', [ws]);
  return r.length > 0;
}

/** The ids at the other end of live edges of one relation from `from`. */
async function neighboursOf(op: SqlRunner, ws: string, relation: 'friend_of' | 'follower_of' | 'followed_by' | 'invited_by', from: string[]): Promise<string[]> {
  if (!from.length) return [];
  const sql = {
    friend_of: `select distinct dst as k from social_edges where workspace_id = $1 and type = 'friend' and src = any($2) and removed_at is null`,
    followed_by: `select distinct dst as k from social_edges where workspace_id = $1 and type = 'follow' and src = any($2) and removed_at is null`,
    invited_by: `select distinct dst as k from social_edges where workspace_id = $1 and type = 'invite' and src = any($2) and removed_at is null`,
    follower_of: `select distinct src as k from social_edges where workspace_id = $1 and type = 'follow' and dst = any($2) and removed_at is null`,
  }[relation];
  return (await op.query<{ k: string }>(sql, [ws, from])).rows.map((x) => x.k);
}

/** Ids within `hops` live edges (any type, either direction) of a KOL's ids, the KOLs' own ids excluded. */
async function nearKol(op: SqlRunner, es: EventStoreDb, ws: string, hops: number, hasKol: boolean): Promise<string[]> {
  if (!hasKol) return [];
  const kol = (await es.read<{ k: string }>(
    `select ${KEY_SQL} as k from profile_identities where workspace_id = $1 and profile_id in (select profile_id from computed_traits where workspace_id = $1 and is_kol)`, [ws])).map((x) => x.k);
  const seen = new Set(kol);
  let frontier = kol;
  for (let h = 0; h < hops && frontier.length; h++) {
    const r = await op.query<{ k: string }>(
      `select dst as k from social_edges where workspace_id = $1 and type = any($3) and src = any($2) and removed_at is null
       union select src from social_edges where workspace_id = $1 and dst = any($2) and removed_at is null`,
      [ws, frontier, ['friend', 'follow', 'invite']],
    );
    frontier = r.rows.map((x) => x.k).filter((k) => !seen.has(k));
    for (const k of frontier) seen.add(k);
  }
  const kolSet = new Set(kol);
  return [...seen].filter((k) => !kolSet.has(k));
}

/**
 * The profile ids (sorted) matching a rule in a workspace, now (as of the traits' day). `rule` is
 * validated and expanded here (a bad rule throws the coded 400 errors). For other flows.
 */
export async function evaluateRule(es: EventStoreDb, op: SqlRunner, ws: string, rule: unknown): Promise<string[]> {
  const { expanded } = await prepareRule(op, ws, rule);
  const { now } = await evaluationTime(es, ws);
  const c = await compileForWorkspace(op, es, ws, expanded, now);
  return (await es.read<{ profile_id: string }>(`select profile_id from (${c.sql}) order by profile_id`, c.params)).map((x) => x.profile_id);
}

export interface PreviewSample {
  profileId: string; userId: string | null; orders: number | null; gmv: number | null; lastOrderAt: string | null;
  rfmSegment: string | null; lifecycleStage: string | null;
}
export interface Preview { count: number; sample: PreviewSample[]; tookMs: number; asOf: string; cost: number }

/** Live preview over the whole workspace: the count and a sample (a stable pseudo-random choice) of the matching people. */
export async function previewRule(es: EventStoreDb, op: SqlRunner, ws: string, rule: unknown, sample = 10): Promise<Preview> {
  const t0 = performance.now();
  const { expanded, size } = await prepareRule(op, ws, rule);
  const { now, asOf } = await evaluationTime(es, ws);
  const c = await compileForWorkspace(op, es, ws, expanded, now);
  const n = c.params.length;
  const rows = await es.read<{ n: number; profile_id: string | null; user_id: string | null; orders: number | null; gmv: number | null; last_order_at: Date | null; rfm_segment: string | null; lifecycle_stage: string | null }>(
    `with m as materialized (${c.sql}),
     s as (select t.profile_id, t.user_id, t.orders, t.gmv::double as gmv, t.last_order_at, t.rfm_segment, t.lifecycle_stage
           from computed_traits t where t.workspace_id = $1 and t.profile_id in (select profile_id from m) order by hash(t.profile_id), t.profile_id limit $${n + 1})
     select (select count(*) from m) as n, s.* from (select 1) one left join s on true`,
    [...c.params, sample],
  );
  return {
    count: Number(rows[0]?.n ?? 0),
    sample: rows.filter((r) => r.profile_id !== null).map((r) => ({
      profileId: r.profile_id!, userId: r.user_id, orders: r.orders, gmv: r.gmv, lastOrderAt: r.last_order_at?.toISOString() ?? null,
      rfmSegment: r.rfm_segment, lifecycleStage: r.lifecycle_stage,
    })),
    tookMs: Math.round((performance.now() - t0) * 10) / 10,
    asOf,
    cost: size.cost,
  };
}
