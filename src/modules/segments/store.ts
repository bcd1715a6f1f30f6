import crypto from 'node:crypto';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import type { Rule } from './types.ts';

/**
 * Storage of saved segments: definitions in the operational store (`segments`, migration 004),
 * materialised membership, entry / exit changes and sizes in the event store (schema version 5),
 * where the rules are evaluated.
 */
export interface Segment {
  id: string;
  name: string;
  description: string;
  rule: Rule;
  /** Scheduled refresh period (minutes); refreshes also follow arriving events (docs/segments.md). */
  refreshMinutes: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  refreshedAt: string | null;
  /** The traits cursor (event seq) the last refresh saw. */
  refreshedSeq: number | null;
  size: number | null;
  lastError: string | null;
}

type Row = {
  id: string; name: string; description: string; rule: Rule; refresh_minutes: number; created_by: string | null; created_at: Date; updated_at: Date;
  refreshed_at: Date | null; refreshed_seq: string | number | null; size: string | number | null; last_error: string | null;
};
const toSegment = (r: Row): Segment => ({
  id: r.id, name: r.name, description: r.description, rule: r.rule, refreshMinutes: r.refresh_minutes, createdBy: r.created_by,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(), refreshedAt: r.refreshed_at?.toISOString() ?? null,
  refreshedSeq: r.refreshed_seq === null ? null : Number(r.refreshed_seq), size: r.size === null ? null : Number(r.size), lastError: r.last_error,
});
const COLS = 'id, name, description, rule, refresh_minutes, created_by, created_at, updated_at, refreshed_at, refreshed_seq, size, last_error';

export const newSegmentId = () => 'seg_' + crypto.randomBytes(9).toString('base64url');

export async function insertSegment(q: SqlRunner, ws: string, s: { id?: string; name: string; description: string; rule: Rule; refreshMinutes: number; createdBy: string | null }): Promise<Segment> {
  const r = await q.query<Row>(
    `insert into segments (id, workspace_id, name, description, rule, refresh_minutes, created_by) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (workspace_id, name) do nothing returning ${COLS}`,
    [s.id ?? newSegmentId(), ws, s.name, s.description, JSON.stringify(s.rule), s.refreshMinutes, s.createdBy],
  );
  if (!r.rows[0]) throw Object.assign(new Error('name taken'), { nameTaken: true });
  return toSegment(r.rows[0]);
}

export async function getSegment(q: SqlRunner, ws: string, id: string): Promise<Segment | null> {
  const r = await q.query<Row>(`select ${COLS} from segments where workspace_id = $1 and id = $2`, [ws, id]);
  return r.rows[0] ? toSegment(r.rows[0]) : null;
}

export async function listSegments(q: SqlRunner, ws: string): Promise<Segment[]> {
  const r = await q.query<Row>(`select ${COLS} from segments where workspace_id = $1 order by created_at, id`, [ws]);
  return r.rows.map(toSegment);
}

/** Updates the given fields; returns null when there is no such segment, throws `nameTaken` on a duplicate name. */
export async function updateSegment(q: SqlRunner, ws: string, id: string, patch: { name?: string; description?: string; rule?: Rule; refreshMinutes?: number }): Promise<Segment | null> {
  try {
    const r = await q.query<Row>(
      `update segments set name = coalesce($3, name), description = coalesce($4, description), rule = coalesce($5::jsonb, rule),
         refresh_minutes = coalesce($6, refresh_minutes), updated_at = now(),
         refreshed_seq = case when $5::jsonb is null then refreshed_seq end
       where workspace_id = $1 and id = $2 returning ${COLS}`,
      [ws, id, patch.name ?? null, patch.description ?? null, patch.rule ? JSON.stringify(patch.rule) : null, patch.refreshMinutes ?? null],
    );
    return r.rows[0] ? toSegment(r.rows[0]) : null;
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw Object.assign(new Error('name taken'), { nameTaken: true });
    throw e;
  }
}

