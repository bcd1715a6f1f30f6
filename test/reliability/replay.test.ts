// Replays: the same 500-event batch sent three times at once is acknowledged every time and
// stored once (the concurrent copies typically share one group-commit transaction).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startTestApp, basic, bearer } from '../helpers/engine.ts';
import { withSearchPath } from '../helpers/stores.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';
import { eventQueries } from '../../src/modules/events/index.ts';

let t: Awaited<ReturnType<typeof startTestApp>>;
let url: string;
before(async () => {
  t = await startTestApp();
  await t.app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const a = t.app.fastify.server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
after(async () => {
  await t.close();
});

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
function batchOf(prefix: string, n = 500) {
  return {
    batch: Array.from({ length: n }, (_, i) => {
      const type = TYPES[i % TYPES.length]!;
      return {
        type, messageId: `${prefix}-${i}`, userId: `${prefix}-u${i % 40}`,
        event: 'Product Viewed', name: 'Home', groupId: 'g1', previousId: `${prefix}-anon-${i}`,
        properties: { product_id: `sku-${i % 9}`, i }, traits: { i },
      };
    }),
  };
}

const storedWithPrefix = async (prefix: string) => {
  const r = await t.engine.op.query<{ n: number }>(`select count(*) as n from event_ids where workspace_id = 'default' and message_id like $1`, [`${prefix}-%`]);
  return Number(r.rows[0]!.n);
};
const eventStoreCount = async (prefix: string) => {
  const r = await t.engine.es.read<{ n: number }>(`select count(*) as n from events where workspace_id = 'default' and message_id like $1`, [`${prefix}-%`]);
  return Number(r[0]!.n);
};

test('the same 500-event batch sent 3 times concurrently over HTTP: 3 × 2xx, 500 stored', async () => {
  const body = JSON.stringify(batchOf('rp-http'));
  const before = await countStoredIds(t.engine.op, 'default');
  const replies = await Promise.all([0, 1, 2].map(() =>
    fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic() }, body }),
  ));
  for (const r of replies) {
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await r.json(), { success: true });
  }
  assert.equal(await storedWithPrefix('rp-http'), 500);
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + 500);
  assert.ok(await t.engine.workers.waitIdle(60_000));
  assert.equal(await eventStoreCount('rp-http'), 500, 'the event store holds each event once');
});

test('the same batch via inject, 3 × concurrently, gzip and plain mixed, then again sequentially', async () => {
  const json = JSON.stringify(batchOf('rp-inj'));
  const gz = zlib.gzipSync(json);
  const send = (gzip: boolean) => t.app.fastify.inject({
    method: 'POST', url: '/v1/batch', payload: gzip ? gz : json,
    headers: { 'content-type': 'application/json', authorization: basic(), ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
  });
  const replies = await Promise.all([send(false), send(true), send(false)]);
  assert.deepEqual(replies.map((r) => r.statusCode), [200, 200, 200]);
  assert.equal(await storedWithPrefix('rp-inj'), 500);
  for (const gzip of [true, false]) assert.equal((await send(gzip)).statusCode, 200);
  assert.equal(await storedWithPrefix('rp-inj'), 500);
  assert.ok(await t.engine.workers.waitIdle(60_000));
  assert.equal(await eventStoreCount('rp-inj'), 500);
});

test('duplicates inside one batch and across single-message routes are stored once', async () => {
  const one = { type: 'track', event: 'Dup', userId: 'dup-u', messageId: 'rp-dup-0' };
  const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: { batch: [one, one, { ...one }, { ...one, messageId: 'rp-dup-1' }] }, headers: { authorization: basic() } });
  assert.equal(r.statusCode, 200);
  const singles = await Promise.all([0, 1, 2].map(() => t.app.fastify.inject({ method: 'POST', url: '/v1/track', payload: { event: 'Dup', userId: 'dup-u', messageId: 'rp-dup-2' }, headers: { authorization: basic() } })));
  assert.deepEqual(singles.map((x) => x.statusCode), [200, 200, 200]);
  assert.equal(await storedWithPrefix('rp-dup'), 3);
  assert.ok(await t.engine.workers.waitIdle(60_000));
  assert.equal(await eventStoreCount('rp-dup'), 3);
  // The server API's export agrees: every messageId appears once.
  const exp = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/events/export', headers: { authorization: bearer() } });
  assert.equal(exp.statusCode, 200);
  const ids = exp.body.split('\n').filter(Boolean).map((l) => JSON.parse(l).messageId as string);
  assert.equal(ids.length, new Set(ids).size);
  assert.equal(ids.length, 1003);
  assert.equal((await eventQueries.countEvents(t.engine.es, 'default')), 1003);
});

// On PostgreSQL the copies really commit concurrently: two server instances ("nodes") on one
// database, each getting copies of the same batch at the same time.
const PG_URL = process.env.DATABASE_URL_TEST;
test('PostgreSQL, two nodes: the same batch 3 × concurrently on each, 500 stored', { skip: PG_URL ? false : 'no PostgreSQL (set DATABASE_URL_TEST)' }, async () => {
  const schema = `liebian_replay_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await admin.query(`create schema ${schema}`);
  const nodes: Array<Awaited<ReturnType<typeof startTestApp>>> = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await startTestApp({ databaseUrl: withSearchPath(PG_URL!, schema), background: false }));
    const body = JSON.stringify(batchOf('rp-pg'));
    const replies = await Promise.all(nodes.flatMap((n) => [0, 1, 2].map(() => n.app.fastify.inject({
      method: 'POST', url: '/v1/batch', payload: body, headers: { 'content-type': 'application/json', authorization: basic() },
    }))));
    assert.deepEqual(replies.map((r) => r.statusCode), [200, 200, 200, 200, 200, 200]);
    assert.equal(await countStoredIds(nodes[0]!.engine.op, 'default'), 500);
    const outbox = await nodes[0]!.engine.op.query<{ n: number; d: number }>(
      `select count(*) as n, count(distinct l::jsonb->>'messageId') as d from event_outbox_bodies, unnest(string_to_array(body, E'\\n')) as l`,
    );
    assert.equal(Number(outbox.rows[0]!.n), 500, 'each event once in the outbox');
    assert.equal(Number(outbox.rows[0]!.d), 500);
  } finally {
    for (const n of nodes) await n.close();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
});
