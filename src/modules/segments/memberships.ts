import { listValue } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/**
 * Membership reads for other flows (tags, export): which of some segments a profile is in now
 * (with its entry time), and the current size of some segments.
 */

/** The segments among `segmentIds` that `profileId` is a member of now, with `since` (ISO time of entry). */
export async function membershipsOf(es: EventStoreDb, ws: string, profileId: string, segmentIds: readonly string[]): Promise<Array<{ segmentId: string; since: string }>> {
  if (!segmentIds.length) return [];
  const r = await es.read<{ segment_id: string; since: Date }>(
    `select segment_id, since from segment_members where workspace_id = $1 and profile_id = $2 and segment_id in (select unnest($3::varchar[])) order by segment_id`,
    [ws, profileId, listValue([...segmentIds])]);
  return r.map((x) => ({ segmentId: x.segment_id, since: x.since.toISOString() }));
}

/** Current number of members of each of `segmentIds` (0 when never refreshed). */
export async function memberCounts(es: EventStoreDb, ws: string, segmentIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>(segmentIds.map((s) => [s, 0]));
  if (!segmentIds.length) return out;
  const r = await es.read<{ segment_id: string; n: number }>(
    `select segment_id, count(*)::integer as n from segment_members where workspace_id = $1 and segment_id in (select unnest($2::varchar[])) group by 1`,
    [ws, listValue([...segmentIds])]);
  for (const x of r) out.set(x.segment_id, x.n);
  return out;
}
