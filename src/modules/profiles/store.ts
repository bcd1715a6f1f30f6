import { DuckDBDateValue, type DuckDBConnection } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { factsParts, purchaseDaysSql, type FactsQuery, type Scope } from './facts.ts';
import { appendTraits, churnOfAggregates, round2, scopeAggregates, type KeptColumns, type ProfileAggregates } from './facts-scope.ts';
import { Params, profileIn } from './params.ts';
import { churnSql, type ChurnModel, type ChurnMetrics } from './churn.ts';
import { checkRanksSoon, rescoreAll, rescoreScope, scoreScope, type RankInput } from './rank-cache.ts';
import { writeInfluence } from './influence.ts';
import { dropTraitsIndexes } from './indexes.ts';
import { dayNumber, stageHistory, type StageChange } from './lifecycle.ts';
import type { ProfileSettings } from './settings.ts';

/** Writes of the computed profiles, each on the caller's DuckDB write transaction. */

export interface MirrorRow { kind: string; value: string; profileId: string }

/** Appends identity mirror rows (to `table`: the mirror, or the staging table of a full refresh). */
export async function appendMirrorRows(c: DuckDBConnection, ws: string, rows: Iterable<MirrorRow>, table = 'profile_identities') {
  const a = await c.createAppender(table);
  for (const r of rows) {
    a.appendVarchar(ws);
    a.appendVarchar(r.kind);
    a.appendVarchar(r.value);
    a.appendVarchar(r.profileId);
    a.endRow();
  }
  a.closeSync();
}

/**
 * Appends identity mirror rows from a CSV file of (kind, value, profile_id) in PostgreSQL's COPY
 * format (SqlRunner.copyCsv): NULL an unquoted empty field, `""` an empty text. Returns the number
 * of rows inserted. Never give it an empty file: in DuckDB 1.5 (an on-disk database, in a
 * transaction that has already written about a million rows) an insert from an empty CSV makes
 * the transaction's later inserts from CSV insert nothing, silently.
 */
export async function appendMirrorCsv(c: DuckDBConnection, ws: string, file: string, table = 'profile_identities'): Promise<number> {
  const path = `'${file.replace(/'/g, "''")}'`;
  const r = await c.runAndReadAll(
    `insert into ${table} select $1, kind, value, profile_id from read_csv(${path}, columns = {'kind': 'varchar', 'value': 'varchar', 'profile_id': 'varchar'},
       auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', new_line = '\\n', allow_quoted_nulls = false, strict_mode = true, parallel = false)`,
    [ws]);
  return Number(r.getRows()[0]?.[0] ?? 0);
}

/**
 * A full refresh of the identity mirror, in the caller's transaction: `beginMirrorRefresh`, then
 * `appendMirrorRows(c, ws, rows, MIRROR_STAGE)` page by page, then `applyMirrorRefresh`, which
 * changes only the rows that differ (the mirror's ART indexes make rewriting 2 million unchanged
 * rows cost ~40 s; the difference is usually small).
 */
export const MIRROR_STAGE = 'profile_identities_stage';
export async function beginMirrorRefresh(c: DuckDBConnection) {
  await c.run(`create or replace temp table ${MIRROR_STAGE} (workspace_id varchar not null, kind varchar not null, value varchar not null, profile_id varchar not null)`);
}
export async function applyMirrorRefresh(c: DuckDBConnection, ws: string) {
  // The difference in one join (rows on one side only), then only the statements it needs.
  await c.run(
    `create or replace temp table ${MIRROR_STAGE}_diff as
     select coalesce(s.kind, p.kind) as kind, coalesce(s.value, p.value) as value, coalesce(s.profile_id, p.profile_id) as profile_id, s.kind is not null as added
     from ${MIRROR_STAGE} s full join (select kind, value, profile_id from profile_identities where workspace_id = $1) p
       on s.kind = p.kind and s.value = p.value and s.profile_id = p.profile_id
     where s.kind is null or p.kind is null`, [ws]);
  const r = await c.runAndReadAll(`select count(*) filter (where added)::integer as a, count(*) filter (where not added)::integer as d from ${MIRROR_STAGE}_diff`);
  const [added, dropped] = r.getRows()[0] as [number, number];
  if (dropped) {
    await c.run(
      `delete from profile_identities p where p.workspace_id = $1
         and exists (select 1 from ${MIRROR_STAGE}_diff x where not x.added and x.kind = p.kind and x.value = p.value and x.profile_id = p.profile_id)`, [ws]);
  }
  if (added) await c.run(`insert into profile_identities select $1, kind, value, profile_id from ${MIRROR_STAGE}_diff where added`, [ws]);
  await c.run(`drop table ${MIRROR_STAGE}`);
  await c.run(`drop table ${MIRROR_STAGE}_diff`);
}

