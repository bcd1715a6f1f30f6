import { traitField } from './fields.ts';
import { clusterHolds } from './cluster.ts';
import { parseTime } from './validate.ts';
import { DAY_MS, cmp, timeValue } from './compile.ts';
import { LINE_PROPERTIES, isLineFilter, type EventRule, type PropertyFilter, type Rule, type TimeValue, type TraitRule } from './types.ts';

/**
 * The reference evaluator: the rule language's meaning in plain TypeScript over an in-memory
 * world, written from docs/segments.md independently of the SQL. The property tests load random
 * worlds into the real stores and check that the compiled SQL returns exactly these people.
 */
export interface RefProfile {
  profileId: string;
  userId: string | null;
  anonymousIds: string[];
  /** Computed traits by API name (numbers, strings, ISO times, YYYY-MM-DD dates, topCategories as [{ name, weight }], booleans); missing = null. */
  traits: Record<string, unknown>;
}
export interface RefEvent {
  seq: number;
  type: 'track' | 'identify';
  event?: string;
  userId?: string;
  anonymousId?: string;
  ts: number;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  /** Order lines (`Order Completed` with an order_id): category, brand, product_id, name, price, quantity. */
  lines?: Array<Record<string, string | number | null>>;
}
export interface RefWorld {
  now: number;
  profiles: RefProfile[];
  events: RefEvent[];
  /** Live social edges between raw ids (`u:<userId>`, `a:<anonymousId>`). */
  edges: Array<{ type: 'friend' | 'follow' | 'invite'; src: string; dst: string }>;
}

/**
 * The profile-level graph of a world (what `influence_edges` holds): each edge between two raw ids
 * held by two different people, once. Used when the world's influence traits are computed (some
 * person has an `isKol` value), as the compiled SQL does.
 */
export function profileEdgesOf(world: RefWorld): RefWorld['edges'] {
  const byKey = new Map<string, string>();
  for (const p of world.profiles) for (const k of keysOf(p)) byKey.set(k, p.profileId);
  const out = new Map<string, RefWorld['edges'][number]>();
  for (const e of world.edges) {
    const src = byKey.get(e.src);
    const dst = byKey.get(e.dst);
    if (src && dst && src !== dst) out.set(`${e.type} ${src} ${dst}`, { type: e.type, src, dst });
  }
  return [...out.values()];
}

/** Whether social conditions use the profile-level graph (the influence traits are computed). */
export const usesProfileGraph = (world: RefWorld) => world.profiles.some((p) => p.traits.isKol !== null && p.traits.isKol !== undefined);

const keysOf = (p: RefProfile) => [...(p.userId ? [`u:${p.userId}`] : []), ...p.anonymousIds.map((a) => `a:${a}`)];

/** Text of a JSON scalar as DuckDB's json_extract_string gives it (null for null / missing). */
function jsonText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}
function asNumber(s: string | null): number | null {
  if (s === null) return null;
  const t = s.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  return Number(t);
}

