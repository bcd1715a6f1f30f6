import type { SqlRunner } from '../../platform/opstore/index.ts';

export interface ProfileView {
  profileId: string;
  createdAt: string;
  identities: Array<{ kind: string; value: string; firstSeen: string }>;
  traits: Array<{ key: string; value: unknown; updatedAt: string }>;
  merges: Array<{ id: number; fromProfileId: string; intoProfileId: string; cause: string; at: string; undoneAt: string | null }>;
}

/** A profile by id; a merged-away id answers with its canonical profile. */
export async function getProfile(q: SqlRunner, ws: string, profileId: string): Promise<ProfileView | null> {
  let id = profileId;
  for (let hops = 0; hops < 100; hops++) {
    const r = await q.query<{ merged_into: string | null }>('select merged_into from profiles where id = $1 and workspace_id = $2', [id, ws]);
    if (!r.rows.length) return null;
    const next = r.rows[0]!.merged_into;
    if (!next) break;
    id = next;
  }
  const p = await q.query<{ created_at: Date }>('select created_at from profiles where id = $1', [id]);
  const ids = await q.query<{ kind: string; value: string; first_seen: Date }>(
    'select kind, value, first_seen from identities where profile_id = $1 order by first_seen, kind', [id]);
  const traits = await q.query<{ key: string; value: unknown; updated_at: Date }>(
    'select key, value, updated_at from profile_traits where profile_id = $1 order by key', [id]);
  const merges = await q.query<{ id: number; from_profile: string; into_profile: string; cause: string; at: Date; undone_at: Date | null }>(
    `select id, from_profile, into_profile, cause, at, undone_at from identity_merges
     where workspace_id = $1 and (into_profile = $2 or from_profile = $2) order by at desc limit 100`, [ws, id]);
  return {
    profileId: id,
    createdAt: p.rows[0]!.created_at.toISOString(),
    identities: ids.rows.map((r) => ({ kind: r.kind, value: r.value, firstSeen: r.first_seen.toISOString() })),
    traits: traits.rows.map((r) => ({ key: r.key, value: r.value, updatedAt: r.updated_at.toISOString() })),
    merges: merges.rows.map((m) => ({ id: Number(m.id), fromProfileId: m.from_profile, intoProfileId: m.into_profile, cause: m.cause, at: m.at.toISOString(), undoneAt: m.undone_at?.toISOString() ?? null })),
  };
}

/** Finds profiles by an identifier value (exact or prefix) or a name trait. */
export async function searchProfiles(q: SqlRunner, ws: string, text: string, limit = 20): Promise<Array<{ profileId: string; userId: string | null; displayName: string | null; identities: Array<{ kind: string; value: string }> }>> {
  const like = text.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c);
  // Exact identifier first, then identifier prefix (case-insensitive), then a name containing the text.
  const r = await q.query<{ profile_id: string }>(
    `select profile_id from (
       select profile_id, case when value = $2 then 0 else 1 end as rank from identities
        where workspace_id = $1 and (value = $2 or lower(value) like $3 || '%')
       union all
       select t.profile_id, 2 as rank from profile_traits t join profiles p on p.id = t.profile_id
        where p.workspace_id = $1 and t.key = 'name' and lower(t.value #>> '{}') like '%' || $3 || '%'
     ) x group by profile_id order by min(rank), profile_id limit $4`,
    [ws, text, like, limit],
  );
  const out = [];
  for (const row of r.rows) {
    const ids = await q.query<{ kind: string; value: string }>('select kind, value from identities where profile_id = $1 order by kind, value limit 20', [row.profile_id]);
    const name = await q.query<{ v: string | null }>(`select value #>> '{}' as v from profile_traits where profile_id = $1 and key = 'name'`, [row.profile_id]);
    out.push({
      profileId: row.profile_id,
      userId: ids.rows.find((i) => i.kind === 'user_id')?.value ?? null,
      displayName: name.rows[0]?.v ?? null,
      identities: ids.rows,
    });
  }
  return out;
}

/** The raw ids (userIds, anonymousIds) of a profile: how its events, orders and edges are found. */
export async function profileKeys(q: SqlRunner, profileId: string): Promise<{ userIds: string[]; anonymousIds: string[] }> {
  const r = await q.query<{ kind: string; value: string }>(
    `select kind, value from identities where profile_id = $1 and kind in ('user_id', 'anonymous_id')`, [profileId]);
  return {
    userIds: r.rows.filter((x) => x.kind === 'user_id').map((x) => x.value),
    anonymousIds: r.rows.filter((x) => x.kind === 'anonymous_id').map((x) => x.value),
  };
}

/** The profile holding an identifier. */
export async function profileByIdentity(q: SqlRunner, ws: string, kind: string, value: string): Promise<string | null> {
  const r = await q.query<{ profile_id: string }>('select profile_id from identities where workspace_id = $1 and kind = $2 and value = $3', [ws, kind, value]);
  return r.rows[0]?.profile_id ?? null;
}
