import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, basic, bearer, ADMIN_PASSWORD } from '../helpers/engine.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp({ env: { LIEBIAN_RATE_LIMIT_EPS: '1000', LIEBIAN_LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
});
after(async () => {
  await t.close();
});

const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, auth = bearer()) =>
  t.app.fastify.inject({ method, url, ...(body !== undefined ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: auth } } : { headers: { authorization: auth } }) });
const track = (batch: unknown[]) => t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: JSON.stringify({ batch }), headers: { 'content-type': 'application/json', authorization: basic() } });

test('health, readiness and Prometheus metrics', async () => {
  assert.equal((await inject('GET', '/healthz')).statusCode, 200);
  const ready = await inject('GET', '/readyz');
  assert.equal(ready.statusCode, 200);
  assert.equal(ready.json().stores.operational, 'pglite');
  await track([{ type: 'track', event: 'Metric', userId: 'm1', messageId: 'metric-1' }]);
  const m = await inject('GET', '/metrics');
  assert.match(m.body, /liebian_events_acknowledged_total 1/);
  assert.match(m.body, /liebian_outbox_backlog\{consumer="projector"\}/);
});

test('over the workspace rate: 429 with Retry-After, and nothing from that request stored', async () => {
  const before = await countStoredIds(t.engine.op, 'default');
  const big = Array.from({ length: 400 }, (_, i) => ({ type: 'track', event: 'Burst', userId: 'rl', messageId: `rl-${i}` }));
  const codes: number[] = [];
  let limited;
  for (let k = 0; k < 5; k++) {
    const r = await track(big.map((e) => ({ ...e, messageId: `${e.messageId}-${k}` })));
    codes.push(r.statusCode);
    if (r.statusCode === 429) limited = r;
  }
  assert.ok(limited, `expected a 429 among ${codes}`);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal(limited.json().error.code, 'RATE_LIMITED');
  const accepted = codes.filter((c) => c === 200).length;
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + accepted * 400);
});

test('a store that cannot commit answers 503 with Retry-After, never 2xx', async () => {
  // Transactions fail, and so does the writer's single-statement commit (event_ids / event_outbox).
  const original = t.engine.op.tx;
  const originalQuery = t.engine.op.query;
  t.engine.op.tx = async () => {
    throw new Error('connection terminated');
  };
  t.engine.op.query = async (sql, params) => {
    if (/event_ids|event_outbox/.test(sql)) throw new Error('connection terminated');
    return originalQuery(sql, params);
  };
  try {
    await new Promise((r) => setTimeout(r, 1100));
    const r = await track([{ type: 'track', event: 'Down', userId: 'd', messageId: 'down-1' }]);
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().error.code, 'STORE_UNAVAILABLE');
    assert.ok(r.headers['retry-after']);
  } finally {
    t.engine.op.tx = original;
    t.engine.op.query = originalQuery;
  }
  const again = await track([{ type: 'track', event: 'Down', userId: 'd', messageId: 'down-1' }]);
  assert.equal(again.statusCode, 200);
});

test('console login, wrong password, session use and logout', async () => {
  const bad = await inject('POST', '/api/v1/auth/login', { email: 'admin@liebian.local', password: 'nope' });
  assert.equal(bad.statusCode, 401);
  const invalid = await inject('POST', '/api/v1/auth/login', { email: 'not-an-email', password: 'x' });
  assert.equal(invalid.statusCode, 400);
  assert.equal(invalid.json().error.details[0].path, 'body.email');
  const ok = await inject('POST', '/api/v1/auth/login', { email: 'admin@liebian.local', password: ADMIN_PASSWORD });
  assert.equal(ok.statusCode, 200);
  const token = ok.json().token as string;
  const me = await inject('GET', '/api/v1/auth/me', undefined, `Bearer ${token}`);
  assert.equal(me.json().role, 'admin');
  await inject('POST', '/api/v1/auth/logout', {}, `Bearer ${token}`);
  assert.equal((await inject('GET', '/api/v1/auth/me', undefined, `Bearer ${token}`)).statusCode, 401);
});

