import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { appendEvents, migrateEventStore } from '../../src/modules/events/index.ts';
import { ROW_PATH_MAX, readPassRange, rebuildSocialActions, refreshSocialActions } from '../../src/modules/profiles/social-actions.ts';

// The incremental pass extracts a short range's social actions row by row (social-actions.ts
// `rangeActions`), the full recompute with one set-based statement: on random events of every kind
// that gives an action (and of the edge cases: wrong types, empty and equal ids, amounts that are
// absent, out of range or only in the lines), both must write the same rows, and the long-range
// path (the statement over a seq range) too.

/** mulberry32: a fixed stream of random numbers. */
function rng(seed: number) {
  let x = seed;
  return (k: number) => {
    x = (x + 0x6d2b79f5) | 0;
    let r = Math.imul(x ^ (x >>> 15), 1 | x);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) % k;
  };
}

const EVENTS = ['User Followed', 'User Unfollowed', 'Friend Added', 'Friend Removed', 'Invite Accepted', 'Invite Sent', 'Product Shared', 'Order Completed',
  'Order Cancelled', 'Share Link Opened', 'Product Viewed', 'Signed Up'];

test('social actions: the row path of a short range writes the rows of the full extraction, for random events', async () => {
  const rnd = rng(11);
  const id = (p: string) => [null, '', `${p}${rnd(6)}`, `${p}${rnd(6)}`][rnd(4)];
  const money = () => [undefined, null, 'x', 12.345, 99.99, 1e20, -5, 0.005, '7.5'][rnd(9)];
  const events = Array.from({ length: 1200 }, (_, i) => {
    const type = ['track', 'track', 'track', 'page', 'screen', 'identify'][rnd(6)]!;
    const properties: Record<string, unknown> = {};
    for (const k of ['share_id', 'parent_share_id', 'followee_id', 'friend_id', 'inviter_id', 'invite_id', 'order_id']) if (rnd(2)) properties[k] = id(k[0]!);
    if (rnd(3) === 0) properties.parent_share_id = properties.share_id;
    if (rnd(2)) properties.total = money();
    if (rnd(2)) properties.revenue = money();
    if (rnd(2)) properties.products = Array.from({ length: rnd(3) }, () => ({ product_id: `p${rnd(9)}`, price: [10, 0.015, null, 3.333][rnd(4)], quantity: 1 + rnd(3) }));
    const body: Record<string, unknown> = {
      type, event: type === 'track' ? EVENTS[rnd(EVENTS.length)] : undefined, messageId: `m${i}`, userId: rnd(4) ? `u${rnd(30)}` : undefined,
      anonymousId: rnd(2) ? `a${rnd(30)}` : undefined, timestamp: new Date(Date.UTC(2026, 0, 1) + i * 61_001).toISOString(), receivedAt: '2026-02-01T00:00:00.000Z', properties,
    };
    if (rnd(4) === 0) body.context = { campaign: { share_id: id('c') } };
    return { seq: i + 1, workspaceId: rnd(5) ? 'w' : 'v', body: body as never };
  });
  const es = await openEventStoreDb(undefined);
  try {
    await migrateEventStore(es);
    await appendEvents(es, events);
    const rows = () => es.read<Record<string, unknown>>('select * exclude (ts), epoch_us(ts) as us, amount::varchar as amount from social_actions order by all');
    // The full extraction, per workspace.
    await es.write(async (c) => {
      for (const ws of ['w', 'v']) await rebuildSocialActions(c, ws);
    });
    const want = await rows();
    assert.ok(want.length > 300, `a few hundred actions to compare (${want.length})`);
    for (const kind of ['follow', 'unfollow', 'friend', 'unfriend', 'invite_accepted', 'invite_sent', 'share', 'touch', 'order', 'cancel']) {
      assert.ok(want.some((r) => r.kind === kind), `the events give a ${kind}`);
    }
    // share_def (migration 13): the share id on `share` rows only (a share's definition by index).
    for (const r of want) assert.equal(r.share_def, r.kind === 'share' ? r.share_id : null, `share_def of a ${r.kind} row`);
    // Short ranges (the row path), as passes of 1 to 40 events, returning what they wrote.
    await es.write((c) => c.run('delete from social_actions'));
    let returned = 0;
    for (let after = 0; after < events.length;) {
      const upTo = Math.min(events.length, after + 1 + rnd(40));
      const got = await es.write((c) => refreshSocialActions(c, after, upTo));
      assert.ok(got, 'a short range takes the row path');
      returned += got.length;
      after = upTo;
    }
    assert.deepEqual(await rows(), want, 'the row path writes the full extraction\'s rows');
    assert.equal(returned, want.length, 'and returns them');
    // The same ranges read once before the transaction (readPassRange, as a pass does), their actions handed to the write.
    await es.write((c) => c.run('delete from social_actions'));
    let social = 0;
    for (let after = 0; after < events.length;) {
      const upTo = Math.min(events.length, after + 1 + rnd(40));
      const pre = await readPassRange(es, after, upTo);
      assert.ok(pre.actions, 'a short range comes with its actions');
      assert.deepEqual(pre.events.map((e) => e.seq), Array.from({ length: upTo - after }, (_, i) => after + 1 + i), 'every event of the range, in seq order');
      social += pre.events.filter((e) => e.social).length;
      const got = await es.write((c) => refreshSocialActions(c, after, upTo, pre.actions));
      assert.equal(got, pre.actions);
      after = upTo;
    }
    assert.deepEqual(await rows(), want, 'the actions read before the transaction are the row path\'s');
    assert.ok(social > 0 && social < events.length, `some events, not all, can give an action (${social} of ${events.length})`);
    assert.equal((await readPassRange(es, 0, ROW_PATH_MAX + 1)).actions, null, 'a long range reads the ids only');
    // A replayed range replaces its rows.
    await es.write((c) => refreshSocialActions(c, 100, 300));
    assert.deepEqual(await rows(), want, 'a replayed range changes nothing');
    // A long range (the statement).
    await es.write((c) => c.run('delete from social_actions'));
    const long = await es.write((c) => refreshSocialActions(c, 0, ROW_PATH_MAX + 5000));
    assert.equal(long, null, 'a long range takes the statement');
    assert.deepEqual(await rows(), want, 'the long-range statement writes the same rows');
    // Migrations 13–14 on a store written before them (no share_def column, no index; rows): share_def filled from the rows.
    await es.write(async (c) => {
      await c.run('drop index if exists social_actions_share_def');
      await c.run('alter table social_actions drop column share_def');
    });
    // ...with the table's other indexes, as a store at version 12 has them.
    await es.write(async (c) => {
      for (const col of ['user_id', 'anonymous_id', 'share_id', 'parent_share_id']) await c.run(`create index if not exists sa_test_${col} on social_actions (${col})`);
    });
    await es.write((c) => c.run(`update es_meta set value = '12' where key = 'schema_version'`));
    // (15 and later re-run harmlessly: `if not exists`.)
    assert.deepEqual((await migrateEventStore(es)).slice(0, 2), [13, 14]);
    assert.deepEqual(await rows(), want, 'the migration sets share_def as the writes do');
    assert.equal((await es.read(`select 1 from duckdb_indexes() where index_name = 'social_actions_share_def'`)).length, 1);
  } finally {
    await es.close();
  }
});
