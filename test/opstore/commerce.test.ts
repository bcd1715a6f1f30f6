import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { track } from '../helpers/op-events.ts';
import { applyOrderEvent, orderCounts, ordersOf, orderTotal } from '../../src/modules/commerce/index.ts';
import type { StoredEvent } from '../../src/modules/ingest/index.ts';

forEachOpStore('opstore commerce', (getDb) => {
  const apply = (ws: string, e: StoredEvent, shareId: string | null = null) => getDb().tx((q) => applyOrderEvent(q, ws, e, shareId));
  const order = async (ws: string, id: string) => {
    const r = await getDb().query<{ status: string; total: number; refunded: number; share_id: string | null; message_id: string; user_key: string }>(
      'select status, total, refunded, share_id, message_id, user_key from orders where workspace_id = $1 and order_id = $2', [ws, id]);
    return r.rows[0];
  };

  test('Order Completed is recorded once with its items; a second completion changes nothing', async () => {
    const ws = uid('ws_');
    const done = track('Order Completed', { userId: 'buyer', at: 1, properties: {
      order_id: 'o1', total: 100, revenue: 90, discount: 10, coupon: 'SPRING', currency: 'CNY',
      products: [{ product_id: 'p1', name: 'Tea', price: 30, quantity: 2, category: 'Drinks' }, { product_id: 'p2', name: 'Cup', price: 40 }],
    } });
    const first = await apply(ws, done, 'share-1');
    assert.deepEqual(first, { orderId: 'o1', buyer: 'u:buyer', total: 100, shareId: 'share-1', at: done.timestamp });
    const dup = track('Order Completed', { userId: 'buyer', at: 2, properties: { order_id: 'o1', total: 999, products: [{ product_id: 'p9', price: 999 }] } });
    assert.equal(await apply(ws, dup, 'share-2'), null);
    assert.equal(await apply(ws, done, 'share-1'), null, 'a redelivered event is not a second order');
    const o = (await order(ws, 'o1'))!;
    assert.deepEqual({ ...o }, { status: 'completed', total: 100, refunded: 0, share_id: 'share-1', message_id: done.messageId, user_key: 'u:buyer' });
    const [view] = await ordersOf(getDb(), ws, ['u:buyer']);
    assert.deepEqual(view!.items, [
      { productId: 'p1', name: 'Tea', category: 'Drinks', price: 30, quantity: 2 },
      { productId: 'p2', name: 'Cup', category: null, price: 40, quantity: 1 },
    ]);
    assert.deepEqual([view!.coupon, view!.currency, view!.shareId, view!.timestamp], ['SPRING', 'CNY', 'share-1', done.timestamp]);
    assert.deepEqual(await orderCounts(getDb(), ws), { orders: 1, gmv: 100, refunded: 0 });
  });

  test('order totals: total, else revenue, else the sum of lines', () => {
    assert.equal(orderTotal({ total: '88.5', revenue: 80 }), 88.5);
    assert.equal(orderTotal({ revenue: 80 }), 80);
    assert.equal(orderTotal({ products: [{ price: 10, quantity: 3 }, { price: '2.5' }, { quantity: 4 }] }), 32.5);
    assert.equal(orderTotal({}), 0);
  });

  test('refunds: partial, then the rest; a full refund without an amount; never more than the total', async () => {
    const ws = uid('ws_');
    await apply(ws, track('Order Completed', { userId: 'b', at: 1, properties: { order_id: 'o1', total: 100 } }));
    await apply(ws, track('Order Completed', { userId: 'b', at: 1, properties: { order_id: 'o2', total: 50 } }));
    await apply(ws, track('Order Completed', { userId: 'b', at: 1, properties: { order_id: 'o3', total: 20 } }));

    await apply(ws, track('Order Refunded', { userId: 'b', at: 2, properties: { order_id: 'o1', total: 30 } }));
    assert.deepEqual([(await order(ws, 'o1'))!.status, (await order(ws, 'o1'))!.refunded], ['partially_refunded', 30]);
    await apply(ws, track('Order Refunded', { userId: 'b', at: 3, properties: { order_id: 'o1', total: 70 } }));
    assert.deepEqual([(await order(ws, 'o1'))!.status, (await order(ws, 'o1'))!.refunded], ['refunded', 100]);

    await apply(ws, track('Order Refunded', { userId: 'b', at: 2, properties: { order_id: 'o2' } }));
    assert.deepEqual([(await order(ws, 'o2'))!.status, (await order(ws, 'o2'))!.refunded], ['refunded', 50]);

    await apply(ws, track('Order Refunded', { userId: 'b', at: 2, properties: { order_id: 'o3', total: 500 } }));
    assert.deepEqual([(await order(ws, 'o3'))!.status, (await order(ws, 'o3'))!.refunded], ['refunded', 20]);

    // A refund for an order never seen is ignored.
    assert.equal(await apply(ws, track('Order Refunded', { userId: 'b', at: 2, properties: { order_id: 'nope', total: 5 } })), null);
    assert.equal(await order(ws, 'nope'), undefined);
    assert.deepEqual(await orderCounts(getDb(), ws), { orders: 3, gmv: 170, refunded: 170 });
  });

  test('cancel: status cancelled, a later refund leaves it alone, and it drops out of the counts', async () => {
    const ws = uid('ws_');
    await apply(ws, track('Order Completed', { userId: 'b', at: 1, properties: { order_id: 'o1', total: 100 } }));
    await apply(ws, track('Order Completed', { userId: 'b', at: 1, properties: { order_id: 'o2', total: 40 } }));
    await apply(ws, track('Order Cancelled', { userId: 'b', at: 2, properties: { order_id: 'o1' } }));
    await apply(ws, track('Order Refunded', { userId: 'b', at: 3, properties: { order_id: 'o1', total: 10 } }));
    const o = (await order(ws, 'o1'))!;
    assert.deepEqual([o.status, o.refunded], ['cancelled', 0]);
    assert.deepEqual(await orderCounts(getDb(), ws), { orders: 1, gmv: 40, refunded: 0 });
  });

  test('ordersOf: every key of a person, newest first; other people and workspaces are not included', async () => {
    const ws = uid('ws_');
    await apply(ws, track('Order Completed', { anonymousId: 'anon-1', at: 1, properties: { order_id: 'o-anon', total: 5 } }));
    await apply(ws, track('Order Completed', { userId: 'lily', at: 3, properties: { order_id: 'o-new', total: 7 } }));
    await apply(ws, track('Order Completed', { userId: 'lily', at: 2, properties: { order_id: 'o-mid', total: 6 } }));
    await apply(ws, track('Order Completed', { userId: 'other', at: 4, properties: { order_id: 'o-other', total: 1 } }));
    await apply(uid('ws_'), track('Order Completed', { userId: 'lily', at: 5, properties: { order_id: 'o-elsewhere', total: 1 } }));
    assert.deepEqual((await ordersOf(getDb(), ws, ['u:lily', 'a:anon-1'])).map((o) => o.orderId), ['o-new', 'o-mid', 'o-anon']);
    assert.deepEqual((await ordersOf(getDb(), ws, ['u:lily'], 1)).map((o) => o.orderId), ['o-new']);
    assert.deepEqual(await ordersOf(getDb(), ws, []), []);
    assert.deepEqual(await ordersOf(getDb(), ws, ['u:nobody']), []);
    // No order id or no actor: nothing is recorded.
    assert.equal(await apply(ws, track('Order Completed', { userId: 'lily', at: 6, properties: { total: 3 } })), null);
    assert.equal((await ordersOf(getDb(), ws, ['u:lily'])).length, 2);
  });
});
