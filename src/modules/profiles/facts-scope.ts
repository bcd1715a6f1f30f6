import type { DuckDBConnection } from '@duckdb/node-api';
import { orderLinesOf } from '../events/index.ts';
import { Params } from './params.ts';
import { cmpUtf8 } from './collation.ts';
import { SOCIAL_EVENTS, candColumns, factsSelect, scopeCand, type FactsQuery, type Scope } from './facts.ts';
import { stageHistory, type StageChange } from './lifecycle.ts';

/**
 * The facts of a small scope (an incremental pass), computed in TypeScript from the scope's events
 * instead of by the facts query's dozen SQL aggregates (each of which costs DuckDB milliseconds
 * whatever its input). Equal to the facts query by construction where it matters:
 *
 * - the rows come from the facts query's own CTEs (`sourceCtes`: the same index lookups, the same
 *   profile of each event, the same property extraction and casts, the same interest decay), read in
 *   one statement; the order lines from the order bodies by the function the event store derives
 *   `order_lines` with (`orderLinesOf`);
 * - the per-profile aggregates follow the query's definitions (facts.ts) with DuckDB's arithmetic:
 *   money in integer cents (`round(x, 2)::decimal(18,2)`), quantiles with DuckDB's interpolation;
 * - the final columns are the query's own `factsSelect` over these aggregates passed as lists, so
 *   every derived column (AOV, rates, weeks, next-purchase window, interest JSON, rounding) is the
 *   same SQL on the same typed inputs.
 *
 * One caveat, shared with any two SQL plans of the same query: floating sums (interest weights, a
 * refund's amounts, an order's lines) may add in another order; the results are rounded (4 and 2
 * places) before they are stored. test/profiles/facts-scope.test.ts holds this path to the query
 * on random worlds.
 */

const DAY = 86_400_000;
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

/**
 * Reads the scope's events (one statement; a second when its anonymous events carry other user ids)
 * and computes the aggregates of its profiles. `scope.mirror` must hold the profiles' mirror rows.
 */
