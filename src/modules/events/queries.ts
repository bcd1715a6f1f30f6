import { listValue, type DuckDBValue } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/** Analytical reads over the event log. Every value from a caller is a bound parameter. */

const ORDER_TOTAL = `coalesce(try_cast(json_extract_string(body, '$.properties.total') as double),
  try_cast(json_extract_string(body, '$.properties.revenue') as double), 0)`;

export interface DayCount { day: string; n: number }

/** Active users per day: distinct userId, or anonymousId for traffic never identified. */
export async function dailyActiveUsers(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; users: number }>> {
  return db.read(
    `select strftime(ts, '%Y-%m-%d') as day, count(distinct coalesce(user_id, 'anon:' || anonymous_id)) as users
     from events where workspace_id = $1 and ts >= $2::timestamptz and ts < $3::timestamptz group by 1 order by 1`,
    [ws, from.toISOString(), to.toISOString()],
  );
}

export async function eventsPerDay(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; events: number }>> {
  return db.read(
    `select strftime(ts, '%Y-%m-%d') as day, count(*) as events from events
     where workspace_id = $1 and ts >= $2::timestamptz and ts < $3::timestamptz group by 1 order by 1`,
    [ws, from.toISOString(), to.toISOString()],
  );
}

export async function ordersPerDay(db: EventStoreDb, ws: string, from: Date, to: Date): Promise<Array<{ day: string; orders: number; gmv: number }>> {
  return db.read(
    `select strftime(ts, '%Y-%m-%d') as day, count(distinct json_extract_string(body, '$.properties.order_id')) as orders,
            round(sum(${ORDER_TOTAL}), 2) as gmv
     from events where workspace_id = $1 and event = 'Order Completed' and ts >= $2::timestamptz and ts < $3::timestamptz
     group by 1 order by 1`,
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

/** One person's events (all their userIds and anonymousIds), newest first. */
export async function timeline(db: EventStoreDb, ws: string, userIds: string[], anonymousIds: string[], limit: number): Promise<EventRow[]> {
  if (!userIds.length && !anonymousIds.length) return [];
  // Only non-empty lists are bound (DuckDB cannot type an empty list parameter).
  const conds: string[] = [];
  const params: DuckDBValue[] = [ws, limit];
  if (userIds.length) {
    params.push(listValue(userIds));
    conds.push(`list_contains($${params.length}::varchar[], user_id)`);
  }
  if (anonymousIds.length) {
    params.push(listValue(anonymousIds));
    conds.push(`list_contains($${params.length}::varchar[], anonymous_id)`);
  }
  const r = await db.read<Parameters<typeof toRow>[0]>(
    `select ${ROW_COLS} from events where workspace_id = $1 and (${conds.join(' or ')}) order by ts desc, seq desc limit $2`,
    params,
  );
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
