import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore, uid } from '../helpers/stores.ts';
import { at, page, track } from '../helpers/op-events.ts';
import { applySocialEvent, attributedShare, cascade, neighbours, recordConversion, sharesBy, shareTouchOf, topSharers } from '../../src/modules/social/index.ts';
import type { StoredEvent } from '../../src/modules/ingest/index.ts';

forEachOpStore('opstore social', (getDb) => {
  const apply = (ws: string, ...evs: StoredEvent[]) => getDb().tx(async (q) => {
    for (const e of evs) await applySocialEvent(q, ws, e);
  });
  const edges = async (ws: string, key: string) =>
    (await neighbours(getDb(), ws, [key])).map((n) => `${n.direction}:${n.type}:${n.key}`).sort();

  test('follow, unfollow, follow again', async () => {
    const ws = uid('ws_');
    await apply(ws, track('User Followed', { userId: 'amy', at: 1, properties: { followee_id: 'bob' } }));
    assert.deepEqual(await edges(ws, 'u:amy'), ['out:follow:u:bob']);
    assert.deepEqual(await edges(ws, 'u:bob'), ['in:follow:u:amy']);
    const [n] = await neighbours(getDb(), ws, ['u:amy']);
    assert.equal(n!.since, at(1));

    // A late unfollow older than the follow does not close it.
    await apply(ws, track('User Unfollowed', { userId: 'amy', at: 0, properties: { followee_id: 'bob' } }));
    assert.deepEqual(await edges(ws, 'u:amy'), ['out:follow:u:bob']);
    await apply(ws, track('User Unfollowed', { userId: 'amy', at: 2, properties: { followee_id: 'bob' } }));
    assert.deepEqual(await edges(ws, 'u:amy'), []);
    assert.deepEqual(await edges(ws, 'u:bob'), []);
    await apply(ws, track('User Followed', { userId: 'amy', at: 3, properties: { followee_id: 'bob' } }));
    const again = await neighbours(getDb(), ws, ['u:amy']);
    assert.deepEqual(again.map((x) => [x.key, x.since]), [['u:bob', at(3)]], 'a re-follow starts a new edge');
    // A repeated follow keeps the original time; following oneself is ignored.
    await apply(ws, track('User Followed', { userId: 'amy', at: 4, properties: { followee_id: 'bob' } }));
    await apply(ws, track('User Followed', { userId: 'amy', at: 4, properties: { followee_id: 'amy' } }));
    assert.deepEqual((await neighbours(getDb(), ws, ['u:amy'])).map((x) => [x.key, x.since]), [['u:bob', at(3)]]);
  });

  test('friends are mutual; an accepted invite is an edge from the inviter', async () => {
    const ws = uid('ws_');
    await apply(ws,
      track('Friend Added', { userId: 'cat', at: 1, properties: { friend_id: 'dan' } }),
      track('Invite Accepted', { anonymousId: 'new-visitor', at: 2, properties: { inviter_id: 'cat' } }),
    );
    assert.deepEqual(await edges(ws, 'u:cat'), ['in:friend:u:dan', 'out:friend:u:dan', 'out:invite:a:new-visitor']);
    assert.deepEqual(await edges(ws, 'a:new-visitor'), ['in:invite:u:cat']);
    await apply(ws, track('Friend Removed', { userId: 'dan', at: 3, properties: { friend_id: 'cat' } }));
    assert.deepEqual(await edges(ws, 'u:cat'), ['out:invite:a:new-visitor']);
    assert.deepEqual(await edges(ws, 'u:dan'), []);
    // Identify / events without the other party do nothing.
    await apply(ws, track('User Followed', { userId: 'cat', at: 4, properties: {} }));
    assert.deepEqual(await edges(ws, 'u:cat'), ['out:invite:a:new-visitor']);
  });

  test('share cascades: generations and root; touches; attribution window; conversions; cascade tree; topSharers', async () => {
    const ws = uid('ws_');
    await apply(ws,
      track('Product Shared', { userId: 'A', at: 0, properties: { share_id: 's1', product_id: 'p1', share_via: 'wechat' } }),
      track('Product Shared', { userId: 'B', at: 10, properties: { share_id: 's2', parent_share_id: 's1', product_id: 'p1' }, context: { campaign: { share_id: 's1' } } }),
      track('Product Shared', { userId: 'C', at: 20, properties: { share_id: 's3', parent_share_id: 's2', product_id: 'p1' } }),
      track('Product Shared', { userId: 'D', at: 25, properties: { share_id: 's4', parent_share_id: 's1', product_id: 'p1' } }),
      // Redelivery with other values: the first share wins.
      track('Product Shared', { userId: 'Z', at: 30, properties: { share_id: 's2', parent_share_id: 's4' } }),
    );
    const byId = new Map((await getDb().query<{ share_id: string; root_share_id: string; generation: number; parent_share_id: string | null; sharer: string; channel: string | null }>(
      'select share_id, root_share_id, generation, parent_share_id, sharer, channel from shares where workspace_id = $1', [ws])).rows.map((r) => [r.share_id, r]));
    assert.deepEqual([...byId.keys()].sort(), ['s1', 's2', 's3', 's4']);
    assert.deepEqual(['s1', 's2', 's3', 's4'].map((s) => [byId.get(s)!.root_share_id, byId.get(s)!.generation, byId.get(s)!.parent_share_id, byId.get(s)!.sharer]), [
      ['s1', 0, null, 'u:A'], ['s1', 1, 's1', 'u:B'], ['s1', 2, 's2', 'u:C'], ['s1', 1, 's1', 'u:D'],
    ]);
    assert.equal(byId.get('s1')!.channel, 'wechat');

    // Touches: a page with share_id, Share Link Opened, a campaign share_id; not a plain property on other events, nor a share itself.
    const touches = [
      page({ anonymousId: 'v1', at: 100, properties: { share_id: 's3' } }),
      track('Share Link Opened', { anonymousId: 'v2', at: 100, properties: { share_id: 's2' } }),
      track('Product Viewed', { anonymousId: 'v3', at: 100, context: { campaign: { share_id: 's3' } } }),
      track('Product Viewed', { anonymousId: 'v4', at: 100, properties: { share_id: 's1' } }),
    ];
    assert.deepEqual(touches.map(shareTouchOf), ['s3', 's2', 's3', null]);
    await apply(ws, ...touches, touches[0]!);
    const nTouches = await getDb().query<{ n: number }>('select count(*) as n from share_touches where workspace_id = $1', [ws]);
    assert.equal(nTouches.rows[0]!.n, 3, 'a redelivered touch counts once; the share event itself is not a touch');

    // Attribution: the latest touch within 7 days before the order, over any of the buyer's keys.
    await apply(ws, page({ anonymousId: 'v1', at: 200, properties: { share_id: 's4' } }));
    assert.equal(await attributedShare(getDb(), ws, ['u:v1-user', 'a:v1'], at(150)), 's3');
    assert.equal(await attributedShare(getDb(), ws, ['a:v1'], at(300)), 's4', 'last touch wins');
    assert.equal(await attributedShare(getDb(), ws, ['a:v1'], at(50)), null, 'no touch before the order');
    assert.equal(await attributedShare(getDb(), ws, ['a:v1'], at(200 + 7 * 24 * 60 + 1)), null, 'outside the 7-day window');
    assert.equal(await attributedShare(getDb(), ws, [], at(300)), null);

    await getDb().tx(async (q) => {
      await recordConversion(q, ws, 's3', 'o1', 'a:v1', 50, at(150));
      await recordConversion(q, ws, 's2', 'o2', 'a:v2', 30, at(160));
      await recordConversion(q, ws, 's4', 'o3', 'a:v3', 5, at(170));
      await recordConversion(q, ws, 's1', 'o1', 'a:v1', 999, at(150)); // the same order again: ignored
    });

    const c = (await cascade(getDb(), ws, 's3'))!;
    assert.equal(c.root.shareId, 's1');
    assert.equal(c.generations, 3);
    assert.equal(c.shares, 4);
    assert.deepEqual([c.root.orders, c.root.gmv, c.root.downstreamOrders, c.root.downstreamGmv], [0, 0, 3, 85]);
    const s2 = c.root.children.find((n) => n.shareId === 's2')!;
    const s4 = c.root.children.find((n) => n.shareId === 's4')!;
    assert.deepEqual(c.root.children.map((n) => n.shareId).sort(), ['s2', 's4']);
    assert.deepEqual([s2.clicks, s2.orders, s2.gmv, s2.downstreamOrders, s2.downstreamGmv], [1, 1, 30, 2, 80]);
    assert.deepEqual(s2.children.map((n) => [n.shareId, n.generation, n.clicks, n.orders, n.downstreamGmv]), [['s3', 2, 2, 1, 50]]);
    assert.deepEqual([s4.clicks, s4.downstreamOrders, s4.downstreamGmv], [1, 1, 5]);
    assert.deepEqual((await cascade(getDb(), ws, 's1'))!.root.downstreamGmv, 85, 'any share of the cascade gives the same tree');
    assert.equal(await cascade(getDb(), ws, 'nope'), null);

    assert.deepEqual(await topSharers(getDb(), ws), [
      { sharer: 'u:C', shares: 1, clicks: 2, orders: 1, gmv: 50 },
      { sharer: 'u:B', shares: 1, clicks: 1, orders: 1, gmv: 30 },
      { sharer: 'u:D', shares: 1, clicks: 1, orders: 1, gmv: 5 },
      { sharer: 'u:A', shares: 1, clicks: 0, orders: 0, gmv: 0 },
    ]);
    assert.equal((await topSharers(getDb(), ws, 2)).length, 2);
    const byB = await sharesBy(getDb(), ws, ['u:B']);
    assert.deepEqual(byB.map((s) => [s.shareId, s.rootShareId, s.generation, s.clicks, s.orders, s.gmv, s.productId]), [['s2', 's1', 1, 1, 1, 30, 'p1']]);
    assert.deepEqual(await topSharers(getDb(), uid('ws_')), []);
  });

  test('a child share whose parent is unknown starts at generation 1 under that parent', async () => {
    const ws = uid('ws_');
    await apply(ws, track('Product Shared', { userId: 'E', at: 1, properties: { share_id: 'child', parent_share_id: 'lost-parent' } }));
    await apply(ws, track('Product Shared', { userId: 'F', at: 2, properties: { share_id: 'self', parent_share_id: 'self' } }));
    const r = await getDb().query<{ share_id: string; root_share_id: string; generation: number; parent_share_id: string | null }>(
      'select share_id, root_share_id, generation, parent_share_id from shares where workspace_id = $1 order by share_id', [ws]);
    assert.deepEqual(r.rows.map((x) => [x.share_id, x.root_share_id, x.generation, x.parent_share_id]), [
      ['child', 'lost-parent', 1, 'lost-parent'], ['self', 'self', 0, null],
    ]);
    const c = (await cascade(getDb(), ws, 'child'))!;
    assert.equal(c.root.shareId, 'child', 'the tree roots at the share that exists');
    assert.equal(c.shares, 1);
  });
});
