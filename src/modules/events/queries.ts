import { listValue, type DuckDBValue } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/** Analytical reads over the event log. Every value from a caller is a bound parameter. */

const ORDER_TOTAL = `coalesce(try_cast(json_extract_string(body, '$.properties.total') as double),
  try_cast(json_extract_string(body, '$.properties.revenue') as double), 0)`;

export interface DayCount { day: string; n: number }

/**
 * Days are UTC calendar days. They are computed as whole days since 1970-01-01 from the epoch
 * (integer arithmetic), and formatted once per group: `strftime(ts, ...)` or `ts::date` on a
 * timestamptz converts every row through the session time zone (ICU), which cost ~1 s per 10 M rows.
 */
const UTC_DAY = `cast(floor(epoch_ms(ts) / 86400000) as integer)`;
const DAY_MS = 86_400_000;
const dayText = (d: string) => `strftime(date '1970-01-01' + ${d}, '%Y-%m-%d')`;

/**
 * Active users per UTC day: distinct userId, or anonymousId for traffic never identified. Whole
 * days in the window come from the `daily_actors` rollup (distinct actors per day and append
 * batch, a fifth of the rows, one short string each); the partial days at either end of the
 * window, if any, from the events themselves.
 */
export async function dailyActiveUsers(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; users: number }>> {
  const firstWhole = Math.ceil(from.getTime() / DAY_MS);
  const endWhole = Math.floor(to.getTime() / DAY_MS);
  const params: DuckDBValue[] = [ws];
  const bind = (v: DuckDBValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const fromEvents = (a: Date, b: Date) =>
    `select ${UTC_DAY} as d, count(distinct coalesce(user_id, 'anon:' || anonymous_id)) as users
     from events where workspace_id = $1 and ts >= ${bind(a.toISOString())}::timestamptz and ts < ${bind(b.toISOString())}::timestamptz group by 1`;
  const parts: string[] = [];
  if (firstWhole >= endWhole) {
    parts.push(fromEvents(from, to));
  } else {
    parts.push(`select day as d, count(distinct actor) as users from daily_actors
                where workspace_id = $1 and day >= ${bind(firstWhole)}::integer and day < ${bind(endWhole)}::integer group by 1`);
    if (from.getTime() < firstWhole * DAY_MS) parts.push(fromEvents(from, new Date(firstWhole * DAY_MS)));
    if (to.getTime() > endWhole * DAY_MS) parts.push(fromEvents(new Date(endWhole * DAY_MS), to));
  }
  return db.read(`select ${dayText('d')} as day, users from (${parts.join('\n union all ')}) order by d`, params);
}

export async function eventsPerDay(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; events: number }>> {
  return db.read(
    `select ${dayText('d')} as day, events from (
       select ${UTC_DAY} as d, count(*) as events
       from events where workspace_id = $1 and ts >= $2::timestamptz and ts < $3::timestamptz group by 1
     ) order by d`,
    [ws, from.toISOString(), to.toISOString()],
  );
}

export async function ordersPerDay(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; orders: number; gmv: number }>> {
  return db.read(
    `select ${dayText('d')} as day, orders, gmv from (
       select ${UTC_DAY} as d, count(distinct json_extract_string(body, '$.properties.order_id')) as orders,
              round(sum(${ORDER_TOTAL}), 2) as gmv
       from events where workspace_id = $1 and event = 'Order Completed' and ts >= $2::timestamptz and ts < $3::timestamptz
       group by 1
     ) order by d`,
    [ws, from.toISOString(), to.toISOString()],
  );
}

export async function totals(db: EventStoreDb, ws: string): Promise<{ events: number; users: number; orders: number; gmv: number; first: string | null; last: string | null }> {
  const r = await db.read<{ events: number; users: number; first: string | null; last: string | null }>(
    `select count(*) as events, count(distinct coalesce(user_id, 'anon:' || anonymous_id)) as users,
            min(ts)::varchar as first, max(ts)::varchar as last from events where workspace_id = $1`,
    [ws],
  );
  const o = await db.read<{ orders: number; gmv: number | null }>(
    `select count(distinct json_extract_string(body, '$.properties.order_id')) as orders, round(sum(${ORDER_TOTAL}), 2) as gmv
     from events where workspace_id = $1 and event = 'Order Completed'`,
    [ws],
  );
  const t = r[0]!;
  return { events: t.events, users: t.users, orders: o[0]?.orders ?? 0, gmv: o[0]?.gmv ?? 0, first: t.first, last: t.last };
}

/** GMV by category from order lines (price × quantity). */
export async function gmvByCategory(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ category: string; orders: number; units: number; gmv: number }>> {
  return db.read(
    `select coalesce(category, '(none)') as category, count(distinct order_id) as orders, sum(quantity) as units,
            round(sum(price * quantity), 2) as gmv
     from order_lines where workspace_id = $1 and ts >= $2::timestamptz and ts < $3::timestamptz
     group by 1 order by gmv desc nulls last`,
    [ws, from.toISOString(), to.toISOString()],
  );
}

export async function topProducts(db: EventStoreDb, ws: string, from: Date, to: Date, limit = 10): Promise<Array<{ productId: string; name: string | null; category: string | null; orders: number; units: number; gmv: number }>> {
  return db.read(
    `select product_id as "productId", any_value(name) as name, any_value(category) as category,
            count(distinct order_id) as orders, sum(quantity) as units, round(sum(price * quantity), 2) as gmv
     from order_lines where workspace_id = $1 and product_id is not null and ts >= $2::timestamptz and ts < $3::timestamptz
     group by 1 order by gmv desc nulls last limit $4`,
    [ws, from.toISOString(), to.toISOString(), limit],
  );
}

export interface EventRow {
  seq: number;
  messageId: string;
  type: string;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  properties: unknown;
}

function toRow(r: { seq: number; message_id: string; type: string; event: string | null; user_id: string | null; anonymous_id: string | null; ts: Date; received_at: Date; body: string }): EventRow {
  const body = JSON.parse(r.body) as { properties?: unknown; traits?: unknown; name?: string };
  return {
    seq: r.seq, messageId: r.message_id, type: r.type, event: r.event ?? body.name ?? null, userId: r.user_id, anonymousId: r.anonymous_id,
    timestamp: r.ts.toISOString(), receivedAt: r.received_at.toISOString(), properties: body.properties ?? body.traits ?? null,
  };
}

const ROW_COLS = 'seq, message_id, type, event, user_id, anonymous_id, ts, received_at, body';

/** The newest events by arrival. */
export async function recentEvents(db: EventStoreDb, ws: string, limit: number): Promise<EventRow[]> {
  const r = await db.read<Parameters<typeof toRow>[0]>(`select ${ROW_COLS} from events where workspace_id = $1 order by seq desc limit $2`, [ws, limit]);
  return r.map(toRow);
}

/** Up to this many identifiers, a timeline is one scan per identifier; beyond, one scan in all. */
const TIMELINE_BRANCHES = 8;

/**
 * One person's events (all their userIds and anonymousIds), newest first.
 *
 * Each identifier gets its own `user_id = $n` / `anonymous_id = $n` branch: DuckDB pushes a single
 * equality into the column scan and then reads the wide `body` column only for the matching rows.
 * A condition over several values (OR, IN, list_contains) is evaluated after the scan, which then
 * decompresses every row's body: ~2 s instead of ~0.3 s at 10 M events. Branches are disjoint (an
 * anonymous branch leaves out rows of the person's userIds), so the union is the same row set.
 * Many identifiers: the old single scan, narrowed to rowids first so only `limit` bodies are read.
 */
export async function timeline(db: EventStoreDb, ws: string, userIds: string[], anonymousIds: string[], limit: number): Promise<EventRow[]> {
  const users = [...new Set(userIds)];
  const anons = [...new Set(anonymousIds)];
  if (!users.length && !anons.length) return [];
  const params: DuckDBValue[] = [ws, limit];
  const bind = (v: DuckDBValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  // Every bound parameter must be used, and only non-empty lists are bound (DuckDB cannot type an
  // empty list parameter).
  let sql: string;
  if (users.length + anons.length <= TIMELINE_BRANCHES) {
    const notTheirUserId = users.length && anons.length ? ` and (user_id is null or not list_contains(${bind(listValue(users))}::varchar[], user_id))` : '';
    const branches = [
      ...users.map((u) => `select ${ROW_COLS} from events where workspace_id = $1 and user_id = ${bind(u)}`),
      ...anons.map((a) => `select ${ROW_COLS} from events where workspace_id = $1 and anonymous_id = ${bind(a)}${notTheirUserId}`),
    ];
    sql = `select ${ROW_COLS} from (${branches.join('\n union all ')}) order by ts desc, seq desc limit $2`;
  } else {
    const conds: string[] = [];
    if (users.length) conds.push(`list_contains(${bind(listValue(users))}::varchar[], user_id)`);
    if (anons.length) conds.push(`list_contains(${bind(listValue(anons))}::varchar[], anonymous_id)`);
    sql = `select ${ROW_COLS} from events where rowid in (
             select rowid from events where workspace_id = $1 and (${conds.join(' or ')}) order by ts desc, seq desc limit $2
           ) order by ts desc, seq desc`;
  }
  const r = await db.read<Parameters<typeof toRow>[0]>(sql, params);
  return r.map(toRow);
}

/** Streams a workspace's events (Segment shape, with messageId and receivedAt) in arrival order. */
export async function exportEvents(db: EventStoreDb, ws: string, since: Date | null, onEvent: (json: string) => Promise<void> | void): Promise<number> {
  let n = 0;
  let after = -1;
  for (;;) {
    const rows = await db.read<{ seq: number; body: string }>(
      `select seq, body from events where workspace_id = $1 and ($2::timestamptz is null or ts >= $2::timestamptz) and seq > $3
       order by seq limit 5000`,
      [ws, since ? since.toISOString() : null, after],
    );
    for (const row of rows) {
      await onEvent(row.body);
      n++;
    }
    if (rows.length < 5000) return n;
    after = rows[rows.length - 1]!.seq;
  }
}

export async function countEvents(db: EventStoreDb, ws?: string): Promise<number> {
  const r = ws
    ? await db.read<{ n: number }>('select count(*) as n from events where workspace_id = $1', [ws])
    : await db.read<{ n: number }>('select count(*) as n from events');
  return r[0]?.n ?? 0;
}

// ---- recommendations: what training and live serving read (src/flows/recommend-*.ts) ----

/** The user key of an event row: `u:<userId>`, else `a:<anonymousId>` (never identified traffic). */
const USER_KEY = `coalesce('u:' || user_id, 'a:' || anonymous_id)`;
/** Product interactions among events (orders come from order_lines). */
const INTERACTION_EVENTS = `event in ('Product Viewed', 'Product Added', 'Product Shared')`;
const INTERACTION_KIND = `case event when 'Product Viewed' then 'view' when 'Product Added' then 'cart' else 'share' end`;

export interface InteractionAggregate { userKey: string; productId: string; kind: 'view' | 'cart' | 'order' | 'share'; n: number; lastTs: number }

/**
 * A workspace's product interactions per (user key, product, kind): views (`Product Viewed`),
 * carts (`Product Added`), shares (`Product Shared`) and orders (order lines of `Order
 * Completed`), with their count and latest time (unix seconds), since `since` and up to outbox
 * seq `maxSeq`. Read in `buckets` parts by a hash of the user key (part `bucket`), so a caller can
 * consume a large workspace a slice at a time.
 */
export async function recommendInteractions(db: EventStoreDb, ws: string, o: { since: Date | null; maxSeq: number; bucket: number; buckets: number }): Promise<InteractionAggregate[]> {
  return db.read<InteractionAggregate>(
    `with ev as (
       select ${USER_KEY} as user_key, json_extract_string(body, '$.properties.product_id') as product_id, ${INTERACTION_KIND} as kind, ts
       from events where workspace_id = $1 and type = 'track' and ${INTERACTION_EVENTS} and seq <= $3
         and ($2::timestamptz is null or ts >= $2::timestamptz) and (user_id is not null or anonymous_id is not null)
       union all
       select ${USER_KEY}, product_id, 'order', ts from order_lines
       where workspace_id = $1 and product_id is not null and seq <= $3
         and ($2::timestamptz is null or ts >= $2::timestamptz) and (user_id is not null or anonymous_id is not null)
     )
     select user_key as "userKey", product_id as "productId", kind, count(*) as n, max(epoch(ts)) as "lastTs"
     from ev where product_id is not null and hash(user_key) % $4 = $5 group by 1, 2, 3`,
    [ws, o.since ? o.since.toISOString() : null, o.maxSeq, o.buckets, o.bucket],
  );
}

/**
 * Each user key's latest `city` identify trait, up to outbox seq `maxSeq` (the recommender's
 * per-city popularity): `u:<userId>`, or `a:<anonymousId>` for identifies without a user id.
 */
export async function recommendUserCities(db: EventStoreDb, ws: string, maxSeq: number): Promise<Array<{ userKey: string; city: string }>> {
  return db.read<{ userKey: string; city: string }>(
    `select ${USER_KEY} as "userKey", arg_max(city, seq) as city from (
       select user_id, anonymous_id, seq, json_extract_string(body, '$.traits.city') as city
       from events where workspace_id = $1 and type = 'identify' and seq <= $2 and (user_id is not null or anonymous_id is not null)
     ) where city is not null and city <> '' group by 1`,
    [ws, maxSeq],
  );
}

/**
 * Social ties from the event log, up to outbox seq `maxSeq`: friend / follow / invite events in
 * time order (`Friend Added`/`Removed` with friend_id, `User Followed`/`Unfollowed` with
 * followee_id, `Invite Accepted` with inviter_id), for the caller to replay; and share ties,
 * visitor → sharer, from `Share Link Opened` joined to the share's `Product Shared`.
 */
export async function recommendSocial(db: EventStoreDb, ws: string, maxSeq: number): Promise<{
  edges: Array<{ src: string; dst: string; event: string; ts: number }>;
  shareTies: Array<{ visitor: string; sharer: string; n: number; lastTs: number }>;
}> {
  const edges = await db.read<{ src: string; dst: string; event: string; ts: number }>(
    `select 'u:' || user_id as src, 'u:' || coalesce(json_extract_string(body, '$.properties.friend_id'), json_extract_string(body, '$.properties.followee_id'),
            json_extract_string(body, '$.properties.inviter_id')) as dst, event, epoch(ts) as ts
     from events where workspace_id = $1 and type = 'track' and seq <= $2 and user_id is not null
       and event in ('Friend Added', 'Friend Removed', 'User Followed', 'User Unfollowed', 'Invite Accepted')
     order by ts, seq`,
    [ws, maxSeq],
  );
  const shareTies = await db.read<{ visitor: string; sharer: string; n: number; lastTs: number }>(
    `with s as (
       select json_extract_string(body, '$.properties.share_id') as share_id, any_value(${USER_KEY}) as sharer
       from events where workspace_id = $1 and type = 'track' and event = 'Product Shared' and seq <= $2 group by 1
     ), o as (
       select json_extract_string(body, '$.properties.share_id') as share_id, ${USER_KEY} as visitor, ts
       from events where workspace_id = $1 and type = 'track' and event = 'Share Link Opened' and seq <= $2
     )
     select o.visitor, s.sharer, count(*) as n, max(epoch(o.ts)) as "lastTs" from o join s using (share_id)
     where o.visitor is not null and s.sharer is not null and o.visitor <> s.sharer group by 1, 2`,
    [ws, maxSeq],
  );
  return { edges: edges.filter((e) => e.dst !== null && e.dst !== 'u:'), shareTies };
}

/** Order baskets (the distinct products of each completed order) since `since`, up to seq `maxSeq`. */
export async function recommendBaskets(db: EventStoreDb, ws: string, since: Date | null, maxSeq: number): Promise<Array<{ orderId: string; products: string[] }>> {
  const r = await db.read<{ orderId: string; products: string }>(
    `select order_id as "orderId", to_json(list(distinct product_id))::varchar as products from order_lines
     where workspace_id = $1 and product_id is not null and seq <= $3 and ($2::timestamptz is null or ts >= $2::timestamptz)
     group by 1`,
    [ws, since ? since.toISOString() : null, maxSeq],
  );
  return r.map((x) => ({ orderId: x.orderId, products: JSON.parse(x.products) as string[] }));
}

/**
 * Product interactions appended after outbox seq `afterSeq` (every workspace), in seq order, at
 * most `limit`: what live serving overlays on the trained snapshot (recent views, new orders).
 */
export async function recentInteractions(db: EventStoreDb, afterSeq: number, limit: number): Promise<Array<{ seq: number; workspaceId: string; userKey: string; productId: string; kind: 'view' | 'cart' | 'order' | 'share'; ts: number }>> {
  return db.read(
    `select seq, workspace_id as "workspaceId", user_key as "userKey", product_id as "productId", kind, epoch(ts) as ts from (
       select seq, workspace_id, ${USER_KEY} as user_key, json_extract_string(body, '$.properties.product_id') as product_id, ${INTERACTION_KIND} as kind, ts
       from events where seq > $1 and type = 'track' and ${INTERACTION_EVENTS}
       union all
       select seq, workspace_id, ${USER_KEY}, product_id, 'order', ts from order_lines where seq > $1
     ) where product_id is not null and user_key is not null order by seq limit $2`,
    [afterSeq, limit],
  );
}

/** Per workspace: events held, the highest outbox seq and the latest event time (unix s): what training has to read. */
export async function workspaceEventHeads(db: EventStoreDb): Promise<Array<{ workspaceId: string; events: number; maxSeq: number; lastTs: number }>> {
  return db.read(`select workspace_id as "workspaceId", count(*) as events, max(seq) as "maxSeq", epoch(max(ts)) as "lastTs" from events group by 1 order by 1`);
}
