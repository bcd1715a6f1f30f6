import type { SqlRunner } from '../../platform/opstore/index.ts';
import type { ProfileTag, TagRule } from './schema.ts';

/** Manual tags (`profile_tags`) and rule tags (`tag_rules`) in the operational store. */

/** Adds a manual tag; an existing one keeps its first who / when. Returns the stored tag and whether it is new. */
export async function addTag(q: SqlRunner, ws: string, profileId: string, tag: string, by: string): Promise<{ tag: ProfileTag; created: boolean }> {
  const ins = await q.query<{ added_by: string; added_at: Date }>(
    `insert into profile_tags (workspace_id, profile_id, tag, added_by) values ($1, $2, $3, $4)
     on conflict (workspace_id, profile_id, tag) do nothing returning added_by, added_at`, [ws, profileId, tag, by]);
  const row = ins.rows[0] ?? (await q.query<{ added_by: string; added_at: Date }>(
    'select added_by, added_at from profile_tags where workspace_id = $1 and profile_id = $2 and tag = $3', [ws, profileId, tag])).rows[0]!;
  return { tag: { tag, source: 'manual', addedBy: row.added_by, addedAt: row.added_at.toISOString() }, created: ins.rows.length > 0 };
}

/** Removes a manual tag from these profiles (a person and those merged into it); false when none had it. */
export async function removeTag(q: SqlRunner, ws: string, profileIds: string[], tag: string): Promise<boolean> {
  const r = await q.query('delete from profile_tags where workspace_id = $1 and profile_id = any($2::text[]) and tag = $3', [ws, profileIds, tag]);
  return r.rowCount > 0;
}

/** Manual tags of these profiles (the first id is the person; the others were merged into it), by tag. */
export async function manualTagsOf(q: SqlRunner, ws: string, profileIds: string[]): Promise<ProfileTag[]> {
  const r = await q.query<{ profile_id: string; tag: string; added_by: string; added_at: Date }>(
    `select profile_id, tag, added_by, added_at from profile_tags where workspace_id = $1 and profile_id = any($2::text[]) order by tag, added_at, profile_id`,
    [ws, profileIds]);
  const seen = new Set<string>();
  const out: ProfileTag[] = [];
  for (const x of r.rows) {
    if (seen.has(x.tag)) continue;
    seen.add(x.tag);
    out.push({ tag: x.tag, source: 'manual', addedBy: x.added_by, addedAt: x.added_at.toISOString(), ...(x.profile_id !== profileIds[0] ? { viaProfileId: x.profile_id } : {}) });
  }
  return out;
}

/** Tags put on by hand, with the number of profiles carrying each. */
export async function manualTagCounts(q: SqlRunner, ws: string): Promise<Array<{ tag: string; profiles: number }>> {
  const r = await q.query<{ tag: string; n: string | number }>('select tag, count(*) as n from profile_tags where workspace_id = $1 group by tag order by tag', [ws]);
  return r.rows.map((x) => ({ tag: x.tag, profiles: Number(x.n) }));
}

/** Profiles carrying a manual tag (paged by profile id). */
export async function profilesWithTag(q: SqlRunner, ws: string, tag: string, after: string | null, limit: number): Promise<string[]> {
  const r = await q.query<{ profile_id: string }>(
    'select profile_id from profile_tags where workspace_id = $1 and tag = $2 and ($3::text is null or profile_id > $3) order by profile_id limit $4', [ws, tag, after, limit]);
  return r.rows.map((x) => x.profile_id);
}

/** Binds a tag to a saved segment (its members carry it). False when the tag already has a rule. */
export async function putTagRule(q: SqlRunner, ws: string, tag: string, segmentId: string, by: string): Promise<TagRule | null> {
  const r = await q.query<{ created_at: Date }>(
    `insert into tag_rules (workspace_id, tag, segment_id, created_by) values ($1, $2, $3, $4)
     on conflict (workspace_id, tag) do nothing returning created_at`, [ws, tag, segmentId, by]);
  return r.rows[0] ? { tag, segmentId, createdBy: by, createdAt: r.rows[0].created_at.toISOString() } : null;
}

export async function deleteTagRule(q: SqlRunner, ws: string, tag: string): Promise<boolean> {
  return (await q.query('delete from tag_rules where workspace_id = $1 and tag = $2', [ws, tag])).rowCount > 0;
}

export async function listTagRules(q: SqlRunner, ws: string): Promise<TagRule[]> {
  const r = await q.query<{ tag: string; segment_id: string; created_by: string; created_at: Date }>(
    'select tag, segment_id, created_by, created_at from tag_rules where workspace_id = $1 order by tag', [ws]);
  return r.rows.map((x) => ({ tag: x.tag, segmentId: x.segment_id, createdBy: x.created_by, createdAt: x.created_at.toISOString() }));
}
