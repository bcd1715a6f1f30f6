import type { DuckDBConnection } from '@duckdb/node-api';
import { orderLinesOf } from '../events/index.ts';
import { MAX_ORDER_AMOUNT } from '../ingest/index.ts';
import { Params } from './params.ts';
import { CHURN_FEATURES, churnSql, type ChurnModel } from './churn.ts';
import { cmpUtf8 } from './collation.ts';
import { FOLD, ORDER_EVENT_NAMES, SOCIAL_EVENTS, anonymousProbe, foldKey, rangeBodies, rangeLookup, scopeLookups, type FactsQuery, type Scope } from './facts.ts';
import { stageHistory, type StageChange } from './lifecycle.ts';

/**
 * The facts of a small scope (an incremental pass), computed in TypeScript from the scope's events
 * instead of by the facts query's dozen SQL aggregates (each of which costs DuckDB milliseconds
 * whatever its input). Equal to the facts query by construction where it matters:
 *
 * - the rows come with the facts query's own property extraction, casts and interest decay (SQL:
 *   facts.ts `scopeLookups`, plain index lookups); an event's profile is assigned as the query's
 *   `evs` does; the order lines come from the order bodies by the function the event store derives
 *   `order_lines` with (`orderLinesOf`);
 * - the per-profile aggregates follow the query's definitions (facts.ts) with DuckDB's arithmetic:
 *   money in integer cents (`round(x, 2)::decimal(18,2)`), quantiles with DuckDB's interpolation;
 * - the final columns (`traitRows`) follow the query's final select (`factsSelect`) with DuckDB's
 *   arithmetic and to_json's text, and are appended; the churn probability is the model's SQL
 *   expression, evaluated by DuckDB (`churnOf`).
 *
 * One caveat, shared with any two SQL plans of the same query: floating sums (interest weights, a
 * refund's amounts, an order's lines) may add in another order; the results are rounded (4 and 2
 * places) before they are stored. test/profiles/facts-scope.test.ts holds this path to the query
 * on random worlds.
 */

const DAY = 86_400_000;
/** facts.ts `amountSql` (the event's own amounts come through it already). */
const amount = (x: number | null) => (x !== null && Math.abs(x) <= MAX_ORDER_AMOUNT ? x : null);
const SOCIAL = new Set(SOCIAL_EVENTS);

interface Ev {
  seq: number; event: string; us: number; messageId: string; orderId: string | null; total: number | null; revenue: number | null;
  coupon: string | null; discount: number | null; category: string | null; brand: string | null; decay: number | null; body: string | null;
}

/** A profile's aggregates (the CTEs `act`, `oagg`, `gagg`, `price`, the interest shares) and lifecycle history. */
export interface ProfileAggregates {
  profileId: string; userId: string | null; anonymousId: string | null;
  act: { total: number; firstUs: number; lastUs: number; d30: number; prev30: number; social90: number } | null;
  orders: {
    n: number; gmv: number; refunded: number; refundedOrders: number; couponOrders: number; firstUs: number; lastUs: number;
    purchaseDays: number; firstDay: number; lastDay: number; rfmN: number; rfmMonetary: number | null; rfmLastDay: number | null;
  } | null;
  gaps: { median: number; p25: number; p75: number } | null;
  price: { median: number; p25: number; p75: number } | null;
  interests: Array<{ kind: 'category' | 'brand'; name: string; share: number }>;
  history: StageChange[];
  /** The fold state to store with the row (facts.ts `foldCtes`), null when it cannot be kept. */
  fold: string | null;
  /** False when the history is the stored one (a fold without a new order): its rows need no rewrite. */
  historyChanged: boolean;
}

