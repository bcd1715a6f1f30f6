import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startTestApp, tmpDir } from '../helpers/engine.ts';
import { runImport } from '../../src/cli/import/run.ts';
import { parseMapping } from '../../src/cli/import/mapping.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';
import { eventQueries } from '../../src/modules/events/index.ts';

let t: Awaited<ReturnType<typeof startTestApp>>;
const dir = tmpDir('liebian-import-');
before(async () => {
  t = await startTestApp();
});
after(async () => {
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const base = { workspace: 'default', delimiter: ',' as const, skipInvalid: false, batchSize: 7 };

test('an NDJSON import interrupted part-way resumes from its checkpoint and stores every line once', async () => {
  const file = path.join(dir, 'events.ndjson');
  const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ type: 'track', event: 'Product Viewed', userId: `imp-u${i % 10}`, properties: { product_id: `p${i}` }, timestamp: '2026-02-01T00:00:00Z', ...(i % 2 ? { messageId: `nd-${i}` } : {}) }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const before = await countStoredIds(t.engine.op, 'default');
  const first = await runImport(t.engine, { ...base, file, format: 'ndjson', maxLines: 40 });
  assert.equal(first.complete, false);
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + 40);
  const second = await runImport(t.engine, { ...base, file, format: 'ndjson' });
  assert.equal(second.complete, true);
  assert.ok(second.resumedFrom > 0);
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + 100);
  // A fresh import of the same file (checkpoint removed) deduplicates on the stable ids.
  fs.rmSync(second.checkpoint);
  await runImport(t.engine, { ...base, file, format: 'ndjson' });
  assert.equal(await countStoredIds(t.engine.op, 'default'), before + 100);
});

test('CSV with a column mapping (CDNOW-style whitespace columns, YYYYMMDD dates)', async () => {
  const file = path.join(dir, 'cdnow.txt');
  fs.writeFileSync(file, 'customer_id date cds amount\n00001 19970101 1 11.77\n00002 19970112 1 12.00\n00002 19970112 5 77.00\n');
  const mapping = parseMapping('userId=customer_id,timestamp=date,properties.quantity=cds,properties.total=amount', 'track', 'Order Completed');
  const r = await runImport(t.engine, { ...base, file, format: 'csv', delimiter: 'whitespace', mapping });
  assert.equal(r.imported, 3);
  assert.ok(await t.engine.workers.waitIdle(30_000));
  const rows = await t.engine.es.read<{ user_id: string; ts: Date; total: number }>(
    `select user_id, ts, cast(json_extract(body, '$.properties.total') as double) as total from events where user_id in ('00001', '00002') order by ts, total`);
  assert.deepEqual(rows.map((x) => [x.user_id, x.ts.toISOString().slice(0, 10), x.total]), [['00001', '1997-01-01', 11.77], ['00002', '1997-01-12', 12], ['00002', '1997-01-12', 77]]);
});

test('an invalid line stops the import naming the line, keeping what came before', async () => {
  const file = path.join(dir, 'bad.ndjson');
  fs.writeFileSync(file, [
    JSON.stringify({ type: 'track', event: 'A', userId: 'bad-u', messageId: 'bad-line-1' }),
    '{not json',
    JSON.stringify({ type: 'track', event: 'B', userId: 'bad-u', messageId: 'bad-line-3' }),
  ].join('\n'));
  await assert.rejects(runImport(t.engine, { ...base, file, format: 'ndjson' }), /line 2/);
  const n = await t.engine.op.query<{ n: number }>(`select count(*) as n from event_ids where message_id like 'bad-line-%'`);
  assert.equal(Number(n.rows[0]!.n), 1);
  const r = await runImport(t.engine, { ...base, file, format: 'ndjson', skipInvalid: true });
  assert.equal(r.skipped, 1);
  const n2 = await t.engine.op.query<{ n: number }>(`select count(*) as n from event_ids where message_id like 'bad-line-%'`);
  assert.equal(Number(n2.rows[0]!.n), 2);
});

test('export streams the stored events in Segment shape with messageId and receivedAt', async () => {
  assert.ok(await t.engine.workers.waitIdle(30_000));
  const lines: string[] = [];
  await eventQueries.exportEvents(t.engine.es, 'default', null, (l) => void lines.push(l));
  assert.equal(lines.length, await countStoredIds(t.engine.op, 'default'));
  const first = JSON.parse(lines[0]!);
  assert.ok(first.messageId && first.receivedAt && first.type);
  const api = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/events/export?since=2026-02-01T00:00:00Z', headers: { authorization: 'Bearer lb_sk_test_secret_key_0123456789' } });
  assert.equal(api.statusCode, 200);
  const apiLines = api.body.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(apiLines.length >= 100 && apiLines.every((e) => Date.parse(e.timestamp) >= Date.parse('2026-02-01T00:00:00Z')));
  const bad = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/events/export?since=yesterday', headers: { authorization: 'Bearer lb_sk_test_secret_key_0123456789' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.details[0].path, 'query.since');
});

test('the command line: --help exits 0, a bad option exits 2, a missing file exits 5', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/liebian.mjs', ...args], { encoding: 'utf8', env: { ...process.env, LIEBIAN_DATA_DIR: dir } });
  assert.equal(run('import', '--help').status, 0);
  assert.equal(run('simulate', '--users', 'many', '--days', '3').status, 2);
  const missing = run('import', path.join(dir, 'nope.ndjson'));
  assert.equal(missing.status, 5);
  assert.match(missing.stderr, /no such file/);
  const badEnv = spawnSync(process.execPath, ['bin/liebian.mjs', 'migrate'], { encoding: 'utf8', env: { ...process.env, PORT: 'eighty' } });
  assert.equal(badEnv.status, 3);
  assert.match(badEnv.stderr, /PORT/);
});