/**
 * Replaces the mirror rows of some profiles and identifiers (incremental refresh). Reads the rows
 * first (by index; `known`: the caller read them, a superset of those rows, under the traits lock)
 * and writes nothing when they are already the same; returns whether they changed, and the
 * profiles that gained or lost a row.
 */
export async function replaceMirrorRows(c: DuckDBConnection, ws: string, profiles: string[], rows: MirrorRow[], known?: MirrorRow[]): Promise<{ changed: boolean; moved: Set<string> }> {
  const values = [...new Set(rows.map((r) => r.value))];
  const current = known ?? await mirrorRowsOfTx(c, ws, values, profiles);
  const moved = mirrorMoves(profiles, rows, current);
  if (!moved.size) return { changed: false, moved };
  const keys = rows.map((r) => `${r.kind}\u0001${r.value}`);
  if (profiles.length) {
    const d = new Params();
    await c.run(`delete from profile_identities where workspace_id = ${d.add(ws)} and profile_id in ${d.inList(profiles)}`, d.values);
  }
  if (keys.length) {
    const d = new Params();
    await c.run(`delete from profile_identities where workspace_id = ${d.add(ws)} and value in ${d.inList(values)}
      and kind || chr(1) || value in (select unnest(${d.list(keys)}))`, d.values);
  }
  await appendMirrorRows(c, ws, rows);
  return { changed: true, moved };
}

/**
 * The profiles that gain or lose a mirror row (a new identifier, a merge, an un-merge) when the rows
 * of `profiles` and of the ids of `rows` become `rows`; `current`: the mirror's rows of those
 * profiles and values (a superset counts: rows of neither are left out).
 */
export function mirrorMoves(profiles: string[], rows: MirrorRow[], current: MirrorRow[]): Set<string> {
  const key = (kind: string, value: string, profileId: string) => `${kind}\u0001${value}\u0001${profileId}`;
  const idKeys = new Set(rows.map((x) => `${x.kind}\u0001${x.value}`));
  const inScope = new Set(profiles);
  const oldRows = current.filter((x) => inScope.has(x.profileId) || idKeys.has(`${x.kind}\u0001${x.value}`));
  const old = [...new Set(oldRows.map((x) => key(x.kind, x.value, x.profileId)))];
  const fresh = new Set(rows.map((r) => key(r.kind, r.value, r.profileId)));
  const moved = new Set<string>();
  for (const x of old) if (!fresh.has(x)) moved.add(x.slice(x.lastIndexOf('\u0001') + 1));
  const had = new Set(old);
  for (const r of rows) if (!had.has(key(r.kind, r.value, r.profileId))) moved.add(r.profileId);
  return moved;
}

/** A scope's stored traits rows as a pass reads them before its transaction: fold state and influence columns (as text). */
export interface StoredScopeRows { folds: Map<string, string | null>; kept: Map<string, Array<string | null>> }

/**
 * The stored fold states and influence columns of some profiles, on the store's readers. Outside a transaction:
 * exact for a caller holding the traits lock, as every writer of computed_traits does.
 */
export async function readStoredRows(db: EventStoreDb, profiles: string[]): Promise<StoredScopeRows> {
  const folds = new Map<string, string | null>();
  const kept = new Map<string, Array<string | null>>();
  if (!profiles.length) return { folds, kept };
  const p = new Params();
  const rows = await db.withReader(async (c) => (await c.runAndReadAll(
    `select profile_id, fold_state, ${keptSql()} from computed_traits where ${profileIn(p, profiles)}`,
    p.values, p.types)).getRowsJS());
  for (const r of rows) {
    const pid = r[0] as string;
    folds.set(pid, (r[1] ?? null) as string | null);
    kept.set(pid, INFLUENCE_COLS.map((_, i) => (r[i + 2] ?? null) as string | null));
  }
  return { folds, kept };
}