/** `round(x, 2)` of DuckDB (std::round: half away from zero; non-finite results give x back). */
export function round2(x: number): number {
  const m = x * 100;
  const v = (Math.sign(m) * Math.round(Math.abs(m))) / 100;
  return Number.isFinite(v) ? v : x;
}
/** A double already rounded to 2 places as decimal(18,2), in integer cents. */
const cents = (x: number) => Math.round(x * 100) + 0;
/** Cents as a decimal literal (exact). */
function decimalText(c: number): string {
  const a = Math.abs(c);
  return `${c < 0 ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** DuckDB's quantile_cont over sorted values: RN = (n−1)·q, lo + (hi − lo)·(RN − ⌊RN⌋). */
export function quantileCont(sorted: readonly number[], q: number): number {
  const rn = (sorted.length - 1) * q;
  const f = Math.floor(rn);
  const c = Math.ceil(rn);
  const lo = sorted[f]!;
  if (f === c) return lo;
  const hi = sorted[c]!;
  return lo + (hi - lo) * (rn - f);
}

/** A new pass's events for the profiles' fold states (facts.ts `foldCtes`): `states` as stored (the row's fold_state before the pass). */
export interface FoldInput { states: Map<string, string | null>; after: number; upTo: number; stable: Set<string> }

/** How many profiles the last scopeAggregates calls computed from a fold state, and from their events (tests, bench). */
export const foldStats = { folded: 0, read: 0 };

/**
 * Reads the scope's events (a user-id lookup; an anonymous-id probe, and the anonymous-id lookup when
 * the probe finds events without a scope user id; the profiles of other user ids on them)
 * and computes the aggregates of its profiles. `scope.mirror` must hold the profiles' mirror rows.
 *
 * With `fold` (an incremental pass whose identities did not move), profiles whose stored fold state
 * has this run's key take the pass's events of their own instead (one read of the seq range, not
 * of their whole history): folded into the state, they give the same aggregates (`foldNew` says
 * when they cannot: a refund or cancellation, which change what earlier events count for; then the
 * whole scope is read as without `fold`).
 */
export async function scopeAggregates(c: DuckDBConnection, q: FactsQuery & { scope: Scope }, fold?: FoldInput): Promise<ProfileAggregates[]> {
  const scope = q.scope;
  // base: one row per profile with mirror rows; its user / anonymous id is the least of each kind.
  const owner = new Map<string, string>();
  const out = new Map<string, { agg: ProfileAggregates; evs: Ev[] }>();
  for (const r of scope.mirror) {
    owner.set(`${r.kind}\u0001${r.value}`, r.profileId);
    let x = out.get(r.profileId);
    if (!x) out.set(r.profileId, (x = { agg: { profileId: r.profileId, userId: null, anonymousId: null, act: null, orders: null, gaps: null, price: null, interests: [], history: [], fold: null, historyChanged: true }, evs: [] }));
    const k = r.kind === 'user_id' ? 'userId' : r.kind === 'anonymous_id' ? 'anonymousId' : null;
    if (k && (x.agg[k] === null || cmpUtf8(r.value, x.agg[k]!) < 0)) x.agg[k] = r.value;
  }
  const cutoffMs = Date.parse(q.asOf + 'T00:00:00Z') + DAY;
  const cutoffUs = cutoffMs * 1000;
  const win = q.settings.rfm.windowDays;
  const ctx: Ctx = {
    at30: (cutoffMs - 30 * DAY) * 1000, at60: (cutoffMs - 60 * DAY) * 1000, at90: (cutoffMs - 90 * DAY) * 1000,
    winStart: win === null ? -Infinity : (cutoffMs - win * DAY) * 1000, end: Math.round(Date.parse(q.asOf + 'T00:00:00Z') / DAY),
  };
  // The fold states of this run of the profiles whose identifiers stayed (the others are read whole).
  const folds = new Map<string, Fold>();
  if (fold) {
    const key = foldKey(q);
    for (const pid of out.keys()) {
      const f = fold.stable.has(pid) ? parseFold(fold.states.get(pid) ?? null, key) : null;
      if (f) folds.set(pid, f);
    }
  }
  // Rows with the profiles they are read for: a row counts only for the profile it is read for
  // (an event of the range is also among a read profile's events when it carries ids of both).
  const rows: Array<{ row: unknown[]; folded: boolean }> = [];
  if (folds.size) {
    // The range's events of the folded profiles' ids (what the lookups below would find of the range).
    const ids = new Set(scope.mirror.filter((r) => folds.has(r.profileId)).map((r) => `${r.kind}\u0001${r.value}`));
    const l = rangeLookup(fold!.after, fold!.upTo, cutoffMs, q.settings.interests.halfLifeDays);
    const r = await c.runAndReadAll(l.sql, l.params.values, l.params.types);
    for (const row of r.getRowsJS()) {
      if (row[6] !== q.ws || Number(row[2]) >= cutoffUs) continue;
      const u = row[4] as string | null;
      const a = row[5] as string | null;
      if ((u !== null && ids.has(`user_id\u0001${u}`)) || (a !== null && ids.has(`anonymous_id\u0001${a}`))) rows.push({ row, folded: true });
    }
    // The order bodies (their lines), when there are orders.
    if (rows.some((r) => r.row[1] === 'Order Completed')) {
      const b = rangeBodies(fold!.after, fold!.upTo);
      const bodies = new Map((await c.runAndReadAll(b.sql, b.params.values, b.params.types)).getRowsJS().map((x) => [Number(x[0]), x[1] as string]));
      for (const r of rows) if (r.row[1] === 'Order Completed') r.row[15] = bodies.get(Number(r.row[0])) ?? null;
    }
  }
  const read = folds.size ? scopeOfRows(scope, scope.mirror.filter((r) => !folds.has(r.profileId))) : scope;
  if (read.profiles.length) {
    // The scope's events (facts.ts scopeLookups: one plain index lookup per id kind).
    // The anonymous ids' events are read only when some carry none of the scope's user ids (anonymousProbe).
    const readUsers = new Set(read.userIds);
    const probe = read.userIds.length ? anonymousProbe(read) : null;
    let anonNeeded = true;
    if (probe) {
      const r = await c.runAndReadAll(probe.sql, probe.params.values, probe.params.types);
      anonNeeded = ((r.getColumnsJS()[1] ?? []) as Array<string | null>).some((u) => u === null || !readUsers.has(u));
    }
    for (const l of scopeLookups(read, cutoffMs, q.settings.interests.halfLifeDays)) {
      if (l.kind === 'anonymous_id' && !anonNeeded) continue;
      const r = await c.runAndReadAll(l.sql, l.params.values, l.params.types);
      for (const row of r.getRowsJS()) {
        if (row[6] !== q.ws || Number(row[2]) >= cutoffUs) continue;
        if (l.kind === 'anonymous_id' && row[4] !== null && readUsers.has(row[4] as string)) continue;
        rows.push({ row, folded: false });
      }
    }
  }
  // The profiles holding an id of an order event past the range's start (historyChanged below).
  const orderTouched = new Set<string>();
  // In seq order.
  rows.sort((a, b) => Number(a.row[0]) - Number(b.row[0]));
  if (rows.length) {
    // An event's profile is its userId's, else its anonymousId's (facts.ts `evs`): the scope's
    // anonymous events that carry a user id the mirror knows belong to that (other) profile.
    const others = [...new Set(rows.map((r) => r.row[4] as string | null).filter((u): u is string => u !== null && !owner.has(`user_id\u0001${u}`)))];
    const known = new Set<string>();
    if (others.length) {
      const o = new Params();
      const k = await c.runAndReadAll(`select kind, value, workspace_id from profile_identities where value in ${o.inList(others)}`, o.values, o.types);
      for (const x of k.getRowObjectsJS() as Array<{ kind: string; value: string; workspace_id: string }>) {
        if (x.workspace_id === q.ws && x.kind === 'user_id') known.add(x.value);
      }
    }
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    for (const { row, folded } of rows) {
      const u = row[4] as string | null;
      const a = row[5] as string | null;
      // An order event past the range's start marks every profile of the scope holding one of its ids:
      // its history can change even if the event goes to another profile now (one it was credited to
      // before its user id was projected loses it).
      if (fold && Number(row[0]) > fold.after && ORDER_EVENT_NAMES.has(row[1] as string)) {
        for (const pid of [u === null ? undefined : owner.get(`user_id\u0001${u}`), a === null ? undefined : owner.get(`anonymous_id\u0001${a}`)]) {
          if (pid !== undefined) orderTouched.add(pid);
        }
      }
      let pid: string | undefined;
      if (u !== null) pid = owner.get(`user_id\u0001${u}`);
      if (pid === undefined && u !== null && known.has(u)) continue;
      if (pid === undefined && a !== null) pid = owner.get(`anonymous_id\u0001${a}`);
      const x = pid === undefined ? undefined : out.get(pid);
      if (!x || folds.has(pid!) !== folded) continue;
      x.evs.push({
        seq: Number(row[0]), event: row[1] as string, us: Number(row[2]), messageId: row[3] as string,
        orderId: row[7] as string | null, total: num(row[8]), revenue: num(row[9]), coupon: row[10] as string | null,
        discount: num(row[11]), category: row[12] as string | null, brand: row[13] as string | null, decay: num(row[14]),
        body: row[15] as string | null,
      });
    }
  }
  const accs = new Map<string, Acc>();
  const unfoldable: string[] = [];
  for (const [pid, f] of folds) {
    const acc = foldNew(accOfFold(f), out.get(pid)!.evs.filter((e) => e.seq > (f.s ?? 0)), ctx);
    if (acc) accs.set(pid, acc);
    else unfoldable.push(pid);
  }
  // A refund or cancellation among a profile's new events: the scope again, that profile read whole.
  if (unfoldable.length) return scopeAggregates(c, q, { ...fold!, stable: new Set([...fold!.stable].filter((p) => !unfoldable.includes(p))) });
  foldStats.folded += accs.size;
  foldStats.read += out.size - accs.size;
  return [...out.values()].map(({ agg, evs }) => {
    const acc = accs.get(agg.profileId);
    if (!acc) {
      // Read whole, ids unchanged in the pass (`stable`), and no order event past the range's start
      // on any of its ids: the purchase days, hence the history, are those its last computation
      // wrote (every event stored since has a seq past `after`; an id joining or leaving would have
      // moved; an event it was credited before its user id was projected is on its anonymous id).
      if (fold?.stable.has(agg.profileId)) agg.historyChanged = orderTouched.has(agg.profileId);
      return finish(agg, accOfEvents(evs, ctx), ctx, q);
    }
    // The purchase days, hence the history, change only with a new order.
    agg.historyChanged = acc.newOrders > 0;
    return finish(agg, acc, ctx, q);
  });
}

/** The scope of some of a scope's mirror rows (its profiles, user and anonymous ids). */
function scopeOfRows(scope: Scope, mirror: Scope['mirror']): Scope {
  const kind = (k: string) => [...new Set(mirror.filter((r) => r.kind === k).map((r) => r.value))];
  return { profiles: [...new Set(mirror.map((r) => r.profileId))], userIds: kind('user_id'), anonymousIds: kind('anonymous_id'), mirror };
}

interface Ctx { at30: number; at60: number; at90: number; winStart: number; end: number }

/** An order as the aggregates use it (the facts query's `ord`): amounts in cents. */
interface OrdRow { k: string; us: number; total: number; refund: number; coupon: boolean; prices: number[] }

/**
 * A profile's facts before the final columns: what the fold state holds (facts.ts `foldCtes`).
 * `sums`: interest sums by kind and name, the lines of `ords` included; `adjIds`: order ids with a
 * refund or cancellation; `seq`: the last event in it; `newOrders`: orders added by a fold.
 */
interface Acc {
  act: NonNullable<ProfileAggregates['act']> | null;
  sums: Map<string, { kind: 'category' | 'brand'; name: string; sum: number }>;
  ords: OrdRow[];
  adjIds: Set<string>;
  seq: number | null;
  newOrders: number;
}

/** The stored fold state (JSON: the full recompute's to_json, or `foldText`). */
interface Fold {
  v: 1; k: string; s: number | null; a: number[] | null;
  c: Array<{ n: string; s: number }> | null; b: Array<{ n: string; s: number }> | null;
  o: Array<{ k: string; u: number; t: number; r: number; c: boolean; p: number[] | null }> | null; x: string[] | null;
}

/** A stored fold state when it is one of this key (else null: the profile's events are read). */
function parseFold(text: string | null, key: string): Fold | null {
  if (!text) return null;
  try {
    const f = JSON.parse(text) as Fold;
    return f.v === 1 && f.k === key ? f : null;
  } catch {
    return null; // e.g. a NaN to_json wrote: read the events instead
  }
}

function accOfFold(f: Fold): Acc {
  const sums: Acc['sums'] = new Map();
  for (const [kind, list] of [['category', f.c], ['brand', f.b]] as const) {
    for (const x of list ?? []) sums.set(`${kind}\u0001${x.n}`, { kind, name: x.n, sum: x.s });
  }
  const a = f.a;
  return {
    act: a ? { total: a[0]!, firstUs: a[1]!, lastUs: a[2]!, d30: a[3]!, prev30: a[4]!, social90: a[5]! } : null,
    sums,
    ords: (f.o ?? []).map((o) => ({ k: o.k, us: o.u, total: o.t, refund: o.r, coupon: o.c, prices: o.p ?? [] })),
    adjIds: new Set(f.x ?? []),
    seq: f.s,
    newOrders: 0,
  };
}

/**
 * The fold state of an Acc; null without events, below `FOLD.minEvents`, with an event past
 * `q.foldUpTo` (read whole instead), or when a value would not survive JSON (a non-finite sum or
 * price, a −0 price).
 */
function foldText(acc: Acc, q: FactsQuery): string | null {
  if (!acc.act || acc.act.total < FOLD.minEvents || q.foldUpTo === undefined || q.foldUpTo === null || acc.seq === null || acc.seq > q.foldUpTo) return null;
  const key = foldKey(q);
  const c: Array<{ n: string; s: number }> = [];
  const b: Array<{ n: string; s: number }> = [];
  for (const t of acc.sums.values()) {
    if (!Number.isFinite(t.sum)) return null;
    (t.kind === 'category' ? c : b).push({ n: t.name, s: t.sum });
  }
  for (const o of acc.ords) if (o.prices.some((p) => !Number.isFinite(p) || Object.is(p, -0))) return null;
  const a = acc.act;
  const f: Fold = {
    v: 1, k: key, s: acc.seq, a: a ? [a.total, a.firstUs, a.lastUs, a.d30, a.prev30, a.social90] : null,
    c: c.length ? c : null, b: b.length ? b : null,
    o: acc.ords.length ? acc.ords.map((o) => ({ k: o.k, u: o.us, t: o.total, r: o.refund, c: o.coupon, p: o.prices.length ? o.prices : null })) : null,
    x: acc.adjIds.size ? [...acc.adjIds] : null,
  };
  return JSON.stringify(f);
}

/** Adds an event to the activity counts (the facts query's `act`). */
function countEvent(acc: Acc, e: Ev, x: Ctx) {
  const a = (acc.act ??= { total: 0, firstUs: Infinity, lastUs: -Infinity, d30: 0, prev30: 0, social90: 0 });
  a.total++;
  if (e.us < a.firstUs) a.firstUs = e.us;
  if (e.us > a.lastUs) a.lastUs = e.us;
  if (e.us >= x.at30) a.d30++;
  else if (e.us >= x.at60) a.prev30++;
  if (e.us >= x.at90 && SOCIAL.has(e.event)) a.social90++;
  if (acc.seq === null || e.seq > acc.seq) acc.seq = e.seq;
}

/**
 * An interest touch. A touch whose decay underflowed to 0 is no interest (facts.ts topCte's input
 * drops it too): were every touch of a kind 0, the shares would be 0 / 0.
 */
function touch(acc: Acc, kind: 'category' | 'brand', name: string | null, w: number) {
  if (name === null || name === '' || !(w > 0)) return;
  const k = `${kind}\u0001${name}`;
  const t = acc.sums.get(k);
  if (t) t.sum += w;
  else acc.sums.set(k, { kind, name, sum: w });
}

function touchViewOrAdd(acc: Acc, e: Ev) {
  if (e.event !== 'Product Viewed' && e.event !== 'Product Added') return;
  const w = (e.event === 'Product Viewed' ? 1 : 3) * e.decay!;
  touch(acc, 'category', e.category, w);
  touch(acc, 'brand', e.brand, w);
}

/** An order (its first completion) with its refunds / cancellation (`a`), its lines touching the interests. */
function addOrder(acc: Acc, e: Ev, a: { refunded: boolean; full: boolean; sum: number | null } | undefined) {
  const lines = e.body ? orderLinesOf(JSON.parse(e.body) as Parameters<typeof orderLinesOf>[0]) : [];
  let lsum: number | null = null;
  for (const l of lines) lsum = (lsum ?? 0) + (l.price ?? 0) * l.quantity;
  const total = cents(round2(e.total ?? e.revenue ?? amount(lsum) ?? 0));
  let refund = 0;
  if (a?.refunded) refund = a.full ? total : cents(Math.min(total / 100, Math.max(0, round2(a.sum ?? 0))));
  const coupon = e.coupon !== null || (e.discount !== null && (e.discount > 0 || Number.isNaN(e.discount)));
  const prices: number[] = [];
  for (const l of lines) {
    touch(acc, 'category', l.category, 5 * e.decay!);
    touch(acc, 'brand', l.brand, 5 * e.decay!);
    if (l.price !== null) prices.push(l.price);
  }
  acc.ords.push({ k: e.orderId ?? 'msg:' + e.messageId, us: e.us, total, refund, coupon, prices });
}

/** A profile's facts from all its events (seq order), as the facts query defines them. */
function accOfEvents(evs: Ev[], x: Ctx): Acc {
  const acc: Acc = { act: null, sums: new Map(), ords: [], adjIds: new Set(), seq: null, newOrders: 0 };
  for (const e of evs) {
    countEvent(acc, e, x);
    touchViewOrAdd(acc, e);
  }
  // o1: the first completion (by seq) of each order id (else of each message)
  const o1 = new Map<string, Ev>();
  for (const e of evs) {
    if (e.event !== 'Order Completed') continue;
    const key = e.orderId ?? 'msg:' + e.messageId;
    if (!o1.has(key)) o1.set(key, e);
  }
  // adj: refunds and cancellations by order id
  const adj = new Map<string, { cancelled: boolean; refunded: boolean; full: boolean; sum: number | null }>();
  for (const e of evs) {
    if ((e.event !== 'Order Refunded' && e.event !== 'Order Cancelled') || e.orderId === null) continue;
    const a = adj.get(e.orderId) ?? { cancelled: false, refunded: false, full: false, sum: null };
    adj.set(e.orderId, a);
    if (e.event === 'Order Cancelled') a.cancelled = true;
    else {
      a.refunded = true;
      const amount = e.total ?? e.revenue;
      if (amount === null) a.full = true;
      else a.sum = (a.sum ?? 0) + amount;
    }
  }
  for (const id of adj.keys()) acc.adjIds.add(id);
  for (const e of o1.values()) {
    const a = e.orderId === null ? undefined : adj.get(e.orderId);
    if (!a?.cancelled) addOrder(acc, e, a);
  }
  return acc;
}

/**
 * A fold state with a profile's new events (seq order, all after the state's): null when they
 * cannot be folded in — a refund or cancellation (it changes an earlier order), or a completion of
 * an order id that has one. A completion of an order key already counted is a repeat (the first wins).
 */
function foldNew(acc: Acc, evs: Ev[], x: Ctx): Acc | null {
  for (const e of evs) {
    if (e.event === 'Order Refunded' || e.event === 'Order Cancelled') return null;
    if (e.event === 'Order Completed' && e.orderId !== null && acc.adjIds.has(e.orderId)) return null;
  }
  const keys = new Set(acc.ords.map((o) => o.k));
  for (const e of evs) {
    countEvent(acc, e, x);
    touchViewOrAdd(acc, e);
    if (e.event !== 'Order Completed') continue;
    const key = e.orderId ?? 'msg:' + e.messageId;
    if (keys.has(key)) continue;
    keys.add(key);
    addOrder(acc, e, undefined);
    acc.newOrders++;
  }
  return acc;
}

/** The aggregates of a profile's facts (the facts query's `act`, `oagg`, `gagg`, `price`, interest shares), its lifecycle history and fold state. */
function finish(agg: ProfileAggregates, acc: Acc, x: Ctx, q: FactsQuery): ProfileAggregates {
  agg.act = acc.act;
  agg.fold = foldText(acc, q);
  const ord = acc.ords;
  if (ord.length) {
    const days = [...new Set(ord.map((o) => Math.floor(o.us / 1000 / DAY)))].sort((a, b) => a - b);
    let gmv = 0, refunded = 0, refundedOrders = 0, couponOrders = 0, oFirst = Infinity, oLast = -Infinity;
    let rfmN = 0, rfmMonetary: number | null = null, rfmLastDay: number | null = null;
    const prices: number[] = [];
    for (const o of ord) {
      gmv += o.total;
      refunded += o.refund;
      if (o.refund > 0) refundedOrders++;
      if (o.coupon) couponOrders++;
      if (o.us < oFirst) oFirst = o.us;
      if (o.us > oLast) oLast = o.us;
      if (o.us >= x.winStart) {
        const day = Math.floor(o.us / 1000 / DAY);
        rfmN++;
        rfmMonetary = (rfmMonetary ?? 0) + o.total - o.refund;
        if (rfmLastDay === null || day > rfmLastDay) rfmLastDay = day;
      }
      for (const p of o.prices) prices.push(p);
    }
    agg.orders = {
      n: ord.length, gmv, refunded, refundedOrders, couponOrders, firstUs: oFirst, lastUs: oLast, purchaseDays: days.length,
      firstDay: days[0]!, lastDay: days[days.length - 1]!, rfmN, rfmMonetary, rfmLastDay,
    };
    if (prices.length) {
      prices.sort((a, b) => a - b);
      agg.price = { median: quantileCont(prices, 0.5), p25: quantileCont(prices, 0.25), p75: quantileCont(prices, 0.75) };
    }
    const gaps = days.slice(1).map((d, i) => d - days[i]!).sort((a, b) => a - b);
    if (gaps.length) agg.gaps = { median: quantileCont(gaps, 0.5), p25: quantileCont(gaps, 0.25), p75: quantileCont(gaps, 0.75) };
    agg.history = stageHistory(days, x.end, q.settings.lifecycle);
  }
  const totals = { category: 0, brand: 0 };
  for (const t of acc.sums.values()) totals[t.kind] += t.sum;
  agg.interests = [...acc.sums.values()].map((t) => ({ kind: t.kind, name: t.name, share: t.sum / totals[t.kind] }));
  return agg;
}

/** `round(x, 4)` of DuckDB (the interest weights). */
function round4(x: number): number {
  const m = x * 10_000;
  const v = (Math.sign(m) * Math.round(Math.abs(m))) / 10_000;
  return Number.isFinite(v) ? v : x;
}

/** The top five interests of a kind as topCte orders them: weight (rounded to 4 places) descending, then name. */
function topFive(a: ProfileAggregates, kind: 'category' | 'brand'): { names: string[]; weights: number[] } {
  const xs = a.interests.filter((i) => i.kind === kind).map((i) => ({ name: i.name, wt: round4(i.share) }));
  xs.sort((x, y) => (x.wt !== y.wt ? (x.wt > y.wt ? -1 : 1) : cmpUtf8(x.name, y.name)));
  const top = xs.slice(0, 5);
  return { names: top.map((x) => x.name), weights: top.map((x) => x.wt) };
}

/** Columns the insert carries besides the facts (kept influence columns, RFM scores): values as text by profile, cast to `type`. */
export interface KeptColumns { cols: ReadonlyArray<readonly [name: string, type: string]>; rows: Map<string, Array<string | null>> }

/** The columns of computed_traits in table order, with their types (per connection: the schema changes only by migration). */
const traitColumns = new WeakMap<DuckDBConnection, Array<{ name: string; type: string }>>();
async function columnsOf(c: DuckDBConnection): Promise<Array<{ name: string; type: string }>> {
  let cols = traitColumns.get(c);
  if (!cols) {
    const r = await c.runAndReadAll(
      `select column_name as name, data_type as type from duckdb_columns()
       where database_name = current_database() and schema_name = 'main' and table_name = 'computed_traits' order by column_index`);
    traitColumns.set(c, (cols = r.getRowObjectsJS() as Array<{ name: string; type: string }>));
  }
  return cols;
}

/** A JSON text as DuckDB's to_json writes it (yyjson): JSON.stringify's escapes, but \u00XX in upper case. */
function jsonText(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})|\\\\/g, (m, h: string | undefined) => (h === undefined ? m : `\\u00${h.toUpperCase()}`));
}
/** A double as DuckDB's to_json writes it: JavaScript's shortest round-trip text (an exponent without '+'), with `.0` when it has neither point nor exponent; NaN / Infinity as words; -0.0. */
export function jsonDouble(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (Object.is(x, -0)) return '-0.0';
  const t = String(x).replace('e+', 'e');
  return /[.e]/.test(t) ? t : `${t}.0`;
}
/** The interest list as the facts query's topCte writes it: to_json of [{name, weight}], null when empty. */
function interestJson(t: { names: string[]; weights: number[] }): string | null {
  if (!t.names.length) return null;
  return `[${t.names.map((n, i) => `{"name":${jsonText(n)},"weight":${jsonDouble(t.weights[i]!)}}`).join(',')}]`;
}

/**
 * The computed_traits rows of the aggregates (column → value as text, cast by the appender exactly as
 * `text::type` casts: null = SQL null), with every derived column of the facts query's final select
 * (facts.ts `factsSelect`) computed in TypeScript with DuckDB's arithmetic: a decimal divided by an
 * integer is a double, `round(x, 2)` half away from zero, days between dates as integers, `/ 7.0`
 * in doubles, the interest lists in to_json's text. The churn probability is left to SQL
 * (`churnOf`: ln / exp as DuckDB computes them). test/profiles/facts-scope.test.ts holds the
 * rows equal to the facts query's, column by column.
 */
export function traitRows(q: FactsQuery, aggs: ProfileAggregates[], carried: KeptColumns[]): Array<Map<string, string | null>> {
  const ts = (us: number | undefined) => (us === undefined ? null : new Date(Math.round(us / 1000)).toISOString());
  const isoDay = (d: number | null | undefined) => (d === null || d === undefined ? null : new Date(d * DAY).toISOString().slice(0, 10));
  // -0 as '-0' (String gives '0'): `round(x, 2)` of a tiny negative price is -0.0 in DuckDB.
  const num = (x: number | null | undefined) => (x === null || x === undefined ? null : Object.is(x, -0) ? '-0' : String(x));
  const dec = (c: number | null | undefined) => (c === null || c === undefined ? null : decimalText(c));
  const asOf = Math.round(Date.parse(q.asOf + 'T00:00:00Z') / DAY);
  return aggs.map((a) => {
    const o = a.orders;
    const g = a.gaps;
    const last = a.history[a.history.length - 1];
    const row = new Map<string, string | null>([
      ['workspace_id', q.ws], ['profile_id', a.profileId], ['as_of', q.asOf], ['user_id', a.userId], ['anonymous_id', a.anonymousId],
      ['first_seen_at', ts(a.act?.firstUs)], ['last_seen_at', ts(a.act?.lastUs)],
      ['events_total', num(a.act?.total ?? 0)], ['events_30d', num(a.act?.d30 ?? 0)], ['events_prev_30d', num(a.act?.prev30 ?? 0)],
      ['social_90d', num(a.act?.social90 ?? 0)],
      ['orders', num(o?.n ?? 0)], ['gmv', dec(o?.gmv ?? 0)], ['net_revenue', dec(o ? o.gmv - o.refunded : 0)],
      ['aov', o && o.n > 0 ? dec(cents(round2(o.gmv / 100 / o.n))) : null],
      ['first_order_at', ts(o?.firstUs)], ['last_order_at', ts(o?.lastUs)], ['days_since_last_order', o ? num(asOf - o.lastDay) : null],
      ['purchase_days', num(o?.purchaseDays ?? 0)], ['refunded_orders', num(o?.refundedOrders ?? 0)], ['refunded_amount', dec(o?.refunded ?? 0)],
      ['refund_rate', o && o.n > 0 ? num(o.refundedOrders / o.n) : null], ['coupon_orders', num(o?.couponOrders ?? 0)],
      ['coupon_share', o && o.n > 0 ? num(o.couponOrders / o.n) : null],
      ['repeat_frequency', o ? num(o.purchaseDays - 1) : null], ['repeat_recency_weeks', o ? num((o.lastDay - o.firstDay) / 7) : null],
      ['repeat_t_weeks', o ? num((asOf - o.firstDay) / 7) : null],
      ['median_gap_days', num(g?.median)],
      // `last_day + cast(round(gap) as integer)`: gaps are positive, so round half away from zero is Math.round.
      ['next_purchase_from', o && g ? isoDay(o.lastDay + Math.round(g.p25)) : null], ['next_purchase_to', o && g ? isoDay(o.lastDay + Math.round(g.p75)) : null],
      ['top_categories', interestJson(topFive(a, 'category'))], ['top_brands', interestJson(topFive(a, 'brand'))],
      ['typical_price', a.price ? num(round2(a.price.median)) : null], ['price_p25', a.price ? num(round2(a.price.p25)) : null],
      ['price_p75', a.price ? num(round2(a.price.p75)) : null],
      ['rfm_recency_days', o && o.rfmLastDay !== null ? num(asOf - o.rfmLastDay) : null], ['rfm_frequency', num(o?.rfmN ?? 0)],
      ['rfm_monetary', o && o.rfmN > 0 ? dec(o.rfmMonetary) : null],
      ['lifecycle_stage', last?.stage ?? ((o?.n ?? 0) === 0 ? 'prospect' : null)], ['lifecycle_since', last?.day ?? null],
      ['fold_state', a.fold],
    ]);
    for (const kept of carried) kept.cols.forEach(([k], i) => row.set(k, kept.rows.get(a.profileId)?.[i] ?? null));
    return row;
  });
}

/**
 * The churn probability of buyers' rows, by the model's SQL expression (churn.ts `churnSql`, as the
 * facts query applies it) over their feature columns as computed_traits types them: DuckDB's ln / exp,
 * which JavaScript's Math does not match to the last bit. One SELECT over bound values (no table).
 */
async function churnOf(c: DuckDBConnection, model: ChurnModel, cols: Array<{ name: string; type: string }>, rows: ReadonlyArray<Map<string, string | null>>): Promise<Array<number | null>> {
  const buyers = rows.map((r, i) => [r, i] as const).filter(([r]) => Number(r.get('orders')) > 0);
  const out: Array<number | null> = rows.map(() => null);
  if (!buyers.length) return out;
  const p = new Params();
  const used = cols.filter((x) => CHURN_FEATURES.some((f) => new RegExp(`\\b${x.name}\\b`).test(f.sql)));
  const r = await c.runAndReadAll(
    `select ${churnSql(model, (v) => `${p.add(v)}::double`)} from (select ${used.map((x) => `unnest(${p.list(buyers.map(([row]) => row.get(x.name) ?? null))})::${x.type} as ${x.name}`).join(', ')})`,
    p.values, p.types);
  const ps = (r.getColumnsJS()[0] ?? []) as number[];
  buyers.forEach(([, i], k) => { out[i] = ps[k]!; });
  return out;
}

/**
 * The churn probabilities of the aggregates' rows (churnOf: null for non-buyers) on `on`: a pure
 * computation over bound values, so a reader connection can run it beside the writer's statements.
 * Null (appendTraits computes them) without a model, or before the writer's connection has read
 * `computed_traits`' column types (never a statement on it here: the caller goes on using it).
 */
export function churnOfAggregates(
  c: DuckDBConnection, q: FactsQuery, aggs: ProfileAggregates[], model: ChurnModel | null,
  on: <T>(fn: (x: DuckDBConnection) => Promise<T>) => Promise<T>,
): Promise<Array<number | null>> | null {
  const cols = traitColumns.get(c);
  if (!model || !aggs.length || !cols) return null;
  const rows = traitRows(q, aggs, []);
  return on((x) => churnOf(x, model, cols, rows));
}

/**
 * Appends the aggregates' computed_traits rows (traitRows) with their churn probability (churnOf,
 * or `churn` when the caller computed it: churnOfAggregates): no statement to plan for the facts
 * themselves, which cost DuckDB's binder ~10 ms as an INSERT … SELECT of the facts query's final select.
 */
export async function appendTraits(
  c: DuckDBConnection, q: FactsQuery, aggs: ProfileAggregates[], carried: KeptColumns[], model: ChurnModel | null, churn?: Array<number | null>,
): Promise<void> {
  if (!aggs.length) return;
  const cols = await columnsOf(c);
  const rows = traitRows(q, aggs, carried);
  const ps = churn ?? (model ? await churnOf(c, model, cols, rows) : null);
  if (ps) ps.forEach((x, i) => rows[i]!.set('churn_probability', x === null ? null : String(x)));
  const ap = await c.createAppender('computed_traits');
  for (const row of rows) {
    for (const { name } of cols) {
      const v = row.get(name) ?? null;
      if (v === null) ap.appendNull(); else ap.appendVarchar(v);
    }
    ap.endRow();
  }
  ap.closeSync();
}
