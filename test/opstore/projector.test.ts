import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { alias, identify, page, track } from '../helpers/op-events.ts';
import { PROJECTOR, projectBatch } from '../../src/flows/project-events.ts';
import { getCursor, insertEvents, outboxBacklog, readOutbox, type StoredEvent } from '../../src/modules/ingest/index.ts';
import { getProfile, profileByIdentity } from '../../src/modules/identity/index.ts';
import { ordersOf } from '../../src/modules/commerce/index.ts';
import { cascade, neighbours, topSharers } from '../../src/modules/social/index.ts';
import { getProduct } from '../../src/modules/catalog/index.ts';
import { createWorkspace } from '../../src/modules/workspaces/index.ts';
import type { OpStore } from '../../src/platform/opstore/index.ts';

const TABLES = ['profiles', 'identities', 'identity_merges', 'products', 'orders', 'order_items', 'social_edges', 'shares', 'share_touches', 'share_conversions'];

/** Row counts and money totals of everything the projector writes for one workspace. */
async function snapshot(db: OpStore, ws: string) {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = (await db.query<{ n: number }>(`select count(*) as n from ${t} where workspace_id = $1`, [ws])).rows[0]!.n;
  out.traits = (await db.query<{ n: number }>('select count(*) as n from profile_traits t join profiles p on p.id = t.profile_id where p.workspace_id = $1', [ws])).rows[0]!.n;
  const money = (await db.query<{ gmv: number | null; refunded: number | null; conv: number | null }>(
    `select (select sum(total) from orders where workspace_id = $1) as gmv, (select sum(refunded) from orders where workspace_id = $1) as refunded,
            (select sum(amount) from share_conversions where workspace_id = $1) as conv`, [ws])).rows[0]!;
  out.gmv = Number(money.gmv ?? 0);
  out.refunded = Number(money.refunded ?? 0);
  out.conversions = Number(money.conv ?? 0);
  return out;
}

/**
 * Runs the projector until the outbox is consumed. projectBatch answers 0 when another projector
 * holds its (database-wide) advisory lock, so that is waited out rather than taken as "done".
 */
async function drain(db: OpStore, limit: number): Promise<number> {
  let total = 0;
  for (let tries = 0; tries < 200; tries++) {
    const n = await projectBatch(db, limit);
    total += n;
    if (n === 0) {
      if ((await outboxBacklog(db, PROJECTOR)) === 0) return total;
      await sleep(50);
    }
  }
  throw new Error('the projector did not catch up');
}

const write = (db: OpStore, ws: string, events: StoredEvent[]) => db.tx((q) => insertEvents(q, [{ workspaceId: ws, events }]));

/** A small social-commerce story: a share cascade, two attributed orders, a refund, a merge. */
function story() {
  const order1 = track('Order Completed', { userId: 'bob', at: 40, properties: {
    order_id: 'O1', total: 88, currency: 'CNY', products: [{ product_id: 'P1', name: 'Oolong', price: 44, quantity: 2 }] } });
  return {
    order1,
    events: [
      identify({ userId: 'alice', anonymousId: 'al-anon', traits: { name: 'Alice', email: 'alice@shop.cn' }, at: 0 }),
      track('Product Viewed', { userId: 'alice', at: 1, properties: { product_id: 'P1', name: 'Oolong tea', price: 44, category: 'Tea' } }),
      track('Product Shared', { userId: 'alice', at: 2, properties: { share_id: 'S1', product_id: 'P1', share_via: 'wechat' } }),
      page({ anonymousId: 'bob-anon', at: 10, properties: { share_id: 'S1' } }),
      track('Share Link Opened', { anonymousId: 'bob-anon', at: 11, properties: { share_id: 'S1' } }),
      identify({ userId: 'bob', anonymousId: 'bob-anon', traits: { name: 'Bob' }, at: 20 }),
      track('Product Shared', { userId: 'bob', at: 30, properties: { share_id: 'S2', parent_share_id: 'S1', product_id: 'P1' } }),
      track('User Followed', { userId: 'bob', at: 31, properties: { followee_id: 'alice' } }),
      // Bob's order carries no share_id: it is attributed through his anonymous touch on S1.
      order1,
      page({ anonymousId: 'carol-anon', at: 50, properties: { share_id: 'S2' } }),
      track('Order Completed', { anonymousId: 'carol-anon', at: 51, properties: { order_id: 'O2', total: 20 } }),
      track('Order Refunded', { anonymousId: 'carol-anon', at: 52, properties: { order_id: 'O2', total: 5 } }),
      // The same order completed again under another messageId: still one order.
      track('Order Completed', { userId: 'bob', at: 53, properties: { order_id: 'O1', total: 1000 } }),
      // A visitor seen before on another device is joined by email: a merge.
      track('Product Viewed', { anonymousId: 'al-phone', at: 60, properties: { product_id: 'P1' } }),
      track('Product Viewed', { anonymousId: 'al-phone', at: 61, context: { traits: { email: 'alice@shop.cn' } } }),
      alias('al-tablet', 'alice', { at: 62 }),
      track('User Followed', { userId: 'carol', at: 63, properties: { followee_id: 'alice' } }),
      track('User Unfollowed', { userId: 'carol', at: 64, properties: { followee_id: 'alice' } }),
    ],
  };
}