/**
 * A scope's aggregates computed on the store's readers before the pass's transaction, for
 * writeTraits' `pre` (the rows writeTraits would compute in it: the same query, the same fold input).
 * For a scope whose mirror rows stay as the readers see them (no id moves), under the traits lock.
 */
export async function aggregatesBefore(
  db: EventStoreDb, ws: string, asOf: string, settings: ProfileSettings, profiles: string[], mirror: MirrorRow[],
  fold: { after: number; upTo: number; stable: Set<string> }, stored: StoredScopeRows,
): Promise<NonNullable<WriteTraitsOptions['pre']>> {
  const q = { ws, asOf, scope: scopeFromRows(profiles, mirror), settings, foldUpTo: fold.upTo };
  const aggs = await db.withReader((c) => scopeAggregates(c, q, { states: stored.folds, ...fold }));
  return { aggs, kept: stored.kept };
}

/** mirrorRowsOf on a transaction's connection. */
async function mirrorRowsOfTx(c: DuckDBConnection, ws: string, values: string[], profiles: string[]): Promise<MirrorRow[]> {
  return mirrorRows(async (sql, p) => (await c.runAndReadAll(sql, p.values, p.types)).getRowObjectsJS() as unknown as RawMirrorRow[], ws, values, profiles);
}

interface RawMirrorRow { workspace_id: string; kind: string; value: string; profile_id: string }

/**
 * The workspace's distinct mirror rows with these values or profiles: one plain index lookup per
 * list (`parallel`: both at once, on a store's reader pool) (DuckDB answers `col in (constants)` from an ART index only when it is the scan's one filter;
 * a single statement with both lookups as CTEs costs twice their sum), the rest in JS.
 */
async function mirrorRows(read: (sql: string, p: Params) => Promise<RawMirrorRow[]>, ws: string, values: string[], profiles: string[], parallel = false): Promise<MirrorRow[]> {
  const out = new Map<string, MirrorRow>();
  const cols = 'workspace_id, kind, value, profile_id';
  const lookups = ([['value', [...new Set(values)]], ['profile_id', [...new Set(profiles)]]] as Array<[string, string[]]>).filter(([, list]) => list.length);
  const one = ([col, list]: [string, string[]]) => {
    const p = new Params();
    return read(`select ${cols} from profile_identities where ${col} in ${p.inList(list)}`, p);
  };
  const results = parallel ? await Promise.all(lookups.map(one)) : [];
  if (!parallel) for (const l of lookups) results.push(await one(l));
  for (const rows of results) {
    for (const x of rows) {
      if (x.workspace_id === ws) out.set(`${x.kind}\u0001${x.value}\u0001${x.profile_id}`, { kind: x.kind, value: x.value, profileId: x.profile_id });
    }
  }
  return [...out.values()];
}

/** The mirror rows of the workspace holding any of these values, or of any of these profiles (by index). */
export async function mirrorRowsOf(db: EventStoreDb, ws: string, values: string[], profiles: string[]): Promise<MirrorRow[]> {
  // Side by side on the store's readers.
  return mirrorRows((sql, p) => db.read<RawMirrorRow>(sql, p.values), ws, values, profiles, true);
}

/** The scope of some profiles from their mirror rows (the rows just written to the mirror). */
export function scopeFromRows(profiles: string[], rows: MirrorRow[]): Scope {
  const mine = new Set(profiles);
  const mirror = rows.filter((r) => mine.has(r.profileId) && (r.kind === 'user_id' || r.kind === 'anonymous_id'));
  return {
    profiles, mirror,
    userIds: [...new Set(mirror.filter((x) => x.kind === 'user_id').map((x) => x.value))],
    anonymousIds: [...new Set(mirror.filter((x) => x.kind === 'anonymous_id').map((x) => x.value))],
  };
}

/** The scope of some profiles: their raw ids as the mirror (on this connection) has them now. */
export async function scopeOf(c: DuckDBConnection, ws: string, profiles: string[]): Promise<Scope> {
  const p = new Params();
  const r = await c.runAndReadAll(
    // Index lookups as materialized CTEs (see facts.ts), then the workspace filter.
    `with x as materialized (select kind, value, profile_id, workspace_id from profile_identities where profile_id in ${p.inList(profiles)})
     select kind, value, profile_id from x where workspace_id = ${p.add(ws)}`,
    p.values,
  );
  return scopeFromRows(profiles, (r.getRowObjectsJS() as Array<{ kind: string; value: string; profile_id: string }>).map((x) => ({ kind: x.kind, value: x.value, profileId: x.profile_id })));
}

