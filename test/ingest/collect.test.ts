import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  t.app.fastify.inject({ method: 'POST', url, payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: basic(), ...headers } });

test('a batch is acknowledged, stored once, and a replay stores nothing new', async () => {
  const batch = { batch: [1, 2, 3].map((i) => ({ type: 'track', event: 'Product Viewed', userId: 'u1', messageId: `m-${i}`, properties: { product_id: 'p1' } })) };
  const r1 = await post('/v1/batch', batch);
  assert.equal(r1.statusCode, 200);
  const r2 = await post('/v1/batch', batch);
  assert.equal(r2.statusCode, 200);
  assert.equal(await countStoredIds(t.engine.op, 'default'), 3);
});

test('gzip bodies are accepted; corrupt gzip is a 400 BAD_ENCODING', async () => {
  const body = zlib.gzipSync(JSON.stringify({ batch: [{ type: 'identify', userId: 'u-gz', messageId: 'gz-1', traits: { name: 'Gz' } }] }));
  const ok = await post('/v1/batch', body, { 'content-encoding': 'gzip' });
  assert.equal(ok.statusCode, 200);
  const bad = await post('/v1/batch', Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'BAD_ENCODING');
});

test('a bad event names its batch index and field, and nothing from the request is stored', async () => {
  const before = await countStoredIds(t.engine.op, 'default');
  const r = await post('/v1/batch', { batch: [
    { type: 'track', event: 'Ok', userId: 'u2', messageId: 'bad-0' },
    { type: 'track', userId: 'u2', messageId: 'bad-1' },
  ] });
  assert.equal(r.statusCode, 400);
  const err = r.json().error;
  assert.equal(err.code, 'VALIDATION_FAILED');
  assert.equal(err.details[0].index, 1);
  assert.equal(err.details[0].path, 'batch.1.event');
  assert.equal(await countStoredIds(t.engine.op, 'default'), before);
});

test('an order amount that is not a finite number within ±1e9 is refused with its path; other events keep any number', async () => {
  const before = await countStoredIds(t.engine.op, 'default');
  const order = (messageId: string, properties: Record<string, unknown>) => ({ type: 'track', event: 'Order Completed', userId: 'u9', messageId, properties });
  const cases: Array<[Record<string, unknown>, string]> = [
    [order('amt-1', { order_id: 'o1', total: 'NaN' }), 'batch.0.properties.total'],
    [order('amt-2', { order_id: 'o2', revenue: 1e10 }), 'batch.0.properties.revenue'],
    [order('amt-3', { order_id: 'o3', total: ' -Infinity ' }), 'batch.0.properties.total'],
    [order('amt-4', { order_id: 'o4', products: [{ price: 1 }, { price: '2e9' }] }), 'batch.0.properties.products.1.price'],
    [order('amt-5', { order_id: 'o5', products: [{ price: 9e8, quantity: 2 }] }), 'batch.0.properties.products'],
    [{ ...order('amt-6', { order_id: 'o1', total: 1e12 }), event: 'Order Refunded' }, 'batch.0.properties.total'],
  ];
  for (const [m, path] of cases) {
    const r = await post('/v1/batch', { batch: [m] });
    assert.equal(r.statusCode, 400, JSON.stringify(m));
    const err = r.json().error;
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.equal(err.details[0].path, path);
    assert.match(err.details[0].message, /1,000,000,000/);
  }
  assert.equal(await countStoredIds(t.engine.op, 'default'), before);
  const ok = await post('/v1/batch', { batch: [
    order('amt-ok-1', { order_id: 'o6', total: '999999999.99', products: [{ price: 'abc' }, { price: 5e8, quantity: 2 }] }),
    { type: 'track', event: 'Search Results', userId: 'u9', messageId: 'amt-ok-2', properties: { total: 1e15 } },
  ] });
  assert.equal(ok.statusCode, 200);
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + 2);
});

