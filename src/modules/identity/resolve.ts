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
    // One indexed lookup per identifier kind (a join on unnest lets the planner hash the whole table).
    const byKind = new Map<string, string[]>();
    for (const i of missing) byKind.set(i.kind, [...(byKind.get(i.kind) ?? []), i.value]);
    const rows: Array<{ kind: string; value: string; profile_id: string }> = [];
    for (const [kind, values] of byKind) {
      const r = await this.q.query<{ kind: string; value: string; profile_id: string }>(
        'select kind, value, profile_id from identities where workspace_id = $1 and kind = $2 and value = any($3)',
        [this.ws, kind, [...new Set(values)]],
      );
      rows.push(...r.rows);
    }
    const r = { rows };
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
 * Writes buffered for one batch (new profiles, identities, traits) and flushed in a few bulk
 * statements: before any merge (which reads the tables) and at the end of the batch.
 */
class PendingWrites {
  profiles: Array<{ id: string; at: string }> = [];
  identities: Array<{ kind: string; value: string; profile_id: string; at: string }> = [];
  traits = new Map<string, { profile_id: string; key: string; value: unknown; at: string }>();
  /** Unique-kind identifiers per profile (e.g. its userId), to apply the `unique` rule without a query per event. */
  uniques = new Map<string, Map<string, string>>();
  constructor(private readonly q: SqlRunner, private readonly ws: string, private readonly uniqueKinds: string[]) {}

  async loadUniques(profileIds: string[]) {
    const missing = [...new Set(profileIds)].filter((p) => !this.uniques.has(p));
    if (!missing.length) return;
    for (const p of missing) this.uniques.set(p, new Map());
    if (!this.uniqueKinds.length) return;
    const r = await this.q.query<{ profile_id: string; kind: string; value: string }>(
      'select profile_id, kind, value from identities where profile_id = any($1) and kind = any($2)', [missing, this.uniqueKinds]);
    for (const row of r.rows) this.uniques.get(row.profile_id)!.set(row.kind, row.value);
  }

  newProfile(id: string, at: string) {
    this.profiles.push({ id, at });
    this.uniques.set(id, new Map());
  }

  attach(i: Identifier, profileId: string, at: string) {
    this.identities.push({ kind: i.kind, value: i.value, profile_id: profileId, at });
    if (this.uniqueKinds.includes(i.kind)) this.uniques.get(profileId)?.set(i.kind, i.value);
  }

  setTraits(profileId: string, traits: Record<string, unknown>, at: string) {
    for (const k of Object.keys(traits).slice(0, 200)) {
      const id = `${profileId}\u0001${k}`;
      const prev = this.traits.get(id);
      if (!prev || Date.parse(prev.at) <= Date.parse(at)) this.traits.set(id, { profile_id: profileId, key: k, value: traits[k], at });
    }
  }

  merged(from: string, into: string) {
    const into_ = this.uniques.get(into) ?? new Map();
    for (const [k, v] of this.uniques.get(from) ?? []) into_.set(k, v);
    this.uniques.set(into, into_);
    this.uniques.delete(from);
  }

  async flush() {
    const q = this.q;
    if (this.profiles.length) {
      await q.query(
        `insert into profiles (id, workspace_id, created_at, updated_at)
         select x.id, $1, x.at, x.at from jsonb_to_recordset($2::jsonb) as x(id text, at timestamptz)`,
        [this.ws, JSON.stringify(this.profiles)],
      );
      this.profiles = [];
    }
    if (this.identities.length) {
      await q.query(
        `insert into identities (workspace_id, kind, value, profile_id, first_seen)
         select $1, x.kind, x.value, x.profile_id, x.at from jsonb_to_recordset($2::jsonb) as x(kind text, value text, profile_id text, at timestamptz)
         on conflict (workspace_id, kind, value) do nothing`,
        [this.ws, JSON.stringify(this.identities)],
      );
      this.identities = [];
    }
    if (this.traits.size) {
      const rows = [...this.traits.values()].map((t) => ({ ...t, value: t.value === undefined ? null : t.value }));
      // Keeps each trait's newest value: a late event does not overwrite a newer one.
      await q.query(
        `insert into profile_traits (profile_id, key, value, updated_at, source_profile)
         select x.profile_id, x.key, x.value, x.at, x.profile_id
         from jsonb_to_recordset($1::jsonb) as x(profile_id text, key text, value jsonb, at timestamptz)
         on conflict (profile_id, key) do update set value = excluded.value, updated_at = excluded.updated_at, source_profile = excluded.source_profile
           where profile_traits.updated_at <= excluded.updated_at`,
        [JSON.stringify(rows)],
      );
      await q.query(
        `update profiles p set updated_at = greatest(p.updated_at, x.at)
         from (select profile_id, max(at) as at from jsonb_to_recordset($1::jsonb) as r(profile_id text, at timestamptz) group by profile_id) x
         where p.id = x.profile_id`,
        [JSON.stringify(rows.map((r) => ({ profile_id: r.profile_id, at: r.at })))],
      );
      this.traits.clear();
    }
  }
}

/**
 * Applies a batch of one workspace's events to the identity graph, in order: creates profiles,
 * attaches identifiers, merges on the rules, and records identify traits with their time.
 * Returns each event's canonical profile (by messageId).
 */
export async function resolveEvents(q: SqlRunner, ws: string, events: IdentityEvent[], rules: MergeRules = DEFAULT_RULES): Promise<Map<string, string>> {
  const cache = new GraphCache(q, ws);
  const pending = new PendingWrites(q, ws, rules.unique);
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
      pending.newProfile(target, e.timestamp);
    } else if (profiles.length === 1) {
      target = profiles[0]!;
    } else {
      await pending.flush();
      target = await pickCanonical(q, profiles);
      for (const other of profiles) {
        if (other === target) continue;
        const mergeable = (p: string) => ids.some((i) => cache.get(i) === p && rules.mergeOn.includes(i.kind));
        if (!mergeable(other) || !mergeable(target)) continue;
        const merged = await mergeProfiles(q, ws, other, target, causeOf(e), e.messageId, rules);
        if (merged) {
          cache.repoint(other, target);
          await pending.loadUniques([other, target]);
          pending.merged(other, target);
        }
      }
    }
    for (const i of ids) {
      if (cache.get(i)) continue;
      if (rules.unique.includes(i.kind)) {
        await pending.loadUniques([target]);
        const held = pending.uniques.get(target)?.get(i.kind);
        if (held !== undefined && held !== i.value) {
          // A second userId for one profile breaks the unique rule: it becomes its own person.
          const own = newProfileId();
          pending.newProfile(own, e.timestamp);
          pending.attach(i, own, e.timestamp);
          cache.set(i, own);
          continue;
        }
      }
      pending.attach(i, target, e.timestamp);
      cache.set(i, target);
    }
    const traits = traitsOf(e);
    if (traits) pending.setTraits(target, traits, e.timestamp);
    out.set(e.messageId, cache.get(ids[0]!) ?? target);
  }
  await pending.flush();
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