export async function scopeAggregates(c: DuckDBConnection, q: FactsQuery & { scope: Scope }): Promise<ProfileAggregates[]> {
  const scope = q.scope;
  // base: one row per profile with mirror rows; its user / anonymous id is the least of each kind.
  const owner = new Map<string, string>();
  const out = new Map<string, { agg: ProfileAggregates; evs: Ev[] }>();
  for (const r of scope.mirror) {
    owner.set(`${r.kind}\u0001${r.value}`, r.profileId);
    let x = out.get(r.profileId);
    if (!x) out.set(r.profileId, (x = { agg: { profileId: r.profileId, userId: null, anonymousId: null, act: null, orders: null, gaps: null, price: null, interests: [], history: [] }, evs: [] }));
    const k = r.kind === 'user_id' ? 'userId' : r.kind === 'anonymous_id' ? 'anonymousId' : null;
    if (k && (x.agg[k] === null || cmpUtf8(r.value, x.agg[k]!) < 0)) x.agg[k] = r.value;
  }
  const p = new Params();
  const ws = p.add(q.ws);
  const cutoffMs = Date.parse(q.asOf + 'T00:00:00Z') + DAY;
  const cutoff = `${p.add(new Date(cutoffMs).toISOString())}::timestamptz`;
  const sc = scopeCand(scope, p, ws, cutoff, candColumns('all', true));
  if (sc.cand) {
    const halfLife = p.add(q.settings.interests.halfLifeDays);
    const decay = `pow(0.5, (epoch(${cutoff}) - epoch(ts)) / 86400.0 / ${halfLife})`;
    const r = await c.runAndReadAll(
      `with ${[...sc.lookups, `cand as (${sc.cand})`].join(',\n')}
       select seq, event, epoch_us(ts), message_id, user_id, anonymous_id,
         nullif(props[1], ''), try_cast(props[2] as double), try_cast(props[3] as double), nullif(props[4], ''), try_cast(props[5] as double),
         props[6], props[7], case when event in ('Product Viewed', 'Product Added', 'Order Completed') then ${decay} end, obody
       from cand order by seq`,
      p.values,
      p.types,
    );
    const col = r.getColumnsJS();
    const n = (col[0] ?? []).length;
    const userIds = (col[4] ?? []) as Array<string | null>;
    const anonIds = (col[5] ?? []) as Array<string | null>;
    // An event's profile is its userId's, else its anonymousId's (facts.ts `evs`): the scope's
    // anonymous events that carry a user id the mirror knows belong to that (other) profile.
    const others = [...new Set(userIds.filter((u): u is string => u !== null && !owner.has(`user_id\u0001${u}`)))];
    const known = new Set<string>();
    if (others.length) {
      const o = new Params();
      const k = await c.runAndReadAll(
        `with x as materialized (select kind, value, workspace_id from profile_identities where value in ${o.inList(others)})
         select distinct value from x where workspace_id = ${o.add(q.ws)} and kind = 'user_id'`, o.values, o.types);
      for (const v of (k.getColumnsJS()[0] ?? []) as string[]) known.add(v);
    }
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    for (let i = 0; i < n; i++) {
      const u = userIds[i] ?? null;
      const a = anonIds[i] ?? null;
      let pid: string | undefined;
      if (u !== null) pid = owner.get(`user_id\u0001${u}`);
      if (pid === undefined && u !== null && known.has(u)) continue;
      if (pid === undefined && a !== null) pid = owner.get(`anonymous_id\u0001${a}`);
      const x = pid === undefined ? undefined : out.get(pid);
      if (!x) continue;
      x.evs.push({
        seq: Number(col[0]![i]), event: col[1]![i] as string, us: Number(col[2]![i]), messageId: col[3]![i] as string,
        orderId: col[6]![i] as string | null, total: num(col[7]![i]), revenue: num(col[8]![i]), coupon: col[9]![i] as string | null,
        discount: num(col[10]![i]), category: col[11]![i] as string | null, brand: col[12]![i] as string | null, decay: num(col[13]![i]),
        body: col[14]![i] as string | null,
      });
    }
  }
  const win = q.settings.rfm.windowDays;
  const ctx = {
    at30: (cutoffMs - 30 * DAY) * 1000, at60: (cutoffMs - 60 * DAY) * 1000, at90: (cutoffMs - 90 * DAY) * 1000,
    winStart: win === null ? -Infinity : (cutoffMs - win * DAY) * 1000, end: Math.round(Date.parse(q.asOf + 'T00:00:00Z') / DAY),
  };
  return [...out.values()].map(({ agg, evs }) => aggregate(agg, evs, ctx, q.settings.lifecycle));
}

interface Ctx { at30: number; at60: number; at90: number; winStart: number; end: number }

