import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { appError } from '../platform/errors.ts';
import { getProfile } from '../modules/identity/index.ts';
import { getSegment, memberCounts, membershipsOf } from '../modules/segments/index.ts';
import {
  addTag, deleteTagRule, listTagRules, manualTagCounts, manualTagsOf, putTagRule, removeTag, type ProfileTag, type TagRule,
} from '../modules/tags/index.ts';

/**
 * Tags across modules (docs/segments.md, "Tags"): manual tags live on the canonical profile a
 * request names (a merged-away id answers for the profile it was merged into; tags put on a
 * profile before it was merged in are shown with `viaProfileId` and follow an un-merge back);
 * rule tags are the tag rules whose segment holds the person now (materialised membership),
 * with who = `segment:<id>` and when = the time the person entered the segment.
 */

async function person(op: SqlRunner, ws: string, profileId: string): Promise<string[]> {
  const p = await getProfile(op, ws, profileId);
  if (!p) throw appError('NOT_FOUND', `no profile ${profileId}`);
  const mergedIn = p.merges.filter((m) => m.intoProfileId === p.profileId && !m.undoneAt).map((m) => m.fromProfileId);
  return [p.profileId, ...new Set(mergedIn)];
}

export async function tagsOfProfile(op: SqlRunner, es: EventStoreDb, ws: string, profileId: string): Promise<{ profileId: string; tags: ProfileTag[] }> {
  const ids = await person(op, ws, profileId);
  const manual = await manualTagsOf(op, ws, ids);
  const rules = await listTagRules(op, ws);
  const member = new Map((await membershipsOf(es, ws, ids[0]!, [...new Set(rules.map((r) => r.segmentId))])).map((m) => [m.segmentId, m.since]));
  const fromRules: ProfileTag[] = rules.filter((r) => member.has(r.segmentId)).map((r) => ({
    tag: r.tag, source: 'segment', addedBy: `segment:${r.segmentId}`, addedAt: member.get(r.segmentId)!, segmentId: r.segmentId,
  }));
  const tags = [...manual, ...fromRules].sort((a, b) => a.tag.localeCompare(b.tag) || a.source.localeCompare(b.source));
  return { profileId: ids[0]!, tags };
}

export async function tagProfile(op: SqlRunner, ws: string, profileId: string, tag: string, by: string): Promise<{ profileId: string; tag: ProfileTag; created: boolean }> {
  const [id] = await person(op, ws, profileId);
  return { profileId: id!, ...(await addTag(op, ws, id!, tag, by)) };
}

/** Removes a manual tag (from the person and the profiles merged into it); 404 when it has none. */
export async function untagProfile(op: SqlRunner, ws: string, profileId: string, tag: string): Promise<void> {
  const ids = await person(op, ws, profileId);
  if (!(await removeTag(op, ws, ids, tag))) {
    const rule = (await listTagRules(op, ws)).find((r) => r.tag === tag);
    throw appError('NOT_FOUND', rule ? `tag ${tag} comes from segment ${rule.segmentId}: change the segment or delete the tag rule` : `profile ${ids[0]} has no manual tag ${tag}`);
  }
}

export interface TagCount {
  tag: string;
  /** Profiles carrying it by hand. */
  manual: number;
  /** The segment of its rule and the segment's current size (profiles carrying it by rule), or null. */
  rule: { segmentId: string; members: number } | null;
}

/** Every tag of the workspace with its counts, by name. */
export async function tagCounts(op: SqlRunner, es: EventStoreDb, ws: string): Promise<TagCount[]> {
  const manual = new Map((await manualTagCounts(op, ws)).map((x) => [x.tag, x.profiles]));
  const rules = await listTagRules(op, ws);
  const sizes = await memberCounts(es, ws, [...new Set(rules.map((r) => r.segmentId))]);
  const names = [...new Set([...manual.keys(), ...rules.map((r) => r.tag)])].sort((a, b) => a.localeCompare(b));
  return names.map((tag) => {
    const r = rules.find((x) => x.tag === tag);
    return { tag, manual: manual.get(tag) ?? 0, rule: r ? { segmentId: r.segmentId, members: sizes.get(r.segmentId) ?? 0 } : null };
  });
}

/** Binds a tag to a saved segment: 404 for an unknown segment, 409 when the tag already has a rule. */
export async function createTagRule(op: SqlRunner, ws: string, tag: string, segmentId: string, by: string): Promise<TagRule> {
  if (!(await getSegment(op, ws, segmentId))) throw appError('NOT_FOUND', `no segment ${segmentId}`, [{ path: 'body.segmentId', message: 'no such segment' }]);
  const r = await putTagRule(op, ws, tag, segmentId, by);
  if (!r) throw appError('CONFLICT', `tag ${tag} already has a rule; delete it first`, [{ path: 'body.tag', message: 'already bound to a segment' }]);
  return r;
}

export async function dropTagRule(op: SqlRunner, ws: string, tag: string): Promise<void> {
  if (!(await deleteTagRule(op, ws, tag))) throw appError('NOT_FOUND', `no tag rule ${tag}`);
}

export { listTagRules };
