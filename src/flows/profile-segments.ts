import type { SqlRunner } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { getProfile } from '../modules/identity/index.ts';
import { isMember, listSegments } from '../modules/segments/index.ts';

export interface ProfileSegments {
  /** The canonical profile (a merged-away id answers for the profile it was merged into). */
  profileId: string;
  /** Saved segments whose materialised membership holds the person, by name. */
  segments: Array<{ id: string; name: string; size: number | null; refreshedAt: string | null }>;
}

/**
 * The saved segments a person is in now (as of each segment's last refresh), for User 360.
 * One membership lookup per saved segment: workspaces have tens of segments, not thousands.
 */
export async function segmentsOfProfile(op: SqlRunner, es: EventStoreDb, ws: string, profileId: string): Promise<ProfileSegments | null> {
  const profile = await getProfile(op, ws, profileId);
  if (!profile) return null;
  const out: ProfileSegments['segments'] = [];
  for (const s of await listSegments(op, ws)) {
    if (await isMember(es, ws, s.id, profile.profileId)) out.push({ id: s.id, name: s.name, size: s.size, refreshedAt: s.refreshedAt });
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  return { profileId: profile.profileId, segments: out };
}