test('keys: created keys work, revoked keys stop within 5 s, plaintext is never stored', async () => {
  const created = await inject('POST', '/api/v1/keys', { kind: 'write', label: 'shop-web' });
  assert.equal(created.statusCode, 200);
  const key = created.json().key as string;
  assert.match(key, /^lb_wk_[A-Za-z0-9_-]{43}$/);
  assert.equal((await track.call(null, [])).statusCode, 200);
  const send = () => t.app.fastify.inject({ method: 'POST', url: '/v1/track', payload: JSON.stringify({ event: 'K', userId: 'k' }), headers: { 'content-type': 'application/json', authorization: basic(key) } });
  assert.equal((await send()).statusCode, 200);
  const dump = await t.engine.op.query<{ hash: string; prefix: string }>('select hash, prefix from api_keys');
  assert.ok(dump.rows.every((r) => r.hash !== key && !r.hash.includes(key)));
  const revoked = await inject('DELETE', `/api/v1/keys/${created.json().id}`);
  assert.equal(revoked.statusCode, 200);
  const t0 = Date.now();
  while ((await send()).statusCode === 200) {
    assert.ok(Date.now() - t0 < 5000, 'a revoked key still works after 5 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await send()).statusCode, 401);
  assert.equal((await inject('DELETE', `/api/v1/keys/${created.json().id}`)).statusCode, 404);
});

test('catalog API: upsert, read, page, and bad input named', async () => {
  const put = await inject('PUT', '/api/v1/products', { products: [{ product_id: 'api-1', name: '保湿面霜', category: '美妆', brand: '花西子', price: 129, stock: 5, tags: ['新品'] }] });
  assert.equal(put.statusCode, 200);
  const got = await inject('GET', '/api/v1/products/api-1');
  assert.equal(got.json().brand, '花西子');
  const bad = await inject('PUT', '/api/v1/products', { products: [{ product_id: 'api-2', price: -3 }] });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.details[0].path, 'body.products.0.price');
  assert.equal((await inject('GET', '/api/v1/products/nope')).statusCode, 404);
  assert.equal((await inject('GET', '/api/v1/products?limit=0')).statusCode, 400);
});

test('an over-long id in the path gets the coded 400 naming the parameter, not the router\'s 414', async () => {
  const long = 'x'.repeat(300);
  for (const url of [`/api/v1/users/${long}/traits`, `/api/v1/products/${long}`]) {
    const r = await inject('GET', url);
    assert.equal(r.statusCode, 400, url);
    assert.equal(r.json().error.code, 'VALIDATION_FAILED');
    assert.match(r.json().error.details[0].path, /^params\./);
  }
});

test('share cascades and un-merge over the API', async () => {
  await track([
    { type: 'identify', userId: 'bob', messageId: 'sc-0', traits: { name: 'Bob (app)' }, timestamp: '2026-03-01T09:00:00Z' },
    { type: 'track', event: 'Product Shared', userId: 'alice', messageId: 'sc-1', properties: { share_id: 'share-root-1', product_id: 'api-1' }, timestamp: '2026-03-01T10:00:00Z' },
    { type: 'page', anonymousId: 'visitor-b', messageId: 'sc-2', name: 'Landing', context: { campaign: { share_id: 'share-root-1' } }, timestamp: '2026-03-01T10:05:00Z' },
    { type: 'identify', anonymousId: 'visitor-b', userId: 'bob', messageId: 'sc-3', traits: { name: 'Bob' }, timestamp: '2026-03-01T10:06:00Z' },
    { type: 'track', event: 'Product Shared', userId: 'bob', messageId: 'sc-4', properties: { share_id: 'share-child-1', parent_share_id: 'share-root-1', product_id: 'api-1' }, timestamp: '2026-03-01T11:00:00Z' },
    { type: 'track', event: 'Share Link Opened', anonymousId: 'visitor-c', messageId: 'sc-5', properties: { share_id: 'share-child-1' }, timestamp: '2026-03-01T12:00:00Z' },
    { type: 'track', event: 'Order Completed', anonymousId: 'visitor-c', messageId: 'sc-6', properties: { order_id: 'o-c-1', total: 258, products: [{ product_id: 'api-1', price: 129, quantity: 2 }] }, timestamp: '2026-03-01T12:10:00Z' },
    { type: 'track', event: 'Order Completed', userId: 'bob', messageId: 'sc-7', properties: { order_id: 'o-b-1', total: 129, products: [{ product_id: 'api-1', price: 129, quantity: 1 }] }, timestamp: '2026-03-01T10:30:00Z' },
  ]);
  assert.ok(await t.engine.workers.waitIdle(30_000));
  const c = await inject('GET', '/api/v1/shares/share-child-1/cascade');
  assert.equal(c.statusCode, 200);
  const tree = c.json();
  assert.equal(tree.root.shareId, 'share-root-1');
  assert.equal(tree.generations, 2);
  assert.equal(tree.root.orders, 1, "Bob's own order came through Alice's share");
  assert.equal(tree.root.children[0].shareId, 'share-child-1');
  assert.equal(tree.root.children[0].orders, 1, "C's order came through Bob's re-share");
  assert.equal(tree.root.downstreamGmv, 387);

  const bob = (await inject('GET', '/api/v1/users/lookup?value=bob')).json();
  const merge = bob.merges.find((m: { undoneAt: string | null }) => !m.undoneAt);
  assert.ok(merge, 'identify merged the visitor into bob');
  assert.match(merge.cause, /identify/);
  const undo = await inject('POST', `/api/v1/identity/merges/${merge.id}/undo`, {});
  assert.equal(undo.statusCode, 200);
  const afterRes = await inject('GET', '/api/v1/users/lookup?value=bob');
  assert.equal(afterRes.statusCode, 200, afterRes.body);
  const after = afterRes.json();
  assert.ok(!after.identities.some((i: { value: string }) => i.value === 'visitor-b'));
  const visitor = (await inject('GET', '/api/v1/users/lookup?kind=anonymous_id&value=visitor-b')).json();
  assert.notEqual(visitor.profileId, after.profileId);
  assert.ok(visitor.timeline.some((e: { messageId: string }) => e.messageId === 'sc-2'), 'the visit stays with the visitor');
  assert.equal((await inject('POST', `/api/v1/identity/merges/${merge.id}/undo`, {})).statusCode, 404);
});

test('every API route refuses a missing or unknown key, and unknown routes are coded 404s', async () => {
  for (const url of ['/api/v1/overview', '/api/v1/events/recent', '/api/v1/users/search?q=a', '/api/v1/products', '/api/v1/keys']) {
    const r = await inject('GET', url, undefined, '');
    assert.equal(r.statusCode, 401, url);
    assert.equal(r.json().error.code, 'UNAUTHENTICATED');
    assert.equal((await inject('GET', url, undefined, 'Bearer lb_sk_unknown')).statusCode, 401);
  }
  const nf = await inject('GET', '/api/v1/nope');
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.code, 'NOT_FOUND');
});