/** The profile ids matching a rule (expanded: segment references carry `resolved`), sorted. */
export function referenceEvaluate(rule: Rule, world: RefWorld): string[] {
  const byUser = new Map<string, RefProfile>();
  const byAnon = new Map<string, RefProfile>();
  const byKey = new Map<string, RefProfile>();
  for (const p of world.profiles) {
    if (p.userId) byUser.set(p.userId, p);
    for (const a of p.anonymousIds) byAnon.set(a, p);
    for (const k of keysOf(p)) byKey.set(k, p);
  }
  const owner = (e: RefEvent) => (e.userId !== undefined ? byUser.get(e.userId) : undefined) ?? (e.anonymousId !== undefined ? byAnon.get(e.anonymousId) : undefined);
  const eventsOf = new Map<string, RefEvent[]>();
  for (const e of world.events) {
    if (e.ts >= world.now) continue;
    const p = owner(e);
    if (!p) continue;
    const list = eventsOf.get(p.profileId) ?? [];
    list.push(e);
    eventsOf.set(p.profileId, list);
  }

  const members = (r: Rule): Set<string> => new Set(world.profiles.filter((p) => holds(r, p)).map((p) => p.profileId));
  const keysOfMembers = (r: Rule | undefined): Set<string> => {
    if (!r) throw new Error('segment reference was not expanded');
    const m = members(r);
    return new Set(world.profiles.filter((p) => m.has(p.profileId)).flatMap(keysOf));
  };
  const profileGraph = usesProfileGraph(world);
  const pEdges = profileGraph ? profileEdgesOf(world) : [];
  /** Profile mode: the people a social node matches. */
  const socialPeople = (r: Extract<Rule, { social: string }>): Set<string> => {
    const s = new Set<string>();
    if (r.social === 'near_kol') {
      const kols = new Set(world.profiles.filter((p) => p.traits.isKol === true).map((p) => p.profileId));
      const seen = new Set(kols);
      let frontier = new Set(kols);
      for (let h = 0; h < r.hops; h++) {
        const next = new Set<string>();
        for (const e of pEdges) {
          if (frontier.has(e.src) && !seen.has(e.dst)) next.add(e.dst);
          if (frontier.has(e.dst) && !seen.has(e.src)) next.add(e.src);
        }
        for (const k of next) seen.add(k);
        frontier = next;
      }
      for (const k of seen) if (!kols.has(k)) s.add(k);
      return s;
    }
    let from: Set<string>;
    if ('userId' in r.of) {
      const p = byUser.get(r.of.userId);
      from = new Set(p ? [p.profileId] : []);
    } else {
      if (!r.of.resolved) throw new Error('segment reference was not expanded');
      from = members(r.of.resolved);
    }
    const type = r.social === 'friend_of' ? 'friend' : r.social === 'invited_by' ? 'invite' : 'follow';
    for (const e of pEdges) {
      if (e.type !== type) continue;
      if (r.social === 'follower_of') {
        if (from.has(e.dst)) s.add(e.src);
      } else if (from.has(e.src)) s.add(e.dst);
    }
    return s;
  };
  const socialCache = new Map<Rule, Set<string>>();
  const socialKeys = (r: Extract<Rule, { social: string }>): Set<string> => {
    let s = socialCache.get(r);
    if (s) return s;
    s = new Set<string>();
    if (r.social === 'near_kol') {
      const kolKeys = new Set(world.profiles.filter((p) => p.traits.isKol === true).flatMap(keysOf));
      let frontier = new Set(kolKeys);
      const seen = new Set(kolKeys);
      for (let h = 0; h < r.hops; h++) {
        const next = new Set<string>();
        for (const e of world.edges) {
          if (frontier.has(e.src) && !seen.has(e.dst)) next.add(e.dst);
          if (frontier.has(e.dst) && !seen.has(e.src)) next.add(e.src);
        }
        for (const k of next) seen.add(k);
        frontier = next;
      }
      for (const k of seen) if (!kolKeys.has(k)) s.add(k);
    } else {
      const from = 'userId' in r.of ? new Set([`u:${r.of.userId}`]) : keysOfMembers((r.of as { resolved?: Rule }).resolved);
      const type = r.social === 'friend_of' ? 'friend' : r.social === 'invited_by' ? 'invite' : 'follow';
      for (const e of world.edges) {
        if (e.type !== type) continue;
        if (r.social === 'follower_of') {
          if (from.has(e.dst)) s.add(e.src);
        } else if (from.has(e.src)) s.add(e.dst);
      }
    }
    socialCache.set(r, s);
    return s;
  };

  const holds = (r: Rule, p: RefProfile): boolean => {
    if ('all' in r) return r.all.every((x) => holds(x, p));
    if ('any' in r) return r.any.some((x) => holds(x, p));
    if ('not' in r) return !holds(r.not, p);
    if ('trait' in r) return traitHolds(r, p, eventsOf.get(p.profileId) ?? [], world.now);
    if ('event' in r) return eventHolds(r, eventsOf.get(p.profileId) ?? [], world.now);
    if ('cluster' in r) {
      if (!r.resolved) throw new Error('cluster model was not resolved');
      return clusterHolds(r.resolved, r.cluster.index, p.traits);
    }
    if ('social' in r) {
      if (profileGraph) {
        let people = socialCache.get(r);
        if (!people) socialCache.set(r, (people = socialPeople(r)));
        return people.has(p.profileId);
      }
      const keys = socialKeys(r);
      return keysOf(p).some((k) => keys.has(k));
    }
    if (!r.resolved) throw new Error(`segment ${r.segment} was not expanded`);
    return holds(r.resolved, p);
  };
  return world.profiles.filter((p) => holds(rule, p)).map((p) => p.profileId).sort();
}

function numberHolds(x: number | null, op: string, value: unknown): boolean {
  if (x === null) return false;
  if (op === 'between') return x >= (value as number[])[0]! && x <= (value as number[])[1]!;
  if (op === 'in') return (value as number[]).includes(x);
  if (op === 'not_in') return !(value as number[]).includes(x);
  return cmp(op, x, value as number);
}