forEachOpStore('opstore projector (projectBatch)', (getDb) => {
  test('end to end on a small story, in small batches; exactly once: running again or replaying applies nothing', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const { events, order1 } = story();
    // Written in two requests, with a duplicate of Bob's order inside the second.
    assert.equal(await write(db, ws, events.slice(0, 9)), 9);
    assert.equal(await write(db, ws, [...events.slice(9), { ...order1 }]), events.length - 9);
    assert.equal(await drain(db, 4), events.length);
    assert.equal(await outboxBacklog(db, PROJECTOR), 0);
    const cursor = await getCursor(db, PROJECTOR);
    assert.deepEqual(await readOutbox(db, cursor, 10), []);

    // Identity: Bob's anonymous history is his; Alice's three devices are one profile.
    const bob = (await profileByIdentity(db, ws, 'user_id', 'bob'))!;
    assert.equal(await profileByIdentity(db, ws, 'anonymous_id', 'bob-anon'), bob);
    const alice = (await profileByIdentity(db, ws, 'user_id', 'alice'))!;
    for (const a of ['al-anon', 'al-phone', 'al-tablet']) assert.equal(await profileByIdentity(db, ws, 'anonymous_id', a), alice, a);
    const aliceView = (await getProfile(db, ws, alice))!;
    assert.deepEqual(aliceView.merges.map((m) => m.cause), ['track carrying anonymousId + context.traits']);
    assert.deepEqual(aliceView.traits.map((t) => [t.key, t.value]), [['email', 'alice@shop.cn'], ['name', 'Alice']]);

    // Catalog.
    const p1 = (await getProduct(db, ws, 'P1'))!;
    assert.deepEqual([p1.name, p1.price, p1.category, p1.source], ['Oolong', 44, 'Tea', 'event']);

    // Orders: O1 once (first completion), attributed to S1 through Bob's anonymous touch; O2 partially refunded, via S2.
    const bobOrders = await ordersOf(db, ws, ['u:bob', 'a:bob-anon']);
    assert.deepEqual(bobOrders.map((o) => [o.orderId, o.status, o.total, o.shareId, o.items.length]), [['O1', 'completed', 88, 'S1', 1]]);
    const carolOrders = await ordersOf(db, ws, ['a:carol-anon']);
    assert.deepEqual(carolOrders.map((o) => [o.orderId, o.status, o.total, o.refunded, o.shareId]), [['O2', 'partially_refunded', 20, 5, 'S2']]);

    // Social graph and cascade.
    assert.deepEqual((await neighbours(db, ws, ['u:alice'])).map((n) => `${n.direction}:${n.type}:${n.key}`), ['in:follow:u:bob']);
    const c = (await cascade(db, ws, 'S2'))!;
    assert.equal(c.root.shareId, 'S1');
    assert.equal(c.generations, 2);
    assert.deepEqual([c.root.clicks, c.root.orders, c.root.gmv, c.root.downstreamOrders, c.root.downstreamGmv], [2, 1, 88, 2, 108]);
    assert.deepEqual(c.root.children.map((n) => [n.shareId, n.sharer, n.clicks, n.orders, n.gmv]), [['S2', 'u:bob', 1, 1, 20]]);
    assert.deepEqual((await topSharers(db, ws)).map((s) => [s.sharer, s.orders, s.gmv]), [['u:alice', 1, 88], ['u:bob', 1, 20]]);

    const before = await snapshot(db, ws);
    assert.deepEqual(
      [before.orders, before.share_conversions, before.shares, before.share_touches, before.identity_merges, before.gmv, before.refunded, before.conversions],
      [2, 2, 2, 3, 1, 108, 5, 108],
    );

    // Running again applies nothing; replaying every event is refused at the writer.
    assert.equal(await projectBatch(db), 0);
    assert.equal(await write(db, ws, events), 0);
    assert.equal(await drain(db, 100), 0);
    assert.deepEqual(await snapshot(db, ws), before);
    assert.equal(await getCursor(db, PROJECTOR), cursor);
  });

  test('several projectors at once (several connections on PostgreSQL) apply each event once', async () => {
    const db = getDb();
    const ws = uid('ws_');
    const { events } = story();
    await write(db, ws, events);
    const counts = await Promise.all([projectBatch(db, 3), projectBatch(db, 3), projectBatch(db, 3), projectBatch(db, 3)]);
    const rest = await drain(db, 3);
    assert.equal(counts.reduce((a, b) => a + b, 0) + rest, events.length, `batches ${JSON.stringify(counts)} + ${rest}`);
    const s = await snapshot(db, ws);
    assert.deepEqual([s.orders, s.share_conversions, s.gmv, s.refunded, s.identity_merges], [2, 2, 108, 5, 1]);
  });

  test('projection in one batch equals projection event by event', async () => {
    const db = getDb();
    const [a, b] = [uid('ws_'), uid('ws_')];
    const { events } = story();
    await write(db, a, events);
    await drain(db, 1000);
    await write(db, b, events);
    await drain(db, 1);
    const [sa, sb] = [await snapshot(db, a), await snapshot(db, b)];
    assert.deepEqual(sb, sa);
  });

  test('workspace settings choose the merge rules', async () => {
    const db = getDb();
    const ws = uid('ws_');
    await createWorkspace(db, ws, 'No email merges');
    await db.query('update workspaces set settings = $2 where id = $1', [ws, JSON.stringify({ identity: { mergeOn: ['user_id', 'anonymous_id'] } })]);
    await write(db, ws, [
      identify({ userId: 'u1', traits: { email: 'same@x.cn' }, at: 1 }),
      track('Product Viewed', { anonymousId: 'v', at: 2 }),
      track('Product Viewed', { anonymousId: 'v', at: 3, context: { traits: { email: 'same@x.cn' } } }),
    ]);
    await drain(db, 100);
    assert.notEqual(await profileByIdentity(db, ws, 'anonymous_id', 'v'), await profileByIdentity(db, ws, 'user_id', 'u1'));
    assert.equal((await snapshot(db, ws)).identity_merges, 0);
  });

  test('a follow and an unfollow in one request keep their order whatever their messageIds', async () => {
    const db = getDb();
    const ws = uid('ws_');
    await write(db, ws, [
      track('User Followed', { userId: 'x', messageId: 'zzz-follow', at: 1, properties: { followee_id: 'y' } }),
      track('User Unfollowed', { userId: 'x', messageId: 'aaa-unfollow', at: 2, properties: { followee_id: 'y' } }),
      track('Product Shared', { userId: 'x', messageId: 'zzz-parent', at: 3, properties: { share_id: 'root' } }),
      track('Product Shared', { userId: 'y', messageId: 'aaa-child', at: 4, properties: { share_id: 'kid', parent_share_id: 'root' } }),
      track('Product Shared', { userId: 'z', messageId: '000-grandchild', at: 5, properties: { share_id: 'grandkid', parent_share_id: 'kid' } }),
    ]);
    await drain(db, 100);
    assert.deepEqual(await neighbours(db, ws, ['u:x']), []);
    const c = (await cascade(db, ws, 'grandkid'))!;
    assert.deepEqual([c.root.shareId, c.generations, c.shares], ['root', 3, 3]);
  });
});