test('a 32 KB + 1 event and a 500 KB + 1 batch are refused with their index', async () => {
  const big = { type: 'track', event: 'Big', userId: 'u3', messageId: 'big-1', properties: { s: '' } };
  const base = Buffer.byteLength(JSON.stringify(big));
  big.properties.s = 'x'.repeat(32 * 1024 + 1 - base);
  assert.equal(Buffer.byteLength(JSON.stringify(big)), 32 * 1024 + 1);
  const r = await post('/v1/batch', { batch: [{ type: 'track', event: 'Small', userId: 'u3', messageId: 'small-1' }, big] });
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().error.code, 'EVENT_TOO_LARGE');
  assert.equal(r.json().error.details.index, 1);

  const items = Array.from({ length: 20 }, (_, i) => ({ type: 'track', event: 'Fill', userId: 'u3', messageId: `fill-${i}`, properties: { s: 'y'.repeat(26 * 1024) } }));
  const body = JSON.stringify({ batch: items });
  assert.ok(Buffer.byteLength(body) > 500 * 1024);
  const r2 = await post('/v1/batch', body);
  assert.equal(r2.statusCode, 400);
  assert.equal(r2.json().error.code, 'BATCH_TOO_LARGE');
  assert.equal(typeof r2.json().error.details.index, 'number');
  assert.equal(await countStoredIds(t.engine.op, 'default') >= 0, true);
  const stored = await t.engine.op.query<{ n: number }>(`select count(*) as n from event_ids where message_id like 'fill-%' or message_id in ('small-1', 'big-1')`);
  assert.equal(Number(stored.rows[0]!.n), 0);
});

test('missing or unknown write key is 401 with a coded error', async () => {
  const r = await post('/v1/track', { event: 'X', userId: 'u' }, { authorization: '' });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().error.code, 'UNAUTHENTICATED');
  const r2 = await post('/v1/track', { event: 'X', userId: 'u' }, { authorization: basic('lb_wk_nope') });
  assert.equal(r2.statusCode, 401);
});

test('clock skew is corrected from sentAt and receivedAt is recorded', async () => {
  const r = await post('/v1/track', { event: 'Skewed', userId: 'u-skew', messageId: 'skew-1', timestamp: '2020-01-01T00:00:00.000Z', sentAt: '2020-01-01T00:00:10.000Z' });
  assert.equal(r.statusCode, 200);
  const row = await t.engine.op.query<{ body: string }>(`select l as body from event_outbox_bodies, unnest(string_to_array(body, E'\\n')) as l where l::jsonb->>'messageId' = 'skew-1'`);
  const b = JSON.parse(row.rows[0]!.body) as { timestamp: string; receivedAt: string; originalTimestamp: string };
  assert.equal(b.originalTimestamp, '2020-01-01T00:00:00.000Z');
  assert.equal(Date.parse(b.receivedAt) - Date.parse(b.timestamp), 10_000);
});

test('identify merges anonymous history into the known user and the API shows it', async () => {
  await post('/v1/batch', { batch: [
    { type: 'page', anonymousId: 'anon-merge', messageId: 'mg-1', name: 'Home', timestamp: '2026-01-01T00:00:00Z' },
    { type: 'track', anonymousId: 'anon-merge', event: 'Product Viewed', messageId: 'mg-2', properties: { product_id: 'sku-9', name: '口红', category: '美妆', price: 99 }, timestamp: '2026-01-01T00:01:00Z' },
    { type: 'identify', anonymousId: 'anon-merge', userId: 'alice', messageId: 'mg-3', traits: { email: 'Alice@Example.com', name: 'Alice' }, timestamp: '2026-01-01T00:02:00Z' },
  ] });
  assert.ok(await t.engine.workers.waitIdle(30_000));
  const r = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/users/lookup?value=alice', headers: { authorization: bearer() } });
  assert.equal(r.statusCode, 200);
  const u = r.json();
  const kinds = u.identities.map((i: { kind: string; value: string }) => `${i.kind}=${i.value}`).sort();
  assert.deepEqual(kinds, ['anonymous_id=anon-merge', 'email=alice@example.com', 'user_id=alice']);
  assert.equal(u.timeline.length, 3);
  const p = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/products/sku-9', headers: { authorization: bearer() } });
  assert.equal(p.json().category, '美妆');
});