/** The influence columns of computed_traits (influence.ts writes them). */
const INFLUENCE_COLS: Array<[string, string]> = [
  ['followers', 'integer'], ['following', 'integer'], ['friends', 'integer'], ['invites_sent', 'integer'], ['invites_accepted', 'integer'],
  ['shares', 'integer'], ['share_clicks', 'integer'], ['downstream_orders', 'integer'], ['downstream_gmv', 'decimal(18,2)'],
  ['centrality', 'double'], ['centrality_percentile', 'double'], ['is_kol', 'boolean'],
];

/**
 * The influence columns of a profile with no influence (the values writeInfluence gives one), in a
 * full recompute's insert: its updates then write only the rows that differ (a minority: the graph's
 * people), not every row (an UPDATE of a million rows cost ~4 s).
 */
/** The influence columns a scope's rows keep, as text (exact for every type): what the delete returns and readStoredRows reads. */
const keptSql = () => INFLUENCE_COLS.map(([k]) => `${k}::varchar`).join(', ');
const INFLUENCE_ZERO = INFLUENCE_COLS.map(([k, t]) => `${k === 'centrality_percentile' ? 'null' : k === 'is_kol' ? 'false' : '0'}::${t} as ${k}`).join(', ');

const SCORE_COLS: Array<[string, string]> = [
  ['r_score', 'tinyint'], ['f_score', 'tinyint'], ['m_score', 'tinyint'], ['rfm_cell', 'varchar'], ['rfm_segment', 'varchar'], ['price_band', 'varchar'],
];

/** The rank-array view of a row computed in JS (the values computed_traits will hold: rfm_recency_days, cents, typical_price). */
function rankInput(a: ProfileAggregates, asOf: string): RankInput {
  const o = a.orders;
  const buyer = !!o && o.rfmN > 0;
  return {
    profileId: a.profileId, userId: a.userId, anonymousId: a.anonymousId, buyer,
    r: buyer && o.rfmLastDay !== null ? dayNumber(asOf) - o.rfmLastDay : null, f: o?.rfmN ?? 0, m: buyer ? o.rfmMonetary : null,
    band: a.price ? round2(a.price.median) : null,
  };
}

/**
 * The distinct purchase days (day numbers as lifecycle.ts `dayNumber` gives them, ascending) of each
 * buyer of a facts query's scope (null: the workspace) as of its day.
 */
export async function purchaseDays(c: DuckDBConnection, q: FactsQuery): Promise<Map<string, number[]>> {
  const d = purchaseDaysSql(q);
  const r = await c.runAndReadAll(d.sql, d.params.values);
  const [ids, days] = r.getColumnsJS() as [string[] | undefined, number[][] | undefined];
  const out = new Map<string, number[]>();
  (ids ?? []).forEach((id, i) => out.set(id, days![i]!));
  return out;
}

/** The lifecycle stage changes of buyers from their purchase days as of `q.asOf`. */
export function historiesFromDays(days: Map<string, number[]>, q: Pick<FactsQuery, 'asOf' | 'settings'>): Map<string, StageChange[]> {
  const end = dayNumber(q.asOf);
  const out = new Map<string, StageChange[]>();
  for (const [profileId, ds] of days) out.set(profileId, stageHistory(ds, end, q.settings.lifecycle));
  return out;
}

/** The lifecycle stage changes of the buyers of a facts query's scope (null: the workspace), from their purchase days. */
export async function lifecycleHistories(c: DuckDBConnection, q: FactsQuery): Promise<Map<string, StageChange[]>> {
  return historiesFromDays(await purchaseDays(c, q), q);
}

