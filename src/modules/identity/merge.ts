import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { MergeRules } from './rules.ts';

interface TraitRow { key: string; value: unknown; updated_at: string; source_profile: string }
interface Moved { identities: Array<{ kind: string; value: string }>; fromTraits: TraitRow[]; overwritten: TraitRow[] }

/**
 * Merges profile `from` into `into`: identities move, newer traits win, the merge is recorded with
 * its cause and everything needed to undo it. Refused (returns false) when the unique rule would
 * break or when the same pair was un-merged before (a person said they are two people).
 */
export async function mergeProfiles(q: SqlRunner, ws: string, from: string, into: string, cause: string, messageId: string | null, rules: MergeRules): Promise<boolean> {
  if (from === into) return false;
  const undone = await q.query(
    `select 1 from identity_merges where workspace_id = $1 and undone_at is not null
       and ((from_profile = $2 and into_profile = $3) or (from_profile = $3 and into_profile = $2)) limit 1`,
    [ws, from, into],
  );
  if (undone.rows.length) return false;
  if (rules.unique.length) {
    const clash = await q.query(
      `select 1 from identities a join identities b on a.kind = b.kind and a.value <> b.value
       where a.profile_id = $1 and b.profile_id = $2 and a.kind = any($3) limit 1`,
      [from, into, rules.unique],
    );
    if (clash.rows.length) return false;
  }
  const ids = await q.query<{ kind: string; value: string }>('select kind, value from identities where profile_id = $1', [from]);
  const fromTraits = await q.query<TraitRow>('select key, value, updated_at, source_profile from profile_traits where profile_id = $1', [from]);
  const overwritten = await q.query<TraitRow>(
    `select t.key, t.value, t.updated_at, t.source_profile from profile_traits t join profile_traits f on f.key = t.key and f.profile_id = $1
     where t.profile_id = $2 and f.updated_at >= t.updated_at`,
    [from, into],
  );
  const moved: Moved = { identities: ids.rows, fromTraits: fromTraits.rows, overwritten: overwritten.rows };
  await q.query('update identities set profile_id = $2 where profile_id = $1', [from, into]);
  await q.query(
    `insert into profile_traits (profile_id, key, value, updated_at, source_profile)
     select $2, key, value, updated_at, $1 from profile_traits where profile_id = $1
     on conflict (profile_id, key) do update set value = excluded.value, updated_at = excluded.updated_at, source_profile = excluded.source_profile
       where profile_traits.updated_at <= excluded.updated_at`,
    [from, into],
  );
  await q.query('delete from profile_traits where profile_id = $1', [from]);
  await q.query('update profiles set merged_into = $2, updated_at = now() where id = $1', [from, into]);
  await q.query(
    'insert into identity_merges (workspace_id, from_profile, into_profile, cause, message_id, moved) values ($1, $2, $3, $4, $5, $6)',
    [ws, from, into, cause, messageId, JSON.stringify(moved)],
  );
  return true;
}

/**
 * Undoes a merge: the identities that came from `from` go back to it (wherever the merged profile
 * now lives), its traits are restored, and traits it overwrote on the other side come back.
 * Events are never rewritten, so nothing is lost: a person's events follow their identities.
 */
export async function unmerge(q: SqlRunner, ws: string, mergeId: number): Promise<{ from: string; into: string } | null> {
  const r = await q.query<{ from_profile: string; into_profile: string; moved: Moved; undone_at: Date | null }>(
    'select from_profile, into_profile, moved, undone_at from identity_merges where id = $1 and workspace_id = $2 for update',
    [mergeId, ws],
  );
  const m = r.rows[0];
  if (!m || m.undone_at) return null;
  const current = await canonicalOf(q, m.into_profile);
  for (const i of m.moved.identities) {
    await q.query('update identities set profile_id = $1 where workspace_id = $2 and kind = $3 and value = $4 and profile_id = $5', [
      m.from_profile, ws, i.kind, i.value, current,
    ]);
  }
  await q.query('delete from profile_traits where profile_id = $1 and source_profile = $2', [current, m.from_profile]);
  for (const t of [...m.moved.overwritten]) {
    await q.query(
      `insert into profile_traits (profile_id, key, value, updated_at, source_profile) values ($1, $2, $3, $4, $5)
       on conflict (profile_id, key) do nothing`,
      [current, t.key, JSON.stringify(t.value), t.updated_at, t.source_profile],
    );
  }
  for (const t of m.moved.fromTraits) {
    await q.query(
      `insert into profile_traits (profile_id, key, value, updated_at, source_profile) values ($1, $2, $3, $4, $1)
       on conflict (profile_id, key) do nothing`,
      [m.from_profile, t.key, JSON.stringify(t.value), t.updated_at],
    );
  }
  await q.query('update profiles set merged_into = null, updated_at = now() where id = $1', [m.from_profile]);
  await q.query('update identity_merges set undone_at = now() where id = $1', [mergeId]);
  return { from: m.from_profile, into: current };
}

export async function canonicalOf(q: SqlRunner, profileId: string): Promise<string> {
  let id = profileId;
  for (let hops = 0; hops < 100; hops++) {
    const r = await q.query<{ merged_into: string | null }>('select merged_into from profiles where id = $1', [id]);
    const next = r.rows[0]?.merged_into;
    if (!next) return id;
    id = next;
  }
  return id;
}
