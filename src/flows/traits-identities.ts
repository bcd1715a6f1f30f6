import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appendMirrorRows, clearMirror, type MirrorRow } from '../modules/profiles/index.ts';

/**
 * The identity mirror: the operational store's identity graph (`identities`, kinds user_id and
 * anonymous_id: the ids events carry) copied into the event store as `profile_identities`, so the
 * traits SQL can join raw events to canonical profiles. Reads the identity module's table directly
 * (as the projector reads workspaces): a bulk, read-only copy.
 *
 * Full refresh: pages of 50,000 by primary key (one kind at a time), appended in one DuckDB transaction (2 M
 * identities take seconds). Incremental passes replace the rows of the profiles they touch.
 */
const KINDS = ['user_id', 'anonymous_id'];
const PAGE = 50_000;

export async function refreshMirrorFull(op: SqlRunner, es: EventStoreDb, ws: string, onPage?: (rows: number) => void): Promise<number> {
  return es.write(async (c) => {
    await clearMirror(c, ws);
    let n = 0;
    // One kind at a time: `kind = $2 and value > $3 order by value` is a range of the primary key
    // (workspace_id, kind, value); with `kind = any(...)` the planner sorted the table for each page.
    for (const kind of KINDS) {
      let after: string | null = null;
      for (;;) {
        const r: { rows: Array<{ value: string; profile_id: string }> } = after === null
          ? await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 order by value limit $3`, [ws, kind, PAGE])
          : await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 and value > $3 order by value limit $4`, [ws, kind, after, PAGE]);
        await appendMirrorRows(c, ws, r.rows.map((x) => ({ kind, value: x.value, profileId: x.profile_id })));
        n += r.rows.length;
        onPage?.(n);
        if (r.rows.length < PAGE) break;
        after = r.rows[r.rows.length - 1]!.value;
      }
    }
    return n;
  });
}

/** The current profiles of some raw identifiers. */
export async function profilesOfIds(op: SqlRunner, ws: string, ids: Array<{ kind: string; value: string }>): Promise<string[]> {
  if (!ids.length) return [];
  const r = await op.query<{ profile_id: string }>(
    `select distinct i.profile_id from identities i
     join unnest($2::text[], $3::text[]) as x(kind, value) on i.kind = x.kind and i.value = x.value
     where i.workspace_id = $1`,
    [ws, ids.map((i) => i.kind), ids.map((i) => i.value)],
  );
  return r.rows.map((x) => x.profile_id);
}

/** The mirror rows (user_id / anonymous_id identities) of some profiles. */
export async function identitiesOfProfiles(op: SqlRunner, ws: string, profiles: string[]): Promise<MirrorRow[]> {
  if (!profiles.length) return [];
  const r = await op.query<{ kind: string; value: string; profile_id: string }>(
    'select kind, value, profile_id from identities where workspace_id = $1 and profile_id = any($2) and kind = any($3)',
    [ws, profiles, KINDS],
  );
  return r.rows.map((x) => ({ kind: x.kind, value: x.value, profileId: x.profile_id }));
}

/** Profiles on either side of merges undone after `since` (un-merges happen outside the event stream). */
export async function unmergedSince(op: SqlRunner, ws: string, since: string | null): Promise<{ profiles: string[]; latest: string | null }> {
  const r = await op.query<{ from_profile: string; into_profile: string; undone_at: Date }>(
    `select from_profile, into_profile, undone_at from identity_merges
     where workspace_id = $1 and undone_at is not null and ($2::timestamptz is null or date_trunc('milliseconds', undone_at) > $2::timestamptz) order by undone_at`,
    [ws, since],
  );
  const latest = r.rows.length ? r.rows[r.rows.length - 1]!.undone_at.toISOString() : since;
  return { profiles: [...new Set(r.rows.flatMap((x) => [x.from_profile, x.into_profile]))], latest };
}

/** The newest un-merge time of the workspace (the starting point after a full refresh). */
export async function latestUnmerge(op: SqlRunner, ws: string): Promise<string | null> {
  const r = await op.query<{ t: Date | null }>('select max(undone_at) as t from identity_merges where workspace_id = $1', [ws]);
  return r.rows[0]?.t?.toISOString() ?? null;
}