export interface WriteTraitsOptions {
  /**
   * What the pass can have changed in the influence traits (influence.ts, `influenceChanges`):
   * 'none': the scope's rows keep their stored influence columns and the influence step does not
   * run; 'counts': the graph is kept (no edges recomputed, no PageRank); 'all' (default): the step.
   */
  influence?: 'none' | 'counts' | 'all';
  /** Called after each phase (timings). */
  mark?: (phase: string) => void;
  /** Leave other profiles' scores moved by the scope's to the caller's `flushScores` (rank-cache.ts). */
  deferScores?: boolean;
  /**
   * A scope's aggregates and stored influence columns computed before the transaction (an
   * incremental pass whose ids did not move: traits-incremental.ts), in place of the delete's
   * returned rows and the facts read.
   */
  pre?: { aggs: ProfileAggregates[]; kept: Map<string, Array<string | null>> };
  /** A reader connection of the store (EventStoreDb.withReader): a scope's churn probabilities are computed there, beside the writer's statements. */
  reader?: <T>(fn: (c: DuckDBConnection) => Promise<T>) => Promise<T>;
  /**
   * An incremental pass's seq range, and the profiles of the scope whose identifiers did not change in
   * it (`stable`): those with a fold state of this run take their events of the range instead of
   * being read whole (facts-scope.ts).
   */
  fold?: { after: number; upTo: number; stable: Set<string> };
}

/**
 * Replaces the computed traits and lifecycle history of the scope (null = the whole workspace):
 * the history rows given, one traits row per mirror profile from the facts query (with the
 * lifecycle stage from the history and the churn probability from `model`), then rescoring of the
 * workspace-relative traits (RFM, price band) over the whole workspace, then the influence traits
 * (influence.ts: of the scope and of the profiles its social actions reach; in a full run centrality
 * workspace-wide; a pass leaves centrality after a graph change, and large cascades' upstream
 * counts, to the influence refresh).
 */
