import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { changesPage, getSegment, sizeHistory } from '../../src/modules/segments/index.ts';
import { saveSegment, segmentsStep } from '../../src/flows/segments-refresh.ts';
import { loadWorld, openTestStores, type Stores } from './world.ts';

// The refresh loop's decisions: nothing due right after a save; due once the traits moved on (after
// the minimum interval) or the schedule passed; entries, exits (rule / gone) and sizes recorded.

const NOW = Date.parse('2026-04-01T00:00:00Z');
let s: Stores;
let ws: string;
before(async () => {
  s = await openTestStores();
  ws = await loadWorld(s, {
    now: NOW,
    profiles: [1, 2, 3].map((i) => ({ profileId: `p${i}`, userId: `u${i}`, anonymousIds: [], traits: { userId: `u${i}`, orders: i } })),
    events: [],
    edges: [],
  }, '2026-03-31');
});
after(async () => s.close());

const step = () => segmentsStep(s.op, s.es, { checkEveryMs: 0, minEventIntervalMs: 0, maxDutyCycle: 1 });

test('refresh as traits move on, on schedule, with entries, exits and sizes', async () => {
  const seg = await saveSegment(s.op, s.es, ws, { name: 'two or more', rule: { trait: 'orders', op: 'gte', value: 2 } });
  assert.equal(seg.size, 2);
  assert.equal(await step(), 0, 'just refreshed: nothing due');

  // A traits pass changes p1 (now 5 orders) and removes p3 (merged away), and moves the cursor.
  await s.es.write(async (c) => {
    await c.run(`update computed_traits set orders = 5 where workspace_id = $1 and profile_id = 'p1'`, [ws]);
    await c.run(`delete from computed_traits where workspace_id = $1 and profile_id = 'p3'`, [ws]);
    await c.run('delete from traits_cursor');
    await c.run('insert into traits_cursor values (100)');
  });
  assert.equal(await step(), 1);
  const after1 = (await getSegment(s.op, ws, seg.id))!;
  assert.equal(after1.size, 2);
  assert.equal(after1.refreshedSeq, 100);
  const ch = (await changesPage(s.es, ws, seg.id, null, 100)).changes.map((c) => [c.profileId, c.change, c.reason]);
  assert.deepEqual(ch, [['p2', 'enter', 'rule'], ['p3', 'enter', 'rule'], ['p1', 'enter', 'rule'], ['p3', 'exit', 'gone']]);
  assert.equal(await step(), 0, 'the cursor has not moved since');

  // The schedule: refreshMinutes passed.
  await s.op.query(`update segments set refreshed_at = now() - interval '61 minutes' where id = $1`, [seg.id]);
  assert.equal(await step(), 1);
  const h = await sizeHistory(s.es, ws, seg.id);
  assert.deepEqual(h.map((x) => [x.size, x.entered, x.exited]), [[2, 2, 0], [2, 1, 1], [2, 0, 0]]);
});