export async function deleteSegment(q: SqlRunner, ws: string, id: string): Promise<boolean> {
  const r = await q.query('delete from segments where workspace_id = $1 and id = $2', [ws, id]);
  return r.rowCount > 0;
}

export async function markRefreshed(q: SqlRunner, ws: string, id: string, r: { at: string; seq: number; size: number | null; error: string | null }): Promise<void> {
  await q.query(
    `update segments set refreshed_at = $3, refreshed_seq = $4, size = coalesce($5, size), last_error = $6 where workspace_id = $1 and id = $2`,
    [ws, id, r.at, r.seq, r.size, r.error],
  );
}

/** Every saved segment of every workspace (the refresh loop picks the due ones). */
export async function allSegments(q: SqlRunner): Promise<Array<Segment & { workspaceId: string }>> {
  const r = await q.query<Row & { workspace_id: string }>(`select workspace_id, ${COLS} from segments order by workspace_id, created_at`);
  return r.rows.map((x) => ({ ...toSegment(x), workspaceId: x.workspace_id }));
}

/** The auto-segment model ids a rule refers to directly (`{ cluster: { model } }`). */
export function referencedClusterModels(rule: Rule): string[] {
  if ('all' in rule) return rule.all.flatMap(referencedClusterModels);
  if ('any' in rule) return rule.any.flatMap(referencedClusterModels);
  if ('not' in rule) return referencedClusterModels(rule.not);
  if ('cluster' in rule) return [rule.cluster.model];
  return [];
}

/** The segment ids a rule refers to directly (`{ segment }` and social `of: { segment }`). */
export function referencedSegments(rule: Rule): string[] {
  if ('all' in rule) return rule.all.flatMap(referencedSegments);
  if ('any' in rule) return rule.any.flatMap(referencedSegments);
  if ('not' in rule) return referencedSegments(rule.not);
  if ('social' in rule) return rule.social !== 'near_kol' && 'segment' in rule.of ? [rule.of.segment] : [];
  if ('segment' in rule) return [rule.segment];
  return [];
}

// ---- materialised membership (event store) ----

export interface RefreshCounts { size: number; entered: number; exited: number }

/**
 * Replaces a segment's membership with the result of a compiled rule, inside the caller's DuckDB
 * transaction: records an `enter` for each new member and an `exit` for each member that left
 * (reason `rule`, or `gone` when the profile no longer exists: merged into another), and the size.
 */
export async function applyMembership(c: DuckDBConnection, ws: string, segmentId: string, compiled: { sql: string; params: DuckDBValue[] }, at: string, ms: number): Promise<RefreshCounts> {
  await c.run(`create or replace temp table seg_new as select distinct profile_id from (${compiled.sql})`, compiled.params);
  const run = async (sql: string, params: DuckDBValue[]) => Number((await c.run(sql, params)).rowsChanged);
  const q = [ws, segmentId, at];
  const entered = await run(
    `insert into segment_changes (workspace_id, segment_id, profile_id, change, reason, changed_at)
     select $1, $2, profile_id, 'enter', 'rule', $3::timestamptz from seg_new
     where profile_id not in (select profile_id from segment_members where workspace_id = $1 and segment_id = $2) order by profile_id`, q);
  const exited = await run(
    `insert into segment_changes (workspace_id, segment_id, profile_id, change, reason, changed_at)
     select $1, $2, m.profile_id, 'exit',
       case when exists (select 1 from computed_traits t where t.workspace_id = $1 and t.profile_id = m.profile_id) then 'rule' else 'gone' end, $3::timestamptz
     from segment_members m where m.workspace_id = $1 and m.segment_id = $2 and m.profile_id not in (select profile_id from seg_new) order by m.profile_id`, q);
  await c.run(`delete from segment_members where workspace_id = $1 and segment_id = $2 and profile_id not in (select profile_id from seg_new)`, [ws, segmentId]);
  await c.run(
    `insert into segment_members select $1, $2, profile_id, $3::timestamptz from seg_new
     where profile_id not in (select profile_id from segment_members where workspace_id = $1 and segment_id = $2)`, q);
  const size = Number((await c.runAndReadAll('select count(*) from seg_new')).getRows()[0]![0]);
  await c.run(`insert into segment_sizes values ($1, $2, $3::timestamptz, $4, $5, $6, $7)`, [ws, segmentId, at, size, entered, exited, Math.round(ms)]);
  await c.run('drop table seg_new');
  return { size, entered, exited };
}