export async function writeTraits(c: DuckDBConnection, q: FactsQuery, history: Map<string, StageChange[]> | null, model: ChurnModel | null, o: WriteTraitsOptions = {}): Promise<void> {
  const mark = o.mark ?? (() => undefined);
  const keep = !!(o.influence === 'none' && q.scope);
  const d = new Params();
  const scoped = q.scope ? profileIn(d, q.scope.profiles) : `workspace_id = ${d.add(q.ws)}`;
  // A full write drops the profile_id indexes; they are built again after the commit (indexes.ts).
  if (!q.scope) for (const t of ['computed_traits', 'lifecycle_history']) await dropTraitsIndexes(c, t);
  // A scope's rows come back from the delete: their fold states, and the kept influence columns (as
  // text: exact for every type) for the insert.
  const pre = q.scope ? o.pre : undefined;
  // With the aggregates computed before, the churn probabilities on a reader from the start (a rejection is awaited below).
  let churnP = pre && o.reader ? churnOfAggregates(c, q, pre.aggs, model, o.reader) : null;
  churnP?.catch(() => undefined);
  const returning = q.scope && !pre ? ` returning profile_id, fold_state${keep ? `, ${keptSql()}` : ''}` : '';
  const del = await c.runAndReadAll(`delete from computed_traits where ${scoped}${returning}`, d.values);
  const deleted = q.scope && !pre ? del.getColumnsJS() : [];
  const deletedIds = (deleted[0] ?? []) as string[];
  mark('traits delete');
  // A scope's facts computed in JS (facts-scope.ts): from the stored fold states and the pass's
  // events where it can, else from the scope's events; the lifecycle history with them.
  const states = new Map(deletedIds.map((pid, r) => [pid, (deleted[1]?.[r] ?? null) as string | null]));
  const aggs = pre ? pre.aggs : q.scope ? await scopeAggregates(c, { ...q, scope: q.scope }, o.fold ? { states, ...o.fold } : undefined) : null;
  if (aggs && !pre) mark('facts read');
  // Else the churn probabilities on a reader while the writer rewrites the history.
  if (aggs && !churnP && o.reader) {
    churnP = churnOfAggregates(c, q, aggs, model, o.reader);
    churnP?.catch(() => undefined);
  }
  // The history rows of the profiles whose history can have changed: all of the scope (a profile
  // merged away has no aggregates) but those a fold left without a new order.
  const same = new Set(aggs?.filter((x) => !x.historyChanged).map((x) => x.profileId));
  const rewrite = q.scope && same.size ? q.scope.profiles.filter((p) => !same.has(p)) : null;
  if (!history) {
    if (aggs) history = new Map(aggs.filter((x) => x.historyChanged && x.history.length).map((x) => [x.profileId, x.history]));
    else history = await lifecycleHistories(c, q);
  }
  if (rewrite === null) await c.run(`delete from lifecycle_history where ${scoped}`, d.values);
  else if (rewrite.length) {
    const h = new Params();
    await c.run(`delete from lifecycle_history where ${profileIn(h, rewrite)}`, h.values);
  }
  if (history.size) {
    const a = await c.createAppender('lifecycle_history');
    for (const [profileId, changes] of history) {
      for (const h of changes) {
        a.appendVarchar(q.ws);
        a.appendVarchar(profileId);
        a.appendDate(new DuckDBDateValue(dayNumber(h.day)));
        a.appendVarchar(h.stage);
        a.appendVarchar(h.prevStage);
        a.endRow();
      }
    }
    a.closeSync();
  }
  mark(q.scope ? 'history' : 'traits delete');
  // Kept influence columns, as text by profile (exact for every type), carried into the insert.
  let kept: KeptColumns | null = null;
  if (keep) {
    const rows = new Map<string, Array<string | null>>();
    if (pre) for (const [pid, v] of pre.kept) rows.set(pid, v);
    else deletedIds.forEach((pid, r) => rows.set(pid, INFLUENCE_COLS.map((_, i) => (deleted[i + 2]?.[r] ?? null) as string | null)));
    kept = { cols: INFLUENCE_COLS, rows };
  }
  const churn = (p: Params) => (model ? `case when f.orders > 0 then ${churnSql(model, (v) => `${p.add(v)}::double`)} end` : 'null::double');
  let scored = false;
  if (aggs) {
    const carried: KeptColumns[] = kept ? [kept] : [];
    // The RFM scores and price band of the new rows, from the rank arrays (rank-cache.ts), written with them.
    const scores = await scoreScope(c, q.ws, q.scope!.profiles, aggs.map((a) => rankInput(a, q.asOf)), !!o.deferScores);
    if (scores) {
      scored = true;
      const rows = new Map([...scores].map(([pid, x]) => [pid, [x.r, x.f, x.m, x.cell, x.segment, x.band].map((v) => (v === null ? null : String(v)))]));
      carried.push({ cols: SCORE_COLS, rows });
    }
    mark('rescore');
    await appendTraits(c, q, aggs, carried, model, churnP ? await churnP : undefined);
  } else {
    const b = factsParts({ ...q, parts: 'all' });
    const p = b.params;
    const lc = `lc as (select profile_id, arg_max(stage, day) as stage, max(day) as since from lifecycle_history
      where workspace_id = ${p.add(q.ws)} group by profile_id)`;
    await c.run(
      `insert into computed_traits by name
       with ${[...b.ctes, lc].join(',\n')}
       select f.* exclude (lifecycle_stage), coalesce(lc.stage, f.lifecycle_stage) as lifecycle_stage, lc.since as lifecycle_since,
         ${churn(p)} as churn_probability, ${INFLUENCE_ZERO}
       from (${b.select}) f left join lc on lc.profile_id = f.profile_id`,
      p.values,
    );
  }
  mark('facts');
  // Workspace-relative scores: for a scope only the rows whose score can change (rank-cache.ts), same result.
  if (scored) await checkRanksSoon(c, q.ws);
  else if (q.scope) await rescoreScope(c, q.ws, q.scope.profiles);
  else await rescoreAll(c, q.ws);
  mark(scored ? 'rescore check' : 'rescore');
  if (keep) return;
  await writeInfluence(c, q, { graphUnchanged: o.influence === 'counts' });
  mark('influence');
}

export interface TraitsRun {
  workspaceId: string;
  asOf: string;
  /** Live: the as-of day follows the calendar (a new day starts a full recompute); else pinned. */
  live: boolean;
  settings: ProfileSettings;
  computedAt: string;
  profiles: number;
  ms: number;
  /** The latest un-merge already applied (incremental passes pick up later ones). */
  mergesCheckedAt: string | null;
  /** Events up to this outbox seq (stored and projected when the run started) are in the run. */
  seq: number;
}

/** Bumped by every write of traits_runs in this process (putRun, setMergesChecked): getRunCached's validity. */
let runsGeneration = 0;
const runCache = new WeakMap<EventStoreDb, Map<string, { generation: number; run: TraitsRun | null }>>();

