import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';

// The segments API on a real server with its background loops: preview, saved segments, members,
// entries / exits as events arrive, history, bad rules, cycles, merges.

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

let n = 0;
const now = () => new Date().toISOString();
const send = async (batch: unknown[]) => {
  const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: { batch } });
  assert.equal(r.statusCode, 200, r.body);
};
const order = (who: Record<string, string>, total: number, category = '美妆') => ({
  type: 'track', event: 'Order Completed', ...who, messageId: `seg-${++n}`, timestamp: now(),
  properties: { order_id: `so-${n}`, total, products: [{ product_id: `p${n}`, category, price: total, quantity: 1 }] },
});
// Response bodies are read loosely (JSON of several shapes).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
  const r = await t.app.fastify.inject({ method, url, headers: { authorization: bearer() }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: r.statusCode, body: r.body ? (r.json() as Json) : {} };
};
async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const BIG = { trait: 'gmv', op: 'gt', value: 100 };

test('preview, saved segment, members, entries as events arrive, history, bad rules, cycles, delete', async () => {
  await send([
    order({ userId: 'alice' }, 150), order({ userId: 'alice' }, 200), order({ userId: 'bob' }, 50, '服装'),
    { type: 'identify', userId: 'alice', messageId: `seg-${++n}`, timestamp: now(), traits: { city: '上海' } },
    { type: 'track', event: 'Friend Added', userId: 'alice', messageId: `seg-${++n}`, timestamp: now(), properties: { friend_id: 'bob' } },
  ]);
  const pv = await until('traits of both buyers', async () => {
    const r = await api('POST', '/api/v1/segments/preview', { rule: { trait: 'orders', op: 'gte', value: 1 }, sample: 5 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.count === 2 ? r.body : null;
  });
  assert.equal(pv.sample.length, 2);
  assert.ok(typeof pv.tookMs === 'number');

  // The example, and a rule mixing traits, events, identify traits and the social graph.
  const beauty = { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: '美妆' }], count: { op: 'gte', value: 2 }, sum: { property: 'total', op: 'gt', value: 300 }, within: { days: 30 } };
  let r = await api('POST', '/api/v1/segments/preview', { rule: beauty });
  assert.equal(r.body.count, 1);
  assert.equal(r.body.sample[0].userId, 'alice');
  r = await api('POST', '/api/v1/segments/preview', { rule: { all: [{ trait: 'traits.city', op: 'eq', value: '上海' }, { event: 'Order Completed', within: { days: 7 } }] } });
  assert.equal(r.body.count, 1);
  r = await api('POST', '/api/v1/segments/preview', { rule: { social: 'friend_of', of: { userId: 'alice' } }, sample: 1 });
  assert.deepEqual([r.body.count, r.body.sample[0].userId], [1, 'bob']);

  // Bad rules: 400, a code, the path in the rule.
  r = await api('POST', '/api/v1/segments/preview', { rule: { all: [BIG, { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 'lots' }] }] } });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'RULE_INVALID');
  assert.equal(r.body.error.details[0].path, 'rule.all[1].where[0].value');
  r = await api('POST', '/api/v1/segments/preview', { rule: { trait: 'favouriteColour', op: 'eq', value: 'red' } });
  assert.deepEqual([r.status, r.body.error.code, r.body.error.details[0].path], [400, 'RULE_INVALID', 'rule.trait']);
  r = await api('POST', '/api/v1/segments/preview', { rule: { any: [1, 2, 3, 4].map(() => ({ social: 'near_kol', hops: 3 })) } });
  assert.deepEqual([r.status, r.body.error.code], [400, 'RULE_TOO_COSTLY']);
  r = await api('POST', '/api/v1/segments/preview', { rule: BIG, sample: 1000 });
  assert.deepEqual([r.status, r.body.error.code, r.body.error.details[0].path], [400, 'VALIDATION_FAILED', 'body.sample']);

  // A saved segment: materialised at once.
  r = await api('POST', '/api/v1/segments', { name: 'Big spenders', rule: BIG });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const seg = r.body;
  assert.equal(seg.size, 1);
  r = await api('POST', '/api/v1/segments', { name: 'Big spenders', rule: BIG });
  assert.deepEqual([r.status, r.body.error.code], [409, 'CONFLICT']);
  r = await api('POST', '/api/v1/segments', { name: 'x', rule: { trait: 'gmv', op: 'gt' } });
  assert.deepEqual([r.status, r.body.error.code, r.body.error.details[0].path], [400, 'RULE_INVALID', 'rule.value']);
  r = await api('GET', `/api/v1/segments/${seg.id}/members`);
  assert.deepEqual(r.body.members.map((m: { userId: string }) => m.userId), ['alice']);

  // Bob's new order: he enters as the event arrives (background refresh after the traits pass).
  await send([order({ userId: 'bob' }, 500)]);
  const members = await until('bob to enter', async () => {
    const m = await api('GET', `/api/v1/segments/${seg.id}/members?limit=1`);
    return m.body.size === 2 ? m.body : null;
  });
  assert.equal(members.members.length, 1);
  assert.ok(members.nextCursor);
  const page2 = await api('GET', `/api/v1/segments/${seg.id}/members?limit=1&cursor=${encodeURIComponent(members.nextCursor)}`);
  assert.equal(page2.body.members.length, 1);
  assert.equal(page2.body.nextCursor, null);
  const changes = await api('GET', `/api/v1/segments/${seg.id}/changes`);
  assert.deepEqual(changes.body.changes.map((c: { change: string }) => c.change), ['enter', 'enter']);
  assert.ok(changes.body.changes.every((c: { at: string }) => Date.parse(c.at) > 0));
  const history = await api('GET', `/api/v1/segments/${seg.id}/history`);
  assert.ok(history.body.points.length >= 2);
  assert.equal(history.body.points.at(-1).size, 2);

  // Patch to a stricter rule: bob exits (reason rule).
  r = await api('PATCH', `/api/v1/segments/${seg.id}`, { rule: { trait: 'gmv', op: 'gt', value: 400 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.size, 1);
  const ch = (await api('GET', `/api/v1/segments/${seg.id}/changes`)).body.changes;
  assert.deepEqual(ch.at(-1).change, 'exit');
  assert.deepEqual(ch.at(-1).reason, 'rule');

  // References and cycles.
  r = await api('POST', '/api/v1/segments', { name: 'Friends of big spenders', rule: { any: [{ segment: seg.id }, { social: 'friend_of', of: { segment: seg.id } }] } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const friends = r.body;
  r = await api('PATCH', `/api/v1/segments/${seg.id}`, { rule: { all: [BIG, { segment: friends.id }] } });
  assert.deepEqual([r.status, r.body.error.code, r.body.error.details[0].path], [400, 'RULE_CYCLE', 'rule.all[1].segment.any[0].segment']);
  r = await api('DELETE', `/api/v1/segments/${seg.id}`);
  assert.deepEqual([r.status, r.body.error.code], [409, 'CONFLICT']);
  r = await api('DELETE', `/api/v1/segments/${friends.id}`);
  assert.equal(r.status, 204);
  assert.equal((await api('GET', `/api/v1/segments/${friends.id}`)).status, 404);
  assert.equal((await api('GET', '/api/v1/segments')).body.segments.length, 1);
});

test('a merge: the merged-away profile exits with reason "gone", the person stays a member once', async () => {
  const r = await api('POST', '/api/v1/segments', { name: 'Beauty buyers', rule: { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: '美妆' }] }, refreshMinutes: 1 });
  assert.equal(r.status, 201);
  const seg = r.body;
  const size0 = seg.size as number;
  // Two profiles buy (an anonymous visitor and a signed-in user), then turn out to be one person.
  await send([order({ anonymousId: 'anon-m' }, 80), order({ userId: 'merge-user' }, 90)]);
  await until('both buyers', async () => ((await api('GET', `/api/v1/segments/${seg.id}`)).body.size === size0 + 2 ? true : null));
  await send([{ type: 'identify', userId: 'merge-user', anonymousId: 'anon-m', messageId: `seg-${++n}`, timestamp: now(), traits: {} }]);
  const gone = await until('the merge to show', async () => {
    const c = (await api('GET', `/api/v1/segments/${seg.id}/changes`)).body.changes as Array<{ change: string; reason: string; profileId: string }>;
    return c.find((x) => x.reason === 'gone') ?? null;
  });
  assert.equal(gone.change, 'exit');
  const m = (await api('GET', `/api/v1/segments/${seg.id}/members`)).body.members as Array<{ userId: string | null }>;
  assert.equal(m.filter((x) => x.userId === 'merge-user').length, 1);
  assert.equal(m.length, size0 + 1);
});
