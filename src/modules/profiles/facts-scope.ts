import type { DuckDBConnection } from '@duckdb/node-api';
import { orderLinesOf } from '../events/index.ts';
import { Params } from './params.ts';
import { SOCIAL_EVENTS, factsSelect, sourceCtes, topCte, type FactsQuery, type Scope } from './facts.ts';
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
function round2(x: number): number {
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

/** Reads the scope's profiles and events (one statement) and computes their aggregates. */
export async function scopeAggregates(c: DuckDBConnection, q: FactsQuery & { scope: Scope }): Promise<ProfileAggregates[]> {
  const p = new Params();
  const src = sourceCtes(q, 'all', p, true);
  const halfLife = p.add(q.settings.interests.halfLifeDays);
  const decay = `pow(0.5, (epoch(${src.cutoff}) - epoch(ts)) / 86400.0 / ${halfLife})`;
  const r = await c.runAndReadAll(
    `with ${src.ctes.join(',\n')}
     select 0 as k, profile_id, user_id, anonymous_id, null::bigint as seq, null as event, null::bigint as us, null as message_id,
       null as order_id, null::double as total, null::double as revenue, null as coupon, null::double as discount,
       null as category, null as brand, null::double as decay, null as body
     from base
     union all
     select 1, profile_id, null, null, seq, event, epoch_us(ts), message_id,
       nullif(props[1], ''), try_cast(props[2] as double), try_cast(props[3] as double), nullif(props[4], ''), try_cast(props[5] as double),
       props[6], props[7],
       case when event in ('Product Viewed', 'Product Added', 'Order Completed') then ${decay} end, obody
     from evs
     order by k, seq`,
    p.values,
    p.types,
  );
  const col = r.getColumnsJS();
  const out = new Map<string, { agg: ProfileAggregates; evs: Ev[] }>();
  const n = (col[0] ?? []).length;
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  for (let i = 0; i < n; i++) {
    const pid = col[1]![i] as string;
    if (col[0]![i] === 0) {
      out.set(pid, {
        agg: { profileId: pid, userId: col[2]![i] as string | null, anonymousId: col[3]![i] as string | null, act: null, orders: null, gaps: null, price: null, interests: [], history: [] },
        evs: [],
      });
      continue;
    }
    out.get(pid)?.evs.push({
      seq: Number(col[4]![i]), event: col[5]![i] as string, us: Number(col[6]![i]), messageId: col[7]![i] as string,
      orderId: col[8]![i] as string | null, total: num(col[9]![i]), revenue: num(col[10]![i]), coupon: col[11]![i] as string | null,
      discount: num(col[12]![i]), category: col[13]![i] as string | null, brand: col[14]![i] as string | null, decay: num(col[15]![i]),
      body: col[16]![i] as string | null,
    });
  }
  const cutoffMs = Date.parse(q.asOf + 'T00:00:00Z') + DAY;
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

/**
 * `insert into computed_traits` of the aggregates through the facts query's final select, with the
 * lifecycle stage / since of each history, the churn expression and any extra CTEs / columns / joins
 * (store.ts: kept influence columns).
 */
export function insertAggregatesSql(
  q: FactsQuery, aggs: ProfileAggregates[], p: Params, extra: { churn: (p: Params) => string; ctes?: string[]; cols?: string; joins?: string },
): string {
  const ts = (us: number) => new Date(us / 1000).toISOString();
  const day = (d: number) => new Date(d * DAY).toISOString().slice(0, 10);
  const pick = <T>(f: (a: ProfileAggregates) => T | null) => aggs.map(f);
  const A = aggs.filter((a) => a.act);
  const O = aggs.filter((a) => a.orders);
  const G = aggs.filter((a) => a.gaps);
  const P = aggs.filter((a) => a.price);
  const I = aggs.flatMap((a) => a.interests.map((i) => ({ ...i, profileId: a.profileId })));
  const H = aggs.filter((a) => a.history.length);
  const s = (xs: Array<string | null>) => p.list(xs);
  // Numbers go as text (shortest round-trip form: DuckDB parses back the same double), cast after unnest.
  const nums = (xs: number[]) => s(xs.map(String));
  const u = (col: string) => `unnest(${col})`;
  const ctes = [
    `base as (select ${u(s(pick((a) => a.profileId)))} as profile_id, ${u(s(pick((a) => a.userId)))} as user_id, ${u(s(pick((a) => a.anonymousId)))} as anonymous_id)`,
    `act as (select ${u(s(A.map((a) => a.profileId)))} as profile_id, ${u(nums(A.map((a) => a.act!.total)))}::bigint as events_total,
       ${u(s(A.map((a) => ts(a.act!.firstUs))))}::timestamptz as first_seen_at, ${u(s(A.map((a) => ts(a.act!.lastUs))))}::timestamptz as last_seen_at,
       ${u(nums(A.map((a) => a.act!.d30)))}::bigint as events_30d, ${u(nums(A.map((a) => a.act!.prev30)))}::bigint as events_prev_30d,
       ${u(nums(A.map((a) => a.act!.social90)))}::bigint as social_90d)`,
    `oagg as (select ${u(s(O.map((a) => a.profileId)))} as profile_id, ${u(nums(O.map((a) => a.orders!.n)))}::bigint as orders,
       ${u(s(O.map((a) => decimalText(a.orders!.gmv))))}::decimal(38,2) as gmv, ${u(s(O.map((a) => decimalText(a.orders!.refunded))))}::decimal(38,2) as refunded_amount,
       ${u(nums(O.map((a) => a.orders!.refundedOrders)))}::bigint as refunded_orders, ${u(nums(O.map((a) => a.orders!.couponOrders)))}::bigint as coupon_orders,
       ${u(s(O.map((a) => ts(a.orders!.firstUs))))}::timestamptz as first_order_at, ${u(s(O.map((a) => ts(a.orders!.lastUs))))}::timestamptz as last_order_at,
       ${u(nums(O.map((a) => a.orders!.purchaseDays)))}::bigint as purchase_days,
       ${u(s(O.map((a) => day(a.orders!.firstDay))))}::date as first_day, ${u(s(O.map((a) => day(a.orders!.lastDay))))}::date as last_day,
       ${u(nums(O.map((a) => a.orders!.rfmN)))}::bigint as rfm_frequency,
       ${u(s(O.map((a) => (a.orders!.rfmMonetary === null ? null : decimalText(a.orders!.rfmMonetary)))))}::decimal(38,2) as rfm_monetary,
       ${u(s(O.map((a) => (a.orders!.rfmLastDay === null ? null : day(a.orders!.rfmLastDay)))))}::date as rfm_last_day)`,
    `gagg as (select ${u(s(G.map((a) => a.profileId)))} as profile_id, ${u(nums(G.map((a) => a.gaps!.median)))}::double as median_gap_days,
       ${u(nums(G.map((a) => a.gaps!.p25)))}::double as gap_p25, ${u(nums(G.map((a) => a.gaps!.p75)))}::double as gap_p75)`,
    `price as (select profile_id, round(m, 2) as typical_price, round(q1, 2) as price_p25, round(q3, 2) as price_p75 from (
       select ${u(s(P.map((a) => a.profileId)))} as profile_id, ${u(nums(P.map((a) => a.price!.median)))}::double as m,
         ${u(nums(P.map((a) => a.price!.p25)))}::double as q1, ${u(nums(P.map((a) => a.price!.p75)))}::double as q3))`,
    `tw as (select ${u(s(I.map((i) => i.profileId)))} as profile_id, ${u(s(I.map((i) => i.kind)))} as kind, ${u(s(I.map((i) => i.name)))} as name,
       ${u(nums(I.map((i) => i.share)))}::double as share)`,
    topCte('category', 'top_categories', `select profile_id, name as category, round(share, 4) as wt from tw where kind = 'category'`),
    topCte('brand', 'top_brands', `select profile_id, name as brand, round(share, 4) as wt from tw where kind = 'brand'`),
    `lc as (select ${u(s(H.map((a) => a.profileId)))} as profile_id, ${u(s(H.map((a) => a.history[a.history.length - 1]!.stage)))} as stage,
       ${u(s(H.map((a) => a.history[a.history.length - 1]!.day)))}::date as since)`,
    ...(extra.ctes ?? []),
  ];
  const select = factsSelect(p, p.add(q.ws), q.asOf, true);
  return `insert into computed_traits by name
    with ${ctes.join(',\n')}
    select f.* exclude (lifecycle_stage), coalesce(lc.stage, f.lifecycle_stage) as lifecycle_stage, lc.since as lifecycle_since,
      ${extra.churn(p)} as churn_probability${extra.cols ?? ''}
    from (${select}) f left join lc on lc.profile_id = f.profile_id ${extra.joins ?? ''}`;
}
