import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';
import { withSearchPath } from '../helpers/stores.ts';

// DATABASE_URL switches the operational store to a real PostgreSQL with no other change.
const PG_URL = process.env.DATABASE_URL_TEST;
const schema = `liebian_app_${randomBytes(5).toString('hex')}`;
let admin: pg.Pool;
let t: Awaited<ReturnType<typeof startTestApp>>;

before(async () => {
  if (!PG_URL) return;
  admin = new pg.Pool({ connectionString: PG_URL });
  await admin.query(`create schema ${schema}`);
  t = await startTestApp({ databaseUrl: withSearchPath(PG_URL, schema) });
});
after(async () => {
  if (!PG_URL) return;
  await t?.close();
  await admin.query(`drop schema if exists ${schema} cascade`);
  await admin.end();
});

test('the server on PostgreSQL: collect, dedupe, resolve identity, read back', { skip: PG_URL ? false : 'no PostgreSQL (set DATABASE_URL_TEST)' }, async () => {
  assert.equal(t.engine.op.kind, 'postgres');
  const batch = { batch: [
    { type: 'page', anonymousId: 'pg-anon', messageId: 'pg-1', name: 'Home', timestamp: '2026-05-01T00:00:00Z' },
    { type: 'identify', anonymousId: 'pg-anon', userId: 'pg-user', messageId: 'pg-2', traits: { phone: '+86 138 0000 1111' }, timestamp: '2026-05-01T00:01:00Z' },
    { type: 'track', userId: 'pg-user', event: 'Order Completed', messageId: 'pg-3', properties: { order_id: 'pg-o1', total: 88, products: [{ product_id: 'pg-p', category: '食品', price: 44, quantity: 2 }] }, timestamp: '2026-05-01T00:02:00Z' },
  ] };
  const send = () => t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: JSON.stringify(batch), headers: { 'content-type': 'application/json', authorization: basic() } });
  const replies = await Promise.all([send(), send(), send()]);
  assert.deepEqual(replies.map((r) => r.statusCode), [200, 200, 200]);
  const n = await t.engine.op.query<{ n: number }>('select count(*) as n from event_ids');
  assert.equal(Number(n.rows[0]!.n), 3);
  assert.ok(await t.engine.workers.waitIdle(30_000));
  const u = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/users/lookup?kind=phone&value=13800001111', headers: { authorization: bearer() } });
  assert.equal(u.statusCode, 200);
  const body = u.json();
  assert.deepEqual(body.identities.map((i: { kind: string }) => i.kind).sort(), ['anonymous_id', 'phone', 'user_id']);
  assert.equal(body.orders[0].total, 88);
  assert.equal(body.timeline.length, 3);
  const ready = await t.app.fastify.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.json().stores.operational, 'postgres');
});
