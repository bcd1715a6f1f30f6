import { Params } from './params.ts';
import { MAX_ORDER_AMOUNT } from '../ingest/index.ts';
import { FIELD_PATHS } from '../events/index.ts';
import type { ProfileSettings } from './settings.ts';

/**
 * The per-profile facts as of the end of a day, as one SQL query over the event store's log
 * (`events`, `order_lines`: the event store's published schema) and the identity mirror
 * (`profile_identities`). One row per profile of the workspace (a scope: facts-scope.ts), with the columns of computed_traits
 * except the workspace-relative ones (RFM scores, price band), lifecycle and churn.
 *
 * An event belongs to the profile of its userId, else of its anonymousId (docs/profiles.md).
 * Orders: `Order Completed` events (one per order_id per profile, the first by seq; an event
 * without order_id is an order of its own), minus those the same person's `Order Cancelled`
 * cancels; refunds from the same person's `Order Refunded` (an amount, or the whole order).
 */
export interface FactsQuery {
  ws: string;
  /** The as-of day (YYYY-MM-DD): events before the end of this day (UTC) count. */
  asOf: string;
  /** The profiles to compute, with their raw ids (from the mirror; events are found by them); null = all (facts-scope.ts computes a scope). */
  scope: Scope | null;
  settings: ProfileSettings;
  /** 'features': only what the churn model needs (no interests, prices, gaps). */
  parts?: 'all' | 'features';
  /**
   * Fold states (`foldCtes`) only for profiles whose events are all at or before this seq: up to
   * it, the identity mirror knows every id of every event, so no event in a state can turn out to
   * be another profile's (one carrying a user id not yet projected would). Absent: no states.
   */
  foldUpTo?: number | null;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/**
 * The properties the facts read. The full query reads them from the event store's `event_fields`
 * (the events' narrow copy with these properties as `json_extract_string` gives them: no body is
 * parsed), as columns `p_<name>` of `evs`; `prop(k)` / `dbl(k)` read them there. A scope's lookups
 * (`scopeLookups`) read the bodies by index instead and extract the same text with one JSON parse,
 * several paths (`propsSql`): the same values (test/events/fields.test.ts).
 */
const PROPS = ['order_id', 'total', 'revenue', 'coupon', 'discount', 'category', 'brand'] as const;
/** The events that make a purchase day (the lifecycle history's only input). */
export const ORDER_EVENT_NAMES: ReadonlySet<string> = new Set(['Order Completed', 'Order Refunded', 'Order Cancelled']);
const ORDER_EVENTS = [...ORDER_EVENT_NAMES].map((n) => `'${n}'`).join(', ');
/** The properties of the events that use them: the order events, and the product events for the interests ('all' only). */
const propsSql = (mode: 'all' | 'features' | 'days') =>
  `case when e.event in (${ORDER_EVENTS}${mode === 'all' ? `, 'Product Viewed', 'Product Added'` : ''}) then json_extract_string(e.body, [${PROPS.map((k) => `'${FIELD_PATHS[k]}'`).join(', ')}]) end as props`;
const prop = (k: (typeof PROPS)[number]) => `p_${k}`;
const dbl = (k: (typeof PROPS)[number]) => `try_cast(${prop(k)} as double)`;
/**
 * A money amount (an order's total, revenue, lines' sum): absent (null) when it is not a number
 * within ±MAX_ORDER_AMOUNT (NaN, ±inf included). Ingest refuses such amounts; one stored before
 * that rule would otherwise fail the decimal(18,2) cast and stall every traits pass behind it.
 * facts-scope.ts `amount` is the same rule in JS.
 */
export const amountSql = (x: string) => `case when abs(${x}) <= ${MAX_ORDER_AMOUNT} then ${x} end`;
/** A property as a money amount. */
const amt = (k: 'total' | 'revenue') => amountSql(dbl(k));

/** Social actions counted in `social_90d` (a churn feature). */
export const SOCIAL_EVENTS = ['Product Shared', 'Invite Sent', 'Invite Accepted', 'User Followed', 'Friend Added', 'Product Reviewed'];

/** The events the aggregates tell apart, as the code `evs.ev` holds (0: any other event). */
const EV = { completed: 1, refunded: 2, cancelled: 3, viewed: 4, added: 5, social: 6 } as const;
const EV_CODE = `(case e.event when 'Order Completed' then ${EV.completed} when 'Order Refunded' then ${EV.refunded}
  when 'Order Cancelled' then ${EV.cancelled} when 'Product Viewed' then ${EV.viewed} when 'Product Added' then ${EV.added}
  else case when e.event in (${SOCIAL_EVENTS.map((e) => `'${e}'`).join(', ')}) then ${EV.social} else 0 end end)::utinyint`;

export interface Scope {
  profiles: string[]; userIds: string[]; anonymousIds: string[];
  /** The mirror rows of the profiles (user_id / anonymous_id identities). */
  mirror: Array<{ kind: string; value: string; profileId: string }>;
}

export interface Built { ctes: string[]; select: string; params: Params }

/** The facts query: `select <computed_traits columns> ...` (run it, or insert from it). */
export function factsSql(q: FactsQuery): { sql: string; params: Params } {
  const b = factsParts(q);
  return { sql: `with ${b.ctes.join(',\n')}\n${b.select}`, params: b.params };
}

/** The distinct purchase days (day numbers, ascending) of each buyer of the scope, for the lifecycle history. */
export function purchaseDaysSql(q: FactsQuery): { sql: string; params: Params } {
  const b = factsParts(q, 'days');
  return { sql: `with ${b.ctes.join(',\n')}\n${b.select}`, params: b.params };
}

/**
 * The pieces of the facts query, for statements that wrap it (the traits insert). A mode only
 * generates the pieces it needs, and parameters are allocated as the text is generated, so every
 * parameter is referenced (DuckDB drops unused CTEs with their parameters).
 */
export function factsParts(q: FactsQuery, mode: 'all' | 'features' | 'days' = q.parts ?? 'all'): Built {
  const p = new Params();
  const { ctes: source, ws, cutoff, at } = sourceCtes(q, mode, p);
  return aggregateParts(q, mode, p, source, ws, cutoff, at);
}

interface Source { ctes: string[]; ws: string; cutoff: string; at: (daysBefore: number) => string }

/** The columns a scope's lookup reads from `events e`: the properties from the body (`props`), and the body of each `Order Completed` event as `obody`. */
function candColumns(): string {
  return `e.seq, e.event, e.ts, e.message_id, e.user_id, e.anonymous_id, ${propsSql('all')}, case when e.event = 'Order Completed' then e.body::varchar end as obody`;
}

/**
 * A scope's events, with the facts query's own columns (`candColumns`: property extraction, casts)
 * and interest decay, as plain index lookups: one statement per id kind, `<kind> in (…)` being the
 * scan's only filter (DuckDB answers it from the ART index only then; above IN_LIST_MAX ids it is a
 * semi-join over a scan of the log). The caller keeps the rows of the workspace before the cutoff
 * (`us` < `cutoffUs`), and from the anonymous-id lookup only those that carry none of the scope's
 * user ids (the user-id lookup has them). Plain statements, not one with both lookups as CTEs:
 * DuckDB's fixed cost per operator made that one cost twice as much.
 */
export function scopeLookups(scope: Scope, cutoffMs: number, halfLifeDays: number): Array<{ kind: 'user_id' | 'anonymous_id'; sql: string; params: Params }> {
  const out: Array<{ kind: 'user_id' | 'anonymous_id'; sql: string; params: Params }> = [];
  for (const [kind, ids] of [['user_id', scope.userIds], ['anonymous_id', scope.anonymousIds]] as const) {
    if (!ids.length) continue;
    const p = new Params();
    out.push({ kind, sql: lookupSql(p, cutoffMs, halfLifeDays, (q) => `e.${kind} in ${q.inList([...ids])}`), params: p });
  }
  return out;
}

/**
 * The events of a seq range (an incremental pass's) with scopeLookups' columns but the order
 * bodies (`obody` null: `rangeBodies` reads them), from `event_fields`, whose property columns
 * hold the text `json_extract_string` gives (fields.ts): a fold state's new events
 * (facts-scope.ts). The properties are not limited to the events that use them (the fold reads
 * each only on those), which keeps the statement small: DuckDB's planning is most of its cost at
 * one row (the body-parsing lookup costs ~9 ms, this one ~4). A range at the log's end is a few
 * row groups by zone map.
 */
export function rangeLookup(after: number, upTo: number, cutoffMs: number, halfLifeDays: number): { sql: string; params: Params } {
  const p = new Params();
  const cutoff = `${p.add(iso(cutoffMs))}::timestamptz`;
  const decay = `pow(0.5, (epoch(${cutoff}) - epoch(ts)) / 86400.0 / ${p.add(halfLifeDays)})`;
  return {
    sql: `select seq, event, epoch_us(ts) as us, message_id, user_id, anonymous_id, workspace_id,
        nullif(order_id, ''), ${amountSql('try_cast(total as double)')}, ${amountSql('try_cast(revenue as double)')}, nullif(coupon, ''), try_cast(discount as double),
        category, brand, ${decay}, null as obody
      from event_fields where seq > ${p.add(after)}::bigint and seq <= ${p.add(upTo)}::bigint`,
    params: p,
  };
}

/** The bodies of a seq range's `Order Completed` events (rangeLookup's `obody`). */
export function rangeBodies(after: number, upTo: number): { sql: string; params: Params } {
  const p = new Params();
  return {
    sql: `select seq, body::varchar as body from events where seq > ${p.add(after)}::bigint and seq <= ${p.add(upTo)}::bigint and event = 'Order Completed'`,
    params: p,
  };
}

function lookupSql(p: Params, cutoffMs: number, halfLifeDays: number, where: (p: Params) => string): string {
  const cutoff = `${p.add(iso(cutoffMs))}::timestamptz`;
  const decay = `pow(0.5, (epoch(${cutoff}) - epoch(ts)) / 86400.0 / ${p.add(halfLifeDays)})`;
  return `select seq, event, epoch_us(ts) as us, message_id, user_id, anonymous_id, workspace_id,
      nullif(props[1], ''), ${amountSql('try_cast(props[2] as double)')}, ${amountSql('try_cast(props[3] as double)')}, nullif(props[4], ''), try_cast(props[5] as double),
      props[6], props[7], case when event in ('Product Viewed', 'Product Added', 'Order Completed') then ${decay} end, obody
    from (select ${candColumns()}, e.workspace_id from events e where ${where(p)})`;
}

/**
 * The seq and user id of the events of a scope's anonymous ids (two columns: an index lookup costs
 * per column fetched, ~10 µs per row and column at 11 M events). Most of them carry one of the
 * scope's user ids (an anonymous id keeps being sent after login), so the user-id lookup already
 * has them; scopeLookups' anonymous-id statement is needed only when some do not.
 */
export function anonymousProbe(scope: Scope): { sql: string; params: Params } | null {
  if (!scope.anonymousIds.length) return null;
  const p = new Params();
  return { sql: `select seq, user_id from events where anonymous_id in ${p.inList([...scope.anonymousIds])}`, params: p };
}

/**
 * The CTEs up to `evs` (the workspace's events with their profile): `base` (one row per profile
 * with its number `pk` and its user / anonymous id), `piu` / `pia` (the mirror's user / anonymous
 * ids with their profile's `pk`), `cand`, `evs` (whose `profile_id` column holds the `pk`).
 */
function sourceCtes(q: FactsQuery, mode: 'all' | 'features' | 'days', p: Params): Source {
  const cutoffMs = Date.parse(q.asOf + 'T00:00:00Z') + DAY;
  if (!Number.isFinite(cutoffMs)) throw new Error(`bad as-of day ${q.asOf}`);
  const ws = p.add(q.ws);
  const cutoff = `${p.add(iso(cutoffMs))}::timestamptz`;
  const at = (daysBefore: number) => `${p.add(iso(cutoffMs - daysBefore * DAY))}::timestamptz`;
  // A scope's facts are computed in JS (facts-scope.ts, from this query's pieces: scopeLookups, anonymousProbe).
  if (q.scope) throw new Error('the facts query covers a whole workspace (a scope: facts-scope.ts)');
  // The purchase days read the order events only (evs feeds nothing else in that mode).
  // `ev`: the event's role as a small code (EV); `message_id` and each property only on the events that read it:
  // evs is materialised (11 M rows on the bench world), and its strings are most of its cost.
  const cand = `select e.seq, ${EV_CODE} as ev, e.ts, case when e.event = 'Order Completed' then e.message_id end as message_id, e.user_id, e.anonymous_id,
    ${PROPS.map((k) => `case when e.event in (${k === 'category' || k === 'brand' ? `'Product Viewed', 'Product Added'` : ORDER_EVENTS}) then e.${k} end as p_${k}`).join(', ')}
    from event_fields e where e.workspace_id = ${ws} and e.ts < ${cutoff}${mode === 'days' ? ` and e.event in (${ORDER_EVENTS})` : ''}`;
  // Inside the query a profile is its number `pk` in `base` (the aggregates' `profile_id` column):
  // profile ids are 14-character strings, past DuckDB's 12-byte inline limit, so grouping and
  // materialising millions of rows by them cost several times what an integer costs. The final
  // select gives the ids back (`b.profile_id`). The purchase days (order events only: a few hundred
  // thousand rows) are faster without the numbering: there `pk` is the id itself.
  const days = mode === 'days';
  const ids = (kind: string) => days
    ? `select value, profile_id as pk from profile_identities where workspace_id = ${ws} and kind = '${kind}'`
    : `select i.value, b.pk from profile_identities i join base b using (profile_id) where i.workspace_id = ${ws} and i.kind = '${kind}'`;
  const ctes = [
    `base as ${days ? '' : 'materialized '}(
      select profile_id, ${days ? 'profile_id' : '(row_number() over ())::uinteger'} as pk,
        min(value) filter (where kind = 'user_id') as user_id, min(value) filter (where kind = 'anonymous_id') as anonymous_id
      from profile_identities where workspace_id = ${ws} group by profile_id)`,
    `piu as (${ids('user_id')})`,
    `pia as (${ids('anonymous_id')})`,
    `cand as (${cand})`,
    `evs as materialized (
      select c.seq, c.ev, c.ts, c.message_id, ${PROPS.map((k) => `c.p_${k}`).join(', ')}, coalesce(u.pk, a.pk) as profile_id
      from cand c left join piu u on u.value = c.user_id left join pia a on a.value = c.anonymous_id
      where coalesce(u.pk, a.pk) is not null)`,
  ];
  return { ctes, ws, cutoff, at };
}

function aggregateParts(q: FactsQuery, mode: 'all' | 'features' | 'days', p: Params, source: string[], ws: string, cutoff: string, at: (daysBefore: number) => string): Built {
  const day = (col: string) => `cast(timezone('UTC', ${col}) as date)`;
  const ctes = [
    ...source,
    `oc as (
      select profile_id, seq, ts, message_id, nullif(${prop('order_id')}, '') as order_id,
        ${amt('total')} as p_total, ${amt('revenue')} as p_revenue,
        nullif(${prop('coupon')}, '') as coupon, ${dbl('discount')} as discount
      from evs where ev = ${EV.completed})`,
    `o1 as (select * from oc qualify row_number() over (partition by profile_id, coalesce(order_id, 'msg:' || message_id) order by seq) = 1)`,
    `ln as (
      select seq, category, brand, price, quantity from order_lines
      where workspace_id = ${ws} and ts < ${cutoff} and seq in (select seq from o1))`,
    `lsum as (select seq, ${amountSql('sum(coalesce(price, 0) * quantity)')} as s from ln group by seq)`,
    `adj as (
      select profile_id, nullif(${prop('order_id')}, '') as order_id,
        bool_or(ev = ${EV.cancelled}) as cancelled, bool_or(ev = ${EV.refunded}) as refunded,
        bool_or(ev = ${EV.refunded} and coalesce(${amt('total')}, ${amt('revenue')}) is null) as full_refund,
        sum(coalesce(${amt('total')}, ${amt('revenue')})) filter (where ev = ${EV.refunded}) as refund_sum
      from evs where ev in (${EV.refunded}, ${EV.cancelled}) group by 1, 2)`,
    `ot as (
      select o1.profile_id, o1.seq, o1.ts, ${day('o1.ts')} as day, coalesce(o1.order_id, 'msg:' || o1.message_id) as k,
        round(coalesce(o1.p_total, o1.p_revenue, lsum.s, 0), 2)::decimal(18,2) as total,
        (o1.coupon is not null or coalesce(o1.discount, 0) > 0) as used_coupon,
        coalesce(a.refunded, false) as refunded, a.full_refund, a.refund_sum
      from o1 left join lsum using (seq) left join adj a on a.profile_id = o1.profile_id and a.order_id = o1.order_id
      where not coalesce(a.cancelled, false))`,
    `ord as (
      select profile_id, seq, ts, day, k, total, used_coupon,
        case when not refunded then 0::decimal(18,2) when full_refund then total
             else least(total, greatest(0, round(coalesce(refund_sum, 0), 2)))::decimal(18,2) end as refund
      from ot)`,
  ];
  if (mode === 'days') {
    // Day numbers (days since 1970-01-01, lifecycle.ts dayNumber), ascending.
    const days = `list(distinct (day - date '1970-01-01')::integer order by (day - date '1970-01-01')::integer)`;
    return { ctes, select: `select profile_id, ${days} as days from ord group by profile_id`, params: p };
  }
  const win = q.settings.rfm.windowDays;
  const winStart = win === null ? `'-infinity'::timestamptz` : at(win);
  ctes.push(
    `oagg as (
      select profile_id, count(*) as orders, sum(total) as gmv, sum(refund) as refunded_amount,
        count(*) filter (where refund > 0) as refunded_orders, count(*) filter (where used_coupon) as coupon_orders,
        min(ts) as first_order_at, max(ts) as last_order_at, count(distinct day) as purchase_days,
        min(day) as first_day, max(day) as last_day,
        count(*) filter (where ts >= ${winStart}) as rfm_frequency,
        sum(total - refund) filter (where ts >= ${winStart}) as rfm_monetary,
        max(day) filter (where ts >= ${winStart}) as rfm_last_day
      from ord group by profile_id)`,
    `act as (
      select profile_id, count(*) as events_total, min(ts) as first_seen_at, max(ts) as last_seen_at,
        count(*) filter (where ts >= ${at(30)}) as events_30d,
        count(*) filter (where ts >= ${at(60)} and ts < ${at(30)}) as events_prev_30d,
        count(*) filter (where ts >= ${at(90)} and ev = ${EV.social}) as social_90d, max(seq) as max_seq
      from evs group by profile_id)`,
  );
  const all = mode === 'all';
  if (all) {
    const halfLife = p.add(q.settings.interests.halfLifeDays);
    const decay = `pow(0.5, (epoch(${cutoff}) - epoch(ts)) / 86400.0 / ${halfLife})`;
    // The interest sums by profile and name (`isum_<col>`): the top five (topCte) and, whole, the fold state.
    const sums = (col: 'category' | 'brand') =>
      `isum_${col} as (select profile_id, ${col}, sum(x) as s from touch where ${col} is not null and ${col} <> '' and x > 0 group by profile_id, ${col})`;
    const top = (col: 'category' | 'brand', out: string) => topCte(col, out,
      `select profile_id, ${col}, round(s / sum(s) over (partition by profile_id), 4) as wt from isum_${col}`);
    ctes.push(
      `touch as (
        select profile_id, ${prop('category')} as category, ${prop('brand')} as brand,
          case ev when ${EV.viewed} then 1.0 else 3.0 end * ${decay} as x
        from evs where ev in (${EV.viewed}, ${EV.added})
        union all
        select o.profile_id, l.category, l.brand, 5.0 * ${decay.replace('epoch(ts)', 'epoch(o.ts)')} as x
        from ln l join ord o using (seq))`,
      sums('category'),
      sums('brand'),
      top('category', 'top_categories'),
      top('brand', 'top_brands'),
      `price as (
        select o.profile_id, round(median(l.price), 2) as typical_price, round(quantile_cont(l.price, 0.25), 2) as price_p25,
          round(quantile_cont(l.price, 0.75), 2) as price_p75
        from ln l join ord o using (seq) where l.price is not null group by o.profile_id)`,
      `gaps as (
        select profile_id, day - lag(day) over (partition by profile_id order by day) as gap
        from (select distinct profile_id, day from ord))`,
      `gagg as (
        select profile_id, median(gap) as median_gap_days, quantile_cont(gap, 0.25) as gap_p25, quantile_cont(gap, 0.75) as gap_p75
        from gaps where gap is not null group by profile_id)`,
      ...(q.foldUpTo === undefined || q.foldUpTo === null ? [] : foldCtes()),
    );
  }
  return { ctes, select: factsSelect(p, ws, q, all), params: p };
}

/**
 * Profiles with fewer than `FOLD.minEvents` events have no fold state (tests lower it): reading
 * their few events costs about what folding costs (mostly the statement's fixed cost; ~50 µs per
 * event read), and most profiles are such (on the bench world 96 %: 41,001 of 1,018,889 have a
 * state, 74 MB in all), so the full recompute builds few.
 */
export const FOLD = { minEvents: 50 };

/**
 * The fold state's key: a state computed for another as-of day, interest half-life or RFM window
 * does not describe this run's facts (facts-scope.ts folds new events into a state of the same key).
 */
export const foldKey = (q: Pick<FactsQuery, 'asOf' | 'settings'>) => `${q.asOf}|${q.settings.interests.halfLifeDays}|${q.settings.rfm.windowDays}`;

/**
 * What an incremental pass folds a profile's new events into instead of reading all its events
 * (computed_traits.fold_state, JSON; facts-scope.ts `Fold` reads it): the activity counts, the
 * interest sums by name (order lines included), the orders (`ord`: one per order key, cancelled
 * ones left out) with their amounts in cents and line prices, and the order ids with a refund or a
 * cancellation. Written with every row; the full recompute's from these CTEs.
 */
function foldCtes(): string[] {
  // Only profiles with FOLD.minEvents events or more get one (`fold_keep`).
  const kept = (t: string) => `${t}.profile_id in (select profile_id from fold_keep)`;
  return [
    `fold_keep as materialized (select profile_id from act where events_total >= ${FOLD.minEvents})`,
    `fold_c as (select profile_id, list({'n': category, 's': s}) as l from isum_category i where ${kept('i')} group by profile_id)`,
    `fold_b as (select profile_id, list({'n': brand, 's': s}) as l from isum_brand i where ${kept('i')} group by profile_id)`,
    `fold_p as (select seq, list(price) as p from ln where price is not null group by seq)`,
    `fold_o as (
      select o.profile_id, list({'k': o.k, 'u': epoch_us(o.ts), 't': (o.total * 100)::bigint, 'r': (o.refund * 100)::bigint, 'c': o.used_coupon, 'p': fp.p}) as l
      from ord o left join fold_p fp using (seq) where ${kept('o')} group by o.profile_id)`,
    `fold_x as (select profile_id, list(distinct order_id) as l from adj where order_id is not null and ${kept('adj')} group by profile_id)`,
  ];
}

/**
 * The final select of the facts query over the CTEs `base`, `act`, `oagg` and (all) `gagg`,
 * `top_categories`, `top_brands`, `price`. facts-scope.ts `traitRows` derives the same columns in
 * TypeScript for an incremental pass's scope: a change here is made there too
 * (test/profiles/facts-scope.test.ts fails until both agree).
 */
function factsSelect(p: Params, ws: string, q: FactsQuery, all: boolean): string {
  const asOf = `${p.add(q.asOf)}::date`;
  const cols = [
    `${ws} as workspace_id`, 'b.profile_id', `${asOf} as as_of`, 'b.user_id', 'b.anonymous_id',
    'act.first_seen_at', 'act.last_seen_at',
    'coalesce(act.events_total, 0) as events_total', 'coalesce(act.events_30d, 0) as events_30d',
    'coalesce(act.events_prev_30d, 0) as events_prev_30d', 'coalesce(act.social_90d, 0) as social_90d',
    'coalesce(o.orders, 0)::integer as orders', 'coalesce(o.gmv, 0)::decimal(18,2) as gmv',
    'coalesce(o.gmv - o.refunded_amount, 0)::decimal(18,2) as net_revenue',
    'case when o.orders > 0 then round(o.gmv / o.orders, 2)::decimal(18,2) end as aov',
    'o.first_order_at', 'o.last_order_at', `(${asOf} - o.last_day)::integer as days_since_last_order`,
    'coalesce(o.purchase_days, 0)::integer as purchase_days',
    'coalesce(o.refunded_orders, 0)::integer as refunded_orders', 'coalesce(o.refunded_amount, 0)::decimal(18,2) as refunded_amount',
    'case when o.orders > 0 then o.refunded_orders / o.orders end as refund_rate',
    'coalesce(o.coupon_orders, 0)::integer as coupon_orders',
    'case when o.orders > 0 then o.coupon_orders / o.orders end as coupon_share',
    '(o.purchase_days - 1)::integer as repeat_frequency',
    '(o.last_day - o.first_day) / 7.0 as repeat_recency_weeks',
    `(${asOf} - o.first_day) / 7.0 as repeat_t_weeks`,
    `(${asOf} - o.rfm_last_day)::integer as rfm_recency_days`,
    'coalesce(o.rfm_frequency, 0)::integer as rfm_frequency',
    'case when o.rfm_frequency > 0 then o.rfm_monetary::decimal(18,2) end as rfm_monetary',
    `case when coalesce(o.orders, 0) = 0 then 'prospect' end as lifecycle_stage`,
  ];
  const on = (t: string, a: string) => `left join ${t} ${a} on ${a}.profile_id = b.pk`;
  const joins = [on('act', 'act'), on('oagg', 'o')];
  if (all) {
    cols.push(
      'g.median_gap_days', 'o.last_day + cast(round(g.gap_p25) as integer) as next_purchase_from',
      'o.last_day + cast(round(g.gap_p75) as integer) as next_purchase_to',
      'tc.top_categories', 'tb.top_brands', 'pr.typical_price', 'pr.price_p25', 'pr.price_p75',
    );
    const counts = 'act.events_total, epoch_us(act.first_seen_at), epoch_us(act.last_seen_at), act.events_30d, act.events_prev_30d, act.social_90d';
    joins.push(on('gagg', 'g'), on('top_categories', 'tc'), on('top_brands', 'tb'), on('price', 'pr'));
    if (q.foldUpTo === undefined || q.foldUpTo === null) cols.push('null::varchar as fold_state');
    else {
      cols.push(`case when act.events_total >= ${FOLD.minEvents} and act.max_seq <= ${p.add(q.foldUpTo)}::bigint
        then to_json({'v': 1, 'k': ${p.add(foldKey(q))}, 's': act.max_seq, 'a': [${counts}], 'c': fc.l, 'b': fb.l, 'o': fo.l, 'x': fx.l})::varchar end as fold_state`);
      joins.push(on('fold_c', 'fc'), on('fold_b', 'fb'), on('fold_o', 'fo'), on('fold_x', 'fx'));
    }
  }
  return `select ${cols.join(', ')} from base b ${joins.join(' ')}`;
}

/**
 * The interest list CTE (`top_categories` / `top_brands`) over rows (profile_id, <col>, wt): the
 * first five by `wt desc, <col>` (NaN first, nulls last, as that order by puts them), as JSON.
 * A top-5 `min_by` on a key giving that order, not an ordered `list` (which sorts every group whole).
 */
function topCte(col: 'category' | 'brand', out: string, ranked: string): string {
  const key = `{'n': wt is null, 'nan': not coalesce(isnan(wt), false), 'w': -wt, 'c': ${col}}`;
  return `${out} as (
    select profile_id, to_json(min_by({'name': ${col}, 'weight': wt}, ${key}, 5)) as ${out}
    from (${ranked}) group by profile_id)`;
}

