import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appendMirrorRows, applyMirrorRefresh, beginMirrorRefresh, MIRROR_STAGE, type MirrorRow } from '../modules/profiles/index.ts';

/**
 * The identity mirror: the operational store's identity graph (`identities`, kinds user_id and
 * anonymous_id: the ids events carry) copied into the event store as `profile_identities`, so the
 * traits SQL can join raw events to canonical profiles. Reads the identity module's table directly
 * (as the projector reads workspaces): a bulk, read-only copy.
 *
 * Full refresh: pages of 50,000 by primary key (one kind at a time), appended to a staging table, then
 * only the difference applied to the mirror, in one DuckDB transaction. Incremental passes replace
 * the rows of the profiles they touch.
 */
const KINDS = ['user_id', 'anonymous_id'];
const PAGE = 50_000;

export async function refreshMirrorFull(op: SqlRunner, es: EventStoreDb, ws: string, onPage?: (rows: number) => void): Promise<number> {
  return es.write(async (c) => {
    await beginMirrorRefresh(c);
    let n = 0;
    // One kind at a time: `kind = $2 and value > $3 order by value` is a range of the primary key
    // (workspace_id, kind, value); with `kind = any(...)` the planner sorted the table for each page.
    for (const kind of KINDS) {
      let after: string | null = null;
      for (;;) {
        const r: { rows: Array<{ value: string; profile_id: string }> } = after === null
          ? await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 order by value limit $3`, [ws, kind, PAGE])
          : await op.query(`select value, profile_id from identities where workspace_id = $1 and kind = $2 and value > $3 order by value limit $4`, [ws, kind, after, PAGE]);
        await appendMirrorRows(c, ws, r.rows.map((x) => ({ kind, value: x.value, profileId: x.profile_id })), MIRROR_STAGE);
        n += r.rows.length;
        onPage?.(n);
        if (r.rows.length < PAGE) break;
        after = r.rows[r.rows.length - 1]!.value;
      }
    }
    await applyMirrorRefresh(c, ws);
    return n;
  });
}

/** The current profiles of some raw identifiers. */
export async function profilesOfIds(op: SqlRunner, ws: string, ids: Array<{ kind: string; value: string }>): Promise<string[]> {
  if (!ids.length) return [];
  // One primary-key lookup per kind (a join on unnest let the planner hash the whole table).
  const out = new Set<string>();
  for (const kind of new Set(ids.map((i) => i.kind))) {
    const r = await op.query<{ profile_id: string }>(
      'select distinct profile_id from identities where workspace_id = $1 and kind = $2 and value = any($3)',
      [ws, kind, [...new Set(ids.filter((i) => i.kind === kind).map((i) => i.value))]],
    );
    for (const x of r.rows) out.add(x.profile_id);
  }
  return [...out];
}

/** The mirror rows (user_id / anonymous_id identities) of some profiles. */
export async function identitiesOfProfiles(op: SqlRunner, ws: string, profiles: string[]): Promise<MirrorRow[]> {
  if (!profiles.length) return [];
  // By the profile_id index only (with `kind = any(...)` too, PGlite scanned the table); kinds filtered here.
  const r = await op.query<{ kind: string; value: string; profile_id: string; workspace_id: string }>(
    'select kind, value, profile_id, workspace_id from identities where profile_id = any($1)',
    [profiles],
  );
  return r.rows.filter((x) => x.workspace_id === ws && KINDS.includes(x.kind))
    .map((x) => ({ kind: x.kind, value: x.value, profileId: x.profile_id }));
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
