import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEventStoreDb, type EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';

const bufferBytes = async (es: EventStoreDb) =>
  (await es.read<{ b: number }>(`select coalesce(sum(memory_usage_bytes), 0)::bigint as b from duckdb_memory() where tag in ('BASE_TABLE', 'ART_INDEX')`))[0]!.b;

test('warm loads a table\'s columns into the buffer pool, but those skipped; a missing table or a closed store gives false', async (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-warm-'));
  ctx.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let es = await openEventStoreDb(dir);
  await es.write((c) => c.run(`create table t as select hash(range) as a, md5(range::varchar) as b from range(400000)`));
  await es.close();
  es = await openEventStoreDb(dir);
  const cold = await bufferBytes(es);
  assert.equal(await es.warm('t', ['b']), true);
  const partly = await bufferBytes(es);
  assert.equal(await es.warm('t'), true);
  const warm = await bufferBytes(es);
  // The ints alone, then the md5 texts too (several MB of blocks each).
  assert.ok(partly > cold + 1_000_000, `ints: ${cold} -> ${partly} bytes`);
  assert.ok(warm > partly + 4_000_000, `texts: ${partly} -> ${warm} bytes`);
  assert.equal(await es.warm('no_such_table'), false);
  // Close while a warm runs: it ends (interrupted or done) and later warms do nothing.
  const running = es.warm('t');
  const t0 = Date.now();
  await es.close();
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(typeof (await running), 'boolean');
  assert.equal(await es.warm('t'), false);
});