/** Removes a deleted segment's membership, changes and sizes. */
export async function dropMembership(c: DuckDBConnection, ws: string, segmentId: string): Promise<void> {
  for (const t of ['segment_members', 'segment_changes', 'segment_sizes']) await c.run(`delete from ${t} where workspace_id = $1 and segment_id = $2`, [ws, segmentId]);
}

export interface MemberRow { profileId: string; userId: string | null; since: string }

/** Members by profile id, after `cursor` (the last profile id of the previous page). */
export async function membersPage(es: EventStoreDb, ws: string, segmentId: string, cursor: string | null, limit: number): Promise<{ members: MemberRow[]; nextCursor: string | null }> {
  const r = await es.read<{ profile_id: string; user_id: string | null; since: Date }>(
    `select m.profile_id, t.user_id, m.since from segment_members m
     left join computed_traits t on t.workspace_id = m.workspace_id and t.profile_id = m.profile_id
     where m.workspace_id = $1 and m.segment_id = $2 and ($3::varchar is null or m.profile_id > $3) order by m.profile_id limit $4`,
    [ws, segmentId, cursor, limit + 1],
  );
  const rows = r.slice(0, limit).map((x) => ({ profileId: x.profile_id, userId: x.user_id, since: x.since.toISOString() }));
  return { members: rows, nextCursor: r.length > limit ? rows[rows.length - 1]!.profileId : null };
}

export interface ChangeRow { id: number; profileId: string; change: 'enter' | 'exit'; reason: 'rule' | 'gone'; at: string }

/** Entries and exits, oldest first, after `cursor` (the id of the last change seen): consumers follow them by id. */
export async function changesPage(es: EventStoreDb, ws: string, segmentId: string, cursor: number | null, limit: number): Promise<{ changes: ChangeRow[]; nextCursor: number | null }> {
  const r = await es.read<{ id: number; profile_id: string; change: 'enter' | 'exit'; reason: 'rule' | 'gone'; at: Date }>(
    `select id, profile_id, change, reason, changed_at as at from segment_changes where workspace_id = $1 and segment_id = $2 and id > $3 order by id limit $4`,
    [ws, segmentId, cursor ?? 0, limit],
  );
  const rows = r.map((x) => ({ id: Number(x.id), profileId: x.profile_id, change: x.change, reason: x.reason, at: x.at.toISOString() }));
  return { changes: rows, nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
}

export interface SizePoint { at: string; size: number; entered: number; exited: number; ms: number }

/** Size after each refresh (the last `limit` refreshes, oldest first). */
export async function sizeHistory(es: EventStoreDb, ws: string, segmentId: string, limit = 1000): Promise<SizePoint[]> {
  const r = await es.read<{ at: Date; size: number; entered: number; exited: number; ms: number }>(
    `select refreshed_at as "at", size, entered, exited, ms from (select * from segment_sizes where workspace_id = $1 and segment_id = $2 order by refreshed_at desc limit $3) order by refreshed_at`,
    [ws, segmentId, limit],
  );
  return r.map((x) => ({ at: x.at.toISOString(), size: Number(x.size), entered: Number(x.entered), exited: Number(x.exited), ms: Number(x.ms) }));
}

/** Whether a profile is a member of a segment now. */
export async function isMember(es: EventStoreDb, ws: string, segmentId: string, profileId: string): Promise<boolean> {
  const r = await es.read('select 1 from segment_members where workspace_id = $1 and segment_id = $2 and profile_id = $3', [ws, segmentId, profileId]);
  return r.length > 0;
}