function textHolds(x: string | null, op: string, value: unknown): boolean {
  if (x === null) return false;
  if (op === 'eq') return x === value;
  if (op === 'neq') return x !== value;
  if (op === 'in') return (value as string[]).includes(x);
  if (op === 'not_in') return !(value as string[]).includes(x);
  if (op === 'contains') return x.includes(value as string);
  return false;
}

/** A JSON scalar compared as text (string values) or numerically (number values). */
function looseHolds(x: string | null, op: string, value: unknown): boolean {
  if (op === 'exists') return x !== null;
  if (op === 'not_exists') return x === null;
  if (x === null) return false;
  if (op === 'contains') return x.includes(value as string);
  if (op === 'eq' || op === 'neq') return typeof value === 'number' ? numberHolds(asNumber(x), op, value) : textHolds(x, op, value);
  if (op === 'in' || op === 'not_in') {
    const list = value as Array<string | number>;
    const n = asNumber(x);
    const inList = list.some((v) => (typeof v === 'number' ? n !== null && n === v : v === x));
    return op === 'in' ? inList : !inList;
  }
  return numberHolds(asNumber(x), op, value);
}

function traitHolds(r: TraitRule, p: RefProfile, events: RefEvent[], now: number): boolean {
  const f = traitField(r.trait)!;
  if (f.type === 'identify') {
    const own = (o: Record<string, unknown> | undefined) => (o && Object.hasOwn(o, f.column) ? jsonText(o[f.column]) : null);
    const ids = events.filter((e) => e.type === 'identify' && own(e.traits) !== null).sort((a, b) => b.ts - a.ts || b.seq - a.seq);
    return looseHolds(ids.length ? own(ids[0]!.traits) : null, r.op, r.value);
  }
  const v = p.traits[r.trait] ?? null;
  if (f.type === 'list') {
    const names = Array.isArray(v) ? (v as Array<{ name: string }>).map((x) => x.name) : [];
    if (r.op === 'exists') return names.length > 0;
    if (r.op === 'not_exists') return names.length === 0;
    return names.includes(r.value as string);
  }
  if (r.op === 'exists') return v !== null;
  if (r.op === 'not_exists') return v === null;
  if (v === null) return false;
  switch (f.type) {
    case 'number': return numberHolds(v as number, r.op, r.value);
    case 'text': return textHolds(v as string, r.op, r.value);
    case 'flag': return v === r.value;
    case 'time': {
      const ms = parseTime(v as string);
      const at = (x: unknown) => timeValue(x as TimeValue, now);
      if (r.op === 'before') return ms < at(r.value);
      if (r.op === 'after') return ms > at(r.value);
      if (r.op === 'between') return ms >= at((r.value as TimeValue[])[0]) && ms <= at((r.value as TimeValue[])[1]);
      if (r.op === 'within_last_days') return ms >= now - (r.value as number) * DAY_MS && ms < now;
    }
  }
  return false;
}

function filterHolds(event: string, f: PropertyFilter, e: RefEvent, line?: Record<string, string | number | null>): boolean {
  if (isLineFilter(event, f)) {
    const lp = LINE_PROPERTIES[f.property]!;
    const x = line?.[lp.column] ?? null;
    if (f.op === 'exists') return x !== null;
    if (f.op === 'not_exists') return x === null;
    return lp.numeric ? numberHolds(x as number | null, f.op, f.value) : textHolds(x as string | null, f.op, f.value);
  }
  return looseHolds(e.properties && Object.hasOwn(e.properties, f.property) ? jsonText(e.properties[f.property]) : null, f.op, f.value);
}

function eventHolds(r: EventRule, events: RefEvent[], now: number): boolean {
  const where = r.where ?? [];
  const lineFilters = where.filter((f) => isLineFilter(r.event, f));
  const from = r.within ? ('days' in r.within ? now - r.within.days * DAY_MS : parseTime(r.within.since)) : -Infinity;
  const matched = events.filter((e) => e.type === 'track' && e.event === r.event && e.ts >= from && e.ts < now &&
    where.every((f) => isLineFilter(r.event, f) || filterHolds(r.event, f, e)) &&
    (!lineFilters.length || (e.lines ?? []).some((l) => lineFilters.every((f) => filterHolds(r.event, f, e, l)))));
  const n = matched.length;
  if (r.performed === false) return n === 0;
  if (r.count ? !cmp(r.count.op, n, r.count.value) : n < 1) return false;
  if (r.sum) {
    const prop = r.sum.property;
    const s = matched.reduce((acc, e) => acc + (e.properties && Object.hasOwn(e.properties, prop) ? asNumber(jsonText(e.properties[prop])) ?? 0 : 0), 0);
    if (!cmp(r.sum.op, s, r.sum.value)) return false;
  }
  return true;
}
