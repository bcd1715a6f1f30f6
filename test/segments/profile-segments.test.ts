import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';

// GET /api/v1/users/:profileId/segments: the saved segments a person is in (User 360).

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

let n = 0;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
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
const order = (userId: string, total: number) => ({
  type: 'track', event: 'Order Completed', userId, messageId: `ps-${++n}`, timestamp: new Date().toISOString(),
  properties: { order_id: `pso-${n}`, total, products: [{ product_id: `p${n}`, category: '美妆', price: total, quantity: 1 }] },
});
const profileOf = async (userId: string) => {
  const r = await api('GET', `/api/v1/users/search?q=${userId}`);
  return (r.body.users as Json[]).find((u) => u.userId === userId)!.profileId as string;
};

test("a person's saved segments; unknown profile 404; over-long id 4xx", async () => {
  const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: { batch: [order('ann', 500), order('ben', 20)] } });
  assert.equal(r.statusCode, 200, r.body);
  await until('traits of both buyers', async () => {
    const p = await api('POST', '/api/v1/segments/preview', { rule: { trait: 'orders', op: 'gte', value: 1 } });
    return p.body.count === 2;
  });

  const big = await api('POST', '/api/v1/segments', { name: 'Big spenders', rule: { trait: 'gmv', op: 'gt', value: 100 } });
  assert.equal(big.status, 201, JSON.stringify(big.body));
  const all = await api('POST', '/api/v1/segments', { name: 'All buyers', rule: { trait: 'orders', op: 'gte', value: 1 } });
  assert.equal(all.status, 201, JSON.stringify(all.body));
  await until('both segments refreshed', async () => {
    const l = await api('GET', '/api/v1/segments');
    return (l.body.segments as Json[]).every((s) => s.size !== null);
  });

  const ann = await profileOf('ann');
  const ben = await profileOf('ben');
  const a = await api('GET', `/api/v1/users/${ann}/segments`);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.profileId, ann);
  assert.deepEqual(a.body.segments.map((s: Json) => s.name), ['All buyers', 'Big spenders']);
  assert.equal(a.body.segments[1].id, big.body.id);
  const b = await api('GET', `/api/v1/users/${ben}/segments`);
  assert.deepEqual(b.body.segments.map((s: Json) => s.name), ['All buyers']);

  const missing = await api('GET', '/api/v1/users/p_nobody/segments');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'NOT_FOUND');
  // An over-long id is refused before the handler (the router's parameter limit answers 414).
  const bad = await api('GET', `/api/v1/users/${'x'.repeat(201)}/segments`);
  assert.ok(bad.status >= 400 && bad.status < 500, String(bad.status));
});
