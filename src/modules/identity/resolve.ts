import { randomBytes } from 'node:crypto';
import type { SqlRunner } from '../../platform/opstore/index.ts';
import { extractIdentifiers, traitsOf, type Identifier, type IdentityEvent } from './extract.ts';
import { DEFAULT_RULES, type MergeRules } from './rules.ts';
import { mergeProfiles } from './merge.ts';

const key = (i: Identifier) => `${i.kind}\u0001${i.value}`;

/** Per-batch view of the identity graph: identifier -> canonical profile, loaded in one query. */
class GraphCache {
  private map = new Map<string, string>();
  constructor(private readonly q: SqlRunner, private readonly ws: string) {}

  async preload(ids: Identifier[]) {
    const missing = ids.filter((i) => !this.map.has(key(i)));
    if (!missing.length) return;
    const r = await this.q.query<{ kind: string; value: string; profile_id: string }>(
      `select i.kind, i.value, i.profile_id from identities i
       join unnest($2::text[], $3::text[]) as x(kind, value) on i.kind = x.kind and i.value = x.value
       where i.workspace_id = $1`,
      [this.ws, missing.map((i) => i.kind), missing.map((i) => i.value)],
    );
    for (const row of r.rows) this.map.set(`${row.kind}\u0001${row.value}`, row.profile_id);
  }
  get(i: Identifier) {
    return this.map.get(key(i));
  }
  set(i: Identifier, profileId: string) {
    this.map.set(key(i), profileId);
  }
  repoint(from: string, to: string) {
    for (const [k, v] of this.map) if (v === from) this.map.set(k, to);
  }
}

function newProfileId() {
  return 'p_' + randomBytes(9).toString('base64url');
}

/**
 * Applies a batch of one workspace's events to the identity graph, in order: creates profiles,
 * attaches identifiers, merges on the rules, and records identify traits with their time.
 * Returns each event's canonical profile (by messageId).
 */
export async function resolveEvents(q: SqlRunner, ws: string, events: IdentityEvent[], rules: MergeRules = DEFAULT_RULES): Promise<Map<string, string>> {
  const cache = new GraphCache(q, ws);
  const perEvent = events.map((e) => extractIdentifiers(e));
  const aliasCandidates = (e: IdentityEvent): Identifier[] =>
    e.type === 'alias' && e.previousId ? [{ kind: 'user_id', value: e.previousId }, { kind: 'anonymous_id', value: e.previousId }] : [];
  await cache.preload([...perEvent.flat(), ...events.flatMap(aliasCandidates)]);
  const out = new Map<string, string>();
  for (let n = 0; n < events.length; n++) {
    const e = events[n]!;
    const ids = [...perEvent[n]!];
    // An alias's previousId is whichever kind already exists (a userId first), else an anonymousId.
    const [prevUser, prevAnon] = aliasCandidates(e);
    if (prevUser && prevAnon) ids.push(cache.get(prevUser) ? prevUser : prevAnon);
    if (!ids.length) continue;
    const profiles = [...new Set(ids.map((i) => cache.get(i)).filter((p): p is string => !!p))];
    let target: string;
    if (profiles.length === 0) {
      target = newProfileId();
      await q.query('insert into profiles (id, workspace_id, created_at, updated_at) values ($1, $2, $3, $3)', [target, ws, e.timestamp]);
    } else {
      target = profiles.length === 1 ? profiles[0]! : await pickCanonical(q, profiles);
      for (const other of profiles) {
        if (other === target) continue;
        const mergeable = (p: string) => ids.some((i) => cache.get(i) === p && rules.mergeOn.includes(i.kind));
        if (!mergeable(other) || !mergeable(target)) continue;
        const merged = await mergeProfiles(q, ws, other, target, causeOf(e), e.messageId, rules);
        if (merged) cache.repoint(other, target);
      }
    }
    for (const i of ids) {
      if (cache.get(i)) continue;
      if (rules.unique.includes(i.kind) && (await hasOtherOfKind(q, target, i))) {
        // A second userId for one profile breaks the unique rule: it becomes its own person.
        const own = newProfileId();
        await q.query('insert into profiles (id, workspace_id, created_at, updated_at) values ($1, $2, $3, $3)', [own, ws, e.timestamp]);
        await attach(q, ws, i, own, e.timestamp);
        cache.set(i, own);
        continue;
      }
      await attach(q, ws, i, target, e.timestamp);
      cache.set(i, target);
    }
    const traits = traitsOf(e);
    if (traits) await setTraits(q, target, traits, e.timestamp);
    out.set(e.messageId, cache.get(ids[0]!) ?? target);
  }
  return out;
}

function causeOf(e: IdentityEvent): string {
  if (e.type === 'alias') return `alias ${e.previousId} -> ${e.userId}`;
  if (e.type === 'identify') return `identify ${e.userId ?? ''} with anonymousId ${e.anonymousId ?? ''}`.trim();
  return `${e.type} carrying ${[e.userId && 'userId', e.anonymousId && 'anonymousId', e.context?.traits ? 'context.traits' : null].filter(Boolean).join(' + ')}`;
}

async function pickCanonical(q: SqlRunner, profiles: string[]): Promise<string> {
  const r = await q.query<{ id: string }>('select id from profiles where id = any($1) order by created_at, id limit 1', [profiles]);
  return r.rows[0]?.id ?? profiles[0]!;
}

async function hasOtherOfKind(q: SqlRunner, profileId: string, i: Identifier): Promise<boolean> {
  const r = await q.query('select 1 from identities where profile_id = $1 and kind = $2 and value <> $3 limit 1', [profileId, i.kind, i.value]);
  return r.rows.length > 0;
}

async function attach(q: SqlRunner, ws: string, i: Identifier, profileId: string, at: string) {
  await q.query(
    `insert into identities (workspace_id, kind, value, profile_id, first_seen) values ($1, $2, $3, $4, $5)
     on conflict (workspace_id, kind, value) do nothing`,
    [ws, i.kind, i.value, profileId, at],
  );
}

/** Keeps each trait's newest value: a late event does not overwrite a newer one. */
export async function setTraits(q: SqlRunner, profileId: string, traits: Record<string, unknown>, at: string) {
  const keys = Object.keys(traits).slice(0, 200);
  if (!keys.length) return;
  await q.query(
    `insert into profile_traits (profile_id, key, value, updated_at, source_profile)
     select $1, k, v, $3::timestamptz, $1 from jsonb_each($2::jsonb) as t(k, v)
     on conflict (profile_id, key) do update set value = excluded.value, updated_at = excluded.updated_at
       where profile_traits.updated_at <= excluded.updated_at`,
    [profileId, JSON.stringify(Object.fromEntries(keys.map((k) => [k, traits[k]]))), at],
  );
  await q.query('update profiles set updated_at = greatest(updated_at, $2::timestamptz) where id = $1', [profileId, at]);
}
