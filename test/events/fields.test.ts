import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { appendEvents, migrateEventStore, FIELD_NAMES, FIELD_PATHS } from '../../src/modules/events/index.ts';

// event_fields (src/modules/events/fields.ts): the properties extracted in TypeScript at append
// must be the text DuckDB's json_extract_string gives for the stored body, for any value: the
// traits' full recompute reads the column, an incremental pass parses the body, and the two must agree.

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

test('fields written at append equal json_extract_string of the stored body, for random values of every JSON kind', async () => {
  const rnd = rng(7);
  const strs = ['', 'x', '美妆', 'a"b', 'back\\slash', 'nl\n', 'tab\t', '\u0001ctl', '\u007f', '\u2028ls', 'emoji😀', '/slash', "'q'", 'share_id', 'e+5', '  padded '];
  const nums = [0, -0, 1, -1, 1.5, 0.1, 1e21, 1e-7, 123456789012345680000, 2.5e-300, 1.7976931348623157e308, 2 ** 53 + 2, 5e-324, -12.75, 1e16, 3.14159, 100, 1e100];
  const val = (d: number): unknown => {
    const k = rnd(d > 2 ? 5 : 7);
    if (k === 0) return strs[rnd(strs.length)];
    if (k === 1) return nums[rnd(nums.length)];
    if (k === 2) return [true, false, null][rnd(3)];
    if (k === 3) return rnd(2) ? strs[rnd(strs.length)] : nums[rnd(nums.length)];
    if (k === 4) return undefined;
    if (k === 5) return Array.from({ length: rnd(3) }, () => val(d + 1));
    return Object.fromEntries(Array.from({ length: rnd(3) }, (_, i) => [[`k${i}`, '2', 'a b', '美'][rnd(4)]!, val(d + 1)]));
  };
  const keys = ['order_id', 'total', 'revenue', 'coupon', 'discount', 'category', 'brand', 'share_id', 'parent_share_id', 'followee_id', 'friend_id', 'inviter_id', 'invite_id', 'other'];
  const events = Array.from({ length: 1500 }, (_, i) => {
    // Properties as an object of random members, sometimes not an object at all (no member then).
    const properties = rnd(10) ? Object.fromEntries(keys.filter(() => rnd(3) === 0).map((k) => [k, val(0)])) : [val(0)];
    const body: Record<string, unknown> = {
      type: ['track', 'page', 'identify'][rnd(3)], event: rnd(5) ? `E${rnd(3)}` : undefined, messageId: `m${i}`, userId: rnd(3) ? `u${rnd(50)}` : '', anonymousId: rnd(2) ? `a${rnd(50)}` : undefined,
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), receivedAt: '2026-02-01T00:00:00.000Z', properties,
    };
    if (rnd(3) === 0) body.context = rnd(4) ? { campaign: rnd(3) ? { share_id: val(0) } : val(0) } : val(0);
    return { seq: i + 1, workspaceId: 'w', body: body as never };
  });
  const es = await openEventStoreDb(undefined);
  try {
    await migrateEventStore(es);
    await appendEvents(es, events);
    const paths = `[${FIELD_NAMES.map((k) => `'${FIELD_PATHS[k]}'`).join(', ')}]`;
    const rows = await es.read<Record<string, unknown>>(
      `select f.*, x.mentions as want_mentions, x.type as want_type, x.event as want_event, x.user_id as want_user, x.anonymous_id as want_anon,
              x.ts = f.ts and x.message_id = f.message_id as same_cols, x.props as want
       from event_fields f join (select seq, type, event, user_id, anonymous_id, ts, message_id, strpos(body::varchar, 'share_id') > 0 as mentions,
                                        json_extract_string(body, ${paths}) as props from events) x using (seq)
       order by seq`);
    assert.equal(rows.length, events.length, 'one row per event');
    let differ = 0;
    for (const r of rows) {
      const got = FIELD_NAMES.map((k) => r[k]);
      const ok = JSON.stringify(got) === JSON.stringify(r.want) && r.mentions_share === r.want_mentions && r.same_cols === true
        && r.type === r.want_type && r.event === r.want_event && r.user_id === r.want_user && r.anonymous_id === r.want_anon;
      if (!ok && differ++ < 5) assert.fail(`seq ${r.seq}: fields ${JSON.stringify(got)} vs body ${JSON.stringify(r.want)}`);
    }
    // The sample exercises what it is meant to: nested values, numbers, share mentions.
    assert.ok(rows.some((r) => typeof r.total === 'string' && (r.total as string).startsWith('{')));
    assert.ok(rows.some((r) => r.total === '1e21'));
    assert.ok(rows.some((r) => r.mentions_share === true) && rows.some((r) => r.mentions_share === false));
    assert.ok(rows.some((r) => r.campaign_share_id !== null));
  } finally {
    await es.close();
  }
});

test('an append that fails mid-batch leaves no rows behind, now or in a later append', async () => {
  const es = await openEventStoreDb(undefined);
  try {
    await migrateEventStore(es);
    const ev = (seq: number, timestamp: string) => ({
      seq, workspaceId: 'w',
      body: { type: 'track', event: 'Order Completed', messageId: `m${seq}`, userId: 'u1', timestamp, receivedAt: '2026-02-01T00:00:00.000Z', properties: { order_id: `o${seq}`, products: [{ product_id: 'p', price: 1, quantity: 1 }] } } as never,
    });
    // The second event's time cannot be stored: the whole batch fails after the first one's rows were appended.
    await assert.rejects(appendEvents(es, [ev(1, '2026-01-01T00:00:00.000Z'), ev(2, 'not a time')]));
    await appendEvents(es, [ev(3, '2026-01-02T00:00:00.000Z')]);
    const n = await es.read<{ t: string; n: number }>(
      `select 'events' as t, count(*)::integer as n from events union all select 'event_fields', count(*)::integer from event_fields
       union all select 'order_lines', count(*)::integer from order_lines order by 1`);
    assert.deepEqual(n.map((x) => [x.t, x.n]), [['event_fields', 1], ['events', 1], ['order_lines', 1]]);
    assert.deepEqual((await es.read<{ seq: number }>('select seq from events')).map((x) => x.seq), [3]);
  } finally {
    await es.close();
  }
});