function aggregate(agg: ProfileAggregates, evs: Ev[], x: Ctx, windows: FactsQuery['settings']['lifecycle']): ProfileAggregates {
  if (!evs.length) return agg;
  // act
  let d30 = 0, prev30 = 0, social90 = 0, firstUs = Infinity, lastUs = -Infinity;
  for (const e of evs) {
    if (e.us < firstUs) firstUs = e.us;
    if (e.us > lastUs) lastUs = e.us;
    if (e.us >= x.at30) d30++;
    else if (e.us >= x.at60) prev30++;
    if (e.us >= x.at90 && SOCIAL.has(e.event)) social90++;
  }
  agg.act = { total: evs.length, firstUs, lastUs, d30, prev30, social90 };
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
  interface Ord { e: Ev; day: number; total: number; refund: number; coupon: boolean; lines: ReturnType<typeof orderLinesOf> }
  const ord: Ord[] = [];
  for (const e of o1.values()) {
    const a = e.orderId === null ? undefined : adj.get(e.orderId);
    if (a?.cancelled) continue;
    const lines = e.body ? orderLinesOf(JSON.parse(e.body) as Parameters<typeof orderLinesOf>[0]) : [];
    let lsum: number | null = null;
    for (const l of lines) lsum = (lsum ?? 0) + (l.price ?? 0) * l.quantity;
    const total = cents(round2(e.total ?? e.revenue ?? lsum ?? 0));
    let refund = 0;
    if (a?.refunded) refund = a.full ? total : cents(Math.min(total / 100, Math.max(0, round2(a.sum ?? 0))));
    const coupon = e.coupon !== null || (e.discount !== null && (e.discount > 0 || Number.isNaN(e.discount)));
    ord.push({ e, day: Math.floor(e.us / 1000 / DAY), total, refund, coupon, lines });
  }
  const interests = new Map<string, { kind: 'category' | 'brand'; name: string; sum: number }>();
  const touch = (kind: 'category' | 'brand', name: string | null, w: number) => {
    if (name === null || name === '') return;
    const k = `${kind}\u0001${name}`;
    const t = interests.get(k);
    if (t) t.sum += w;
    else interests.set(k, { kind, name, sum: w });
  };
  for (const e of evs) {
    if (e.event !== 'Product Viewed' && e.event !== 'Product Added') continue;
    const w = (e.event === 'Product Viewed' ? 1 : 3) * e.decay!;
    touch('category', e.category, w);
    touch('brand', e.brand, w);
  }
  if (ord.length) {
    const days = [...new Set(ord.map((o) => o.day))].sort((a, b) => a - b);
    let gmv = 0, refunded = 0, refundedOrders = 0, couponOrders = 0, oFirst = Infinity, oLast = -Infinity;
    let rfmN = 0, rfmMonetary: number | null = null, rfmLastDay: number | null = null;
    const prices: number[] = [];
    for (const o of ord) {
      gmv += o.total;
      refunded += o.refund;
      if (o.refund > 0) refundedOrders++;
      if (o.coupon) couponOrders++;
      if (o.e.us < oFirst) oFirst = o.e.us;
      if (o.e.us > oLast) oLast = o.e.us;
      if (o.e.us >= x.winStart) {
        rfmN++;
        rfmMonetary = (rfmMonetary ?? 0) + o.total - o.refund;
        if (rfmLastDay === null || o.day > rfmLastDay) rfmLastDay = o.day;
      }
      for (const l of o.lines) {
        touch('category', l.category, 5 * o.e.decay!);
        touch('brand', l.brand, 5 * o.e.decay!);
        if (l.price !== null) prices.push(l.price);
      }
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
    agg.history = stageHistory(days, x.end, windows);
  }
  const totals = { category: 0, brand: 0 };
  for (const t of interests.values()) totals[t.kind] += t.sum;
  agg.interests = [...interests.values()].map((t) => ({ kind: t.kind, name: t.name, share: t.sum / totals[t.kind] }));
  return agg;
}

/** `round(x, 4)` of DuckDB (the interest weights). */
function round4(x: number): number {
  const m = x * 10_000;
  const v = (Math.sign(m) * Math.round(Math.abs(m))) / 10_000;
  return Number.isFinite(v) ? v : x;
}

/** The top five interests of a kind as topCte orders them: weight (rounded to 4 places) descending, then name. */
function topFive(a: ProfileAggregates, kind: 'category' | 'brand'): { names: string[]; weights: string[] } {
  const xs = a.interests.filter((i) => i.kind === kind).map((i) => ({ name: i.name, wt: round4(i.share) }));
  xs.sort((x, y) => (x.wt !== y.wt ? (x.wt > y.wt ? -1 : 1) : cmpUtf8(x.name, y.name)));
  const top = xs.slice(0, 5);
  return { names: top.map((x) => x.name), weights: top.map((x) => String(x.wt)) };
}

/** Columns the insert carries besides the facts (kept influence columns, RFM scores): values as text by profile, cast to `type`. */
export interface KeptColumns { cols: ReadonlyArray<readonly [name: string, type: string]>; rows: Map<string, Array<string | null>> }

/**
 * `insert into computed_traits` of the aggregates: one relation of aligned lists (one row per
 * profile, no joins) through the facts query's final select, with the lifecycle stage / since of
 * each history, the churn expression over the facts, and kept columns.
 */
export function insertAggregatesSql(q: FactsQuery, aggs: ProfileAggregates[], p: Params, churn: (p: Params) => string, carried: KeptColumns[]): string {
  const ts = (us: number | undefined) => (us === undefined ? null : new Date(us / 1000).toISOString());
  const day = (d: number | null | undefined) => (d === null || d === undefined ? null : new Date(d * DAY).toISOString().slice(0, 10));
  const num = (x: number | null | undefined) => (x === null || x === undefined ? null : String(x));
  const dec = (c: number | null | undefined) => (c === null || c === undefined ? null : decimalText(c));
  const col = (f: (a: ProfileAggregates) => string | null, cast: string, name: string) => `unnest(${p.list(aggs.map(f))})${cast} as ${name}`;
  const top = (kind: 'category' | 'brand', name: string) => {
    const t = aggs.map((a) => topFive(a, kind));
    const n = p.nested(t.map((x) => x.names));
    const w = p.nested(t.map((x) => x.weights));
    return `unnest(${n}) as ${name}_n, unnest(${w})::double[] as ${name}_w`;
  };
  const last = (a: ProfileAggregates) => a.history[a.history.length - 1];
  const cols = [
    col((a) => a.profileId, '', 'profile_id'), col((a) => a.userId, '', 'user_id'), col((a) => a.anonymousId, '', 'anonymous_id'),
    col((a) => ts(a.act?.firstUs), '::timestamptz', 'first_seen_at'), col((a) => ts(a.act?.lastUs), '::timestamptz', 'last_seen_at'),
    col((a) => num(a.act?.total), '::bigint', 'events_total'), col((a) => num(a.act?.d30), '::bigint', 'events_30d'),
    col((a) => num(a.act?.prev30), '::bigint', 'events_prev_30d'), col((a) => num(a.act?.social90), '::bigint', 'social_90d'),
    col((a) => num(a.orders?.n), '::bigint', 'orders'), col((a) => dec(a.orders?.gmv), '::decimal(38,2)', 'gmv'),
    col((a) => dec(a.orders?.refunded), '::decimal(38,2)', 'refunded_amount'),
    col((a) => num(a.orders?.refundedOrders), '::bigint', 'refunded_orders'), col((a) => num(a.orders?.couponOrders), '::bigint', 'coupon_orders'),
    col((a) => ts(a.orders?.firstUs), '::timestamptz', 'first_order_at'), col((a) => ts(a.orders?.lastUs), '::timestamptz', 'last_order_at'),
    col((a) => num(a.orders?.purchaseDays), '::bigint', 'purchase_days'),
    col((a) => day(a.orders?.firstDay), '::date', 'first_day'), col((a) => day(a.orders?.lastDay), '::date', 'last_day'),
    col((a) => num(a.orders?.rfmN), '::bigint', 'rfm_frequency'), col((a) => dec(a.orders?.rfmMonetary), '::decimal(38,2)', 'rfm_monetary'),
    col((a) => day(a.orders?.rfmLastDay), '::date', 'rfm_last_day'),
    col((a) => num(a.gaps?.median), '::double', 'median_gap_days'), col((a) => num(a.gaps?.p25), '::double', 'gap_p25'),
    col((a) => num(a.gaps?.p75), '::double', 'gap_p75'),
    col((a) => num(a.price?.median), '::double', 'price_m'), col((a) => num(a.price?.p25), '::double', 'price_q1'),
    col((a) => num(a.price?.p75), '::double', 'price_q3'),
    top('category', 'tc'), top('brand', 'tb'),
    col((a) => last(a)?.stage ?? null, '', 'lc_stage'), col((a) => last(a)?.day ?? null, '::date', 'lc_since'),
    ...carried.flatMap((kept) => kept.cols.map(([k, t], i) => col((a) => kept.rows.get(a.profileId)?.[i] ?? null, `::${t}`, `kept_${k}`))),
  ];
  // The interest lists as topCte builds them: to_json of {name, weight} structs, null when there are none.
  const json = (x: string) => `case when len(${x}_n) = 0 then null else to_json(list_transform(range(1, len(${x}_n) + 1), k -> {'name': ${x}_n[k], 'weight': ${x}_w[k]})) end`;
  const z = `(select *, round(price_m, 2) as typical_price, round(price_q1, 2) as price_p25, round(price_q3, 2) as price_p75,
      ${json('tc')} as top_categories, ${json('tb')} as top_brands from (select ${cols.join(',\n      ')}))`;
  const extra = ['b.lc_stage', 'b.lc_since', ...carried.flatMap((kept) => kept.cols.map(([k]) => `b.kept_${k} as ${k}`))];
  const select = factsSelect(p, p.add(q.ws), q.asOf, true, { from: z, extra });
  return `insert into computed_traits by name
    select f.* exclude (lifecycle_stage, lc_stage, lc_since), coalesce(f.lc_stage, f.lifecycle_stage) as lifecycle_stage, f.lc_since as lifecycle_since,
      ${churn(p)} as churn_probability
    from (${select}) f`;
}
