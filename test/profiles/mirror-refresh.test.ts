import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openOpStore, migrateOpStore, type OpStore, type SqlRunner } from '../../src/platform/opstore/index.ts';
import { openEventStoreDb, type EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { migrateEventStore } from '../../src/modules/events/index.ts';
import { refreshMirrorFull } from '../../src/flows/traits-identities.ts';

// The full mirror refresh reads the identity graph as CSV where the store exports it (PGlite) and
// as query results elsewhere: both must give exactly the identities table's user_id / anonymous_id
// rows, whatever the text (quotes, commas, newlines, backslashes, empty, non-ASCII), across ranges.

const WS = 'w\'s,"1"';
const RANGE = 700;
let dir: string;
let op: OpStore;
let es: EventStoreDb;

const NASTY = ['', ' ', 'a,b', '"', '""', 'a"b', "o'neil", 'line\nbreak', 'cr\rlf\r\n', '\\', '\\N', 'NULL', 'null', '\t tab', '微信用户', 'é', 'e\u0301', '😀', ',', '\\.', 'x'.repeat(300)];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-mirror-test-'));
  op = await openOpStore({ dataDir: dir });
  await migrateOpStore(op);
  es = await openEventStoreDb(undefined);
  await migrateEventStore(es);
  const rows: Array<[string, string, string, string]> = [];
  for (const [i, v] of NASTY.entries()) {
    rows.push([WS, 'user_id', v, `p-${i}`], [WS, 'anonymous_id', v, `p,"${i}"`], [WS, 'email', v, `p-${i}`], ['other', 'user_id', v, 'q']);
  }
  // Enough rows for several CSV ranges (RANGE) of each kind.
  for (let i = 0; i < 5_000; i++) rows.push([WS, i % 2 ? 'user_id' : 'anonymous_id', `id-${i}`, `prof-${i % 3_000}`]);
  for (let k = 0; k < rows.length; k += 50_000) {
    const part = rows.slice(k, k + 50_000);
    await op.query(
      `insert into identities (workspace_id, kind, value, profile_id, first_seen)
       select w, k, v, p, now() from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t(w, k, v, p)`,
      [part.map((r) => r[0]), part.map((r) => r[1]), part.map((r) => r[2]), part.map((r) => r[3])]);
  }
});
after(async () => {
  await op.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const expected = async () => (await op.query<{ kind: string; value: string; profile_id: string }>(
  `select kind, value, profile_id from identities where workspace_id = $1 and kind in ('user_id', 'anonymous_id')`, [WS])).rows
  .map((r) => JSON.stringify([r.kind, r.value, r.profile_id])).sort();
const mirror = async () => (await es.read<{ kind: string; value: string; profile_id: string }>(
  `select kind, value, profile_id from profile_identities where workspace_id = $1`, [WS]))
  .map((r) => JSON.stringify([r.kind, r.value, r.profile_id])).sort();

test('the full mirror refresh copies the identities exactly, as CSV and as rows, and applies changes', async () => {
  assert.ok(op.copyCsv, 'PGlite exports CSV');
  const rowsOnly: SqlRunner = { query: (sql, params) => op.query(sql, params) };
  const want = await expected();
  const users = want.filter((r) => r.startsWith('["user_id"')).length;
  // Ranges; pages of rows; one range holding every user_id row exactly, the next range of that kind empty; each kind whole.
  for (const [runner, range] of [[op, RANGE], [rowsOnly, RANGE], [op, users], [op, undefined]] as const) {
    const n = await refreshMirrorFull(runner, es, WS, undefined, range);
    assert.equal(n, want.length);
    assert.deepEqual(await mirror(), want);
  }
  // A merge, a new identity and a removed one: the refresh applies them.
  await op.query(`update identities set profile_id = 'merged' where workspace_id = $1 and value in ('a,b', 'line\nbreak', 'id-7')`, [WS]);
  await op.query(`insert into identities values ($1, 'user_id', 'new"one', 'p-new', now())`, [WS]);
  await op.query(`delete from identities where workspace_id = $1 and value = 'id-8'`, [WS]);
  const want2 = await expected();
  assert.notDeepEqual(want2, want);
  await refreshMirrorFull(op, es, WS, undefined, RANGE);
  assert.deepEqual(await mirror(), want2);
  await refreshMirrorFull(rowsOnly, es, WS);
  assert.deepEqual(await mirror(), want2);
});