/**
 * getRun, answered from memory while no write of traits_runs has happened in this process since it
 * was read. For callers holding the traits lock (the incremental pass): every writer of the table
 * (the recompute, the pass) holds it too, so no write is in flight while they read.
 */
export async function getRunCached(db: EventStoreDb, ws: string): Promise<TraitsRun | null> {
  let m = runCache.get(db);
  if (!m) runCache.set(db, (m = new Map()));
  const hit = m.get(ws);
  if (hit && hit.generation === runsGeneration) return hit.run;
  const generation = runsGeneration;
  const run = await getRun(db, ws);
  m.set(ws, { generation, run });
  return run;
}

export async function getRun(db: EventStoreDb, ws: string): Promise<TraitsRun | null> {
  const r = await db.read<{ as_of: Date; live: boolean; settings: string; computed_at: Date; profiles: number; ms: number; merges_checked_at: Date | null; seq: number }>(
    'select as_of, live, settings, computed_at, profiles, ms, merges_checked_at, seq from traits_runs where workspace_id = $1', [ws]);
  const x = r[0];
  if (!x) return null;
  return {
    workspaceId: ws, asOf: x.as_of.toISOString().slice(0, 10), live: x.live, settings: JSON.parse(x.settings) as ProfileSettings,
    computedAt: x.computed_at.toISOString(), profiles: x.profiles, ms: x.ms, mergesCheckedAt: x.merges_checked_at?.toISOString() ?? null, seq: x.seq,
  };
}

export async function listRuns(db: EventStoreDb): Promise<string[]> {
  return (await db.read<{ w: string }>('select workspace_id as w from traits_runs order by 1')).map((x) => x.w);
}

export async function putRun(c: DuckDBConnection, run: TraitsRun) {
  runsGeneration++;
  await c.run('delete from traits_runs where workspace_id = $1', [run.workspaceId]);
  await c.run('insert into traits_runs values ($1, $2::date, $3, $4::json, $5::timestamptz, $6, $7, $8::timestamptz, $9)', [
    run.workspaceId, run.asOf, run.live, JSON.stringify(run.settings), run.computedAt, run.profiles, run.ms, run.mergesCheckedAt, run.seq,
  ]);
}

export async function setMergesChecked(c: DuckDBConnection, ws: string, at: string) {
  runsGeneration++;
  await c.run('update traits_runs set merges_checked_at = $2::timestamptz where workspace_id = $1', [ws, at]);
}

/** The incremental pass's position in the event log (outbox seq), committed with its writes. */
export async function getTraitsCursor(db: EventStoreDb): Promise<number> {
  const r = await db.read<{ s: number | null }>('select max(seq) as s from traits_cursor');
  return r[0]?.s ?? 0;
}
export async function setTraitsCursor(c: DuckDBConnection, seq: number) {
  // One row: updated in place (one statement), inserted the first time.
  const r = await c.run('update traits_cursor set seq = $1', [seq]);
  if (r.rowsChanged === 0) await c.run('insert into traits_cursor values ($1)', [seq]);
}

export interface StoredChurnModel { asOf: string; trainedAt: string; model: ChurnModel | null; metrics: ChurnMetrics }

export async function getChurnModel(db: EventStoreDb, ws: string, asOf?: string): Promise<StoredChurnModel | null> {
  const r = await db.read<{ as_of: Date; trained_at: Date; model: string }>(
    `select as_of, trained_at, model from churn_models where workspace_id = $1 ${asOf ? 'and as_of = $2::date' : ''} order by trained_at desc limit 1`,
    asOf ? [ws, asOf] : [ws],
  );
  const x = r[0];
  if (!x) return null;
  const m = JSON.parse(x.model) as { model: ChurnModel | null; metrics: ChurnMetrics };
  return { asOf: x.as_of.toISOString().slice(0, 10), trainedAt: x.trained_at.toISOString(), model: m.model, metrics: m.metrics };
}

export async function putChurnModel(c: DuckDBConnection, ws: string, asOf: string, model: ChurnModel | null, metrics: ChurnMetrics) {
  await c.run('delete from churn_models where workspace_id = $1 and as_of = $2::date', [ws, asOf]);
  await c.run('insert into churn_models values ($1, $2::date, now(), $3::json)', [ws, asOf, JSON.stringify({ model, metrics })]);
}
