import type { SqlRunner } from '../../platform/opstore/index.ts';
import { actorKey, num, obj, str } from '../../platform/values.ts';

/** Commerce: orders and their line items from Order Completed / Refunded / Cancelled. */
interface CommerceEvent { type: string; event?: string; messageId: string; userId?: string; anonymousId?: string; timestamp: string; properties?: Record<string, unknown> }

export interface CompletedOrder { orderId: string; buyer: string; total: number; shareId: string | null; at: string }

export const ORDER_EVENTS = new Set(['Order Completed', 'Order Refunded', 'Order Cancelled']);

/** The order total: `total`, else `revenue`, else the sum of line prices. */
export function orderTotal(p: Record<string, unknown>): number {
  const t = num(p.total) ?? num(p.revenue);
  if (t !== null) return t;
  const items = Array.isArray(p.products) ? p.products.map(obj) : [];
  return items.reduce((s, it) => s + (num(it.price) ?? 0) * (num(it.quantity) ?? 1), 0);
}

/**
 * Applies one order event. A completion is recorded once (the first wins); `shareId` is the
 * attributed share (from the event or the buyer's share touches). Returns the new order, if any.
 */
export async function applyOrderEvent(q: SqlRunner, ws: string, e: CommerceEvent, shareId: string | null): Promise<CompletedOrder | null> {
  const p = e.properties ?? {};
  const orderId = str(p.order_id, 200);
  const buyer = actorKey(e);
  if (!orderId || !buyer) return null;
  if (e.event === 'Order Completed') {
    const total = orderTotal(p);
    const r = await q.query(
      `insert into orders (workspace_id, order_id, user_key, status, total, revenue, discount, coupon, currency, share_id, message_id, ordered_at, updated_at)
       values ($1, $2, $3, 'completed', $4, $5, $6, $7, $8, $9, $10, $11, $11) on conflict (workspace_id, order_id) do nothing`,
      [ws, orderId, buyer, total, num(p.revenue), num(p.discount), str(p.coupon, 200), str(p.currency, 10), shareId, e.messageId, e.timestamp],
    );
    if (!r.rowCount) return null;
    const items = Array.isArray(p.products) ? p.products.map(obj) : [];
    if (items.length) {
      const rows = items.slice(0, 500).map((it, line) => ({
        line, product_id: str(it.product_id, 200), sku: str(it.sku, 200), name: str(it.name), category: str(it.category, 200), brand: str(it.brand, 200),
        price: num(it.price), quantity: Math.max(0, Math.min(1_000_000, Math.trunc(num(it.quantity) ?? 1))),
      }));
      await q.query(
        `insert into order_items (workspace_id, order_id, line, product_id, sku, name, category, brand, price, quantity)
         select $1, $2, x.line, x.product_id, x.sku, x.name, x.category, x.brand, x.price, x.quantity
         from jsonb_to_recordset($3::jsonb) as x(line int, product_id text, sku text, name text, category text, brand text, price numeric, quantity int)
         on conflict do nothing`,
        [ws, orderId, JSON.stringify(rows)],
      );
    }
    return { orderId, buyer, total, shareId, at: e.timestamp };
  }
  if (e.event === 'Order Refunded') {
    const amount = num(p.total) ?? num(p.revenue);
    await q.query(
      `update orders set refunded = least(coalesce(total, 0), refunded + coalesce($3, coalesce(total, 0) - refunded)),
         status = case when coalesce($3, coalesce(total, 0) - refunded) >= coalesce(total, 0) - refunded then 'refunded' else 'partially_refunded' end,
         updated_at = greatest(updated_at, $4::timestamptz)
       where workspace_id = $1 and order_id = $2 and status <> 'cancelled'`,
      [ws, orderId, amount, e.timestamp],
    );
  }
  if (e.event === 'Order Cancelled') {
    await q.query(`update orders set status = 'cancelled', updated_at = greatest(updated_at, $3::timestamptz) where workspace_id = $1 and order_id = $2`, [ws, orderId, e.timestamp]);
  }
  return null;
}

export interface OrderView { orderId: string; status: string; total: number | null; refunded: number; currency: string | null; coupon: string | null; shareId: string | null; timestamp: string; items: Array<{ productId: string | null; name: string | null; category: string | null; price: number | null; quantity: number }> }

/** A person's orders, newest first (`keys` from actorKey of each of their ids). */
export async function ordersOf(q: SqlRunner, ws: string, keys: string[], limit = 100): Promise<OrderView[]> {
  if (!keys.length) return [];
  const r = await q.query<{ order_id: string; status: string; total: number | null; refunded: number; currency: string | null; coupon: string | null; share_id: string | null; ordered_at: Date }>(
    'select order_id, status, total, refunded, currency, coupon, share_id, ordered_at from orders where workspace_id = $1 and user_key = any($2) order by ordered_at desc limit $3',
    [ws, keys, limit],
  );
  const ids = r.rows.map((o) => o.order_id);
  const items = ids.length
    ? await q.query<{ order_id: string; product_id: string | null; name: string | null; category: string | null; price: number | null; quantity: number }>(
        'select order_id, product_id, name, category, price, quantity from order_items where workspace_id = $1 and order_id = any($2) order by order_id, line',
        [ws, ids],
      )
    : { rows: [] };
  return r.rows.map((o) => ({
    orderId: o.order_id, status: o.status, total: o.total, refunded: o.refunded, currency: o.currency, coupon: o.coupon, shareId: o.share_id,
    timestamp: o.ordered_at.toISOString(),
    items: items.rows.filter((i) => i.order_id === o.order_id).map((i) => ({ productId: i.product_id, name: i.name, category: i.category, price: i.price, quantity: i.quantity })),
  }));
}

export async function orderCounts(q: SqlRunner, ws: string): Promise<{ orders: number; gmv: number; refunded: number }> {
  const r = await q.query<{ orders: number; gmv: number | null; refunded: number | null }>(
    `select count(*) as orders, sum(total) as gmv, sum(refunded) as refunded from orders where workspace_id = $1 and status <> 'cancelled'`, [ws]);
  return { orders: Number(r.rows[0]?.orders ?? 0), gmv: Number(r.rows[0]?.gmv ?? 0), refunded: Number(r.rows[0]?.refunded ?? 0) };
}
