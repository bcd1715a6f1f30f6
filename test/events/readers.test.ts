import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEventStoreDb } from '../../src/platform/eventstore/duckdb.ts';

// The event store's reads run on a pool of reader connections (src/platform/eventstore/duckdb.ts).
test('reads run side by side on the reader pool, queue when it is busy, and close() lets running ones finish and fails the rest', async (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-readers-'));
  ctx.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const es = await openEventStoreDb(dir);
  await es.write((c) => c.run(`create table t as select range as a from range(3000000)`));
  // More reads than readers at once: every one answers, each with its own result.
  const slow = (k: number) => es.read<{ s: number }>(`select (sum(a * ${k}) % 1000003)::bigint as s from t`);
  const many = await Promise.all([1, 2, 3, 4, 5].map(slow));
  const want = [1, 2, 3, 4, 5].map((k) => Number((BigInt(k) * 4499998500000n) % 1000003n));
  assert.deepEqual(many.map((r) => r[0]!.s), want);
  // A failing read gives its connection back: the next reads still run.
  await assert.rejects(es.read('select * from no_such_table'), /no_such_table/);
  await assert.rejects(es.read('select * from no_such_table'), /no_such_table/);
  assert.equal((await es.read<{ n: number }>('select count(*)::integer as n from t'))[0]!.n, 3_000_000);
  // Close with reads running and queued: running ones finish or fail cleanly, none hangs; later reads fail with a clear error.
  const inflight = [1, 2, 3, 4].map((k) => slow(k).then(() => 'done', (e: Error) => e.message));
  await es.close();
  for (const r of await Promise.all(inflight)) assert.ok(r === 'done' || /closed/.test(r), r);
  await assert.rejects(es.read('select 1'), /event store closed/);
});
