import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachOpStore } from '../helpers/stores.ts';
import { listMigrations, migrateOpStore, opSchemaVersion } from '../../src/platform/opstore/index.ts';

const all = listMigrations();
const latest = all[all.length - 1]!.version;
const TABLES = ['workspaces', 'api_keys', 'console_users', 'console_sessions', 'event_ids', 'event_outbox', 'event_outbox_bodies', 'consumer_cursors', 'profiles', 'identities',
  'identity_merges', 'profile_traits', 'products', 'orders', 'order_items', 'social_edges', 'shares', 'share_touches', 'share_conversions'];

test('migration files are numbered, unique and in order', () => {
  assert.ok(all.length >= 1);
  const versions = all.map((m) => m.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  assert.equal(new Set(versions).size, versions.length);
  for (const m of all) assert.match(m.name, /^[a-z0-9_]+$/);
});

forEachOpStore('opstore migrations', (getDb, ctx) => {
  test('the suite store is migrated to the latest version', async () => {
    assert.equal(await opSchemaVersion(getDb()), latest);
  });

  test('a fresh store: every migration applies once, then re-running applies nothing', async () => {
    const { db } = await ctx.fresh();
    const missing = await db.query<{ t: string | null }>("select to_regclass('event_outbox')::text as t");
    assert.equal(missing.rows[0]!.t, null, 'a fresh store has no tables yet');

    assert.deepEqual(await migrateOpStore(db), all.map((m) => m.version));
    assert.equal(await opSchemaVersion(db), latest);
    for (const t of TABLES) {
      const r = await db.query<{ t: string | null }>('select to_regclass($1)::text as t', [t]);
      assert.equal(r.rows[0]!.t, t, `table ${t} exists`);
    }
    const rows = await db.query<{ version: number; name: string }>('select version, name from schema_migrations order by version');
    assert.deepEqual(rows.rows.map((r) => [r.version, r.name]), all.map((m) => [m.version, m.name]));

    assert.deepEqual(await migrateOpStore(db), []);
    assert.deepEqual(await migrateOpStore(db), []);
    assert.equal(await opSchemaVersion(db), latest);
    const again = await db.query<{ n: number }>('select count(*) as n from schema_migrations');
    assert.equal(again.rows[0]!.n, all.length);
  });

  test('two migrators at once (two connections on PostgreSQL): each migration is applied exactly once', async () => {
    const fresh = await ctx.fresh();
    const other = await fresh.another();
    const [a, b] = await Promise.all([migrateOpStore(fresh.db), migrateOpStore(other)]);
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), all.map((m) => m.version), `applied ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    assert.equal(await opSchemaVersion(fresh.db), latest);
    assert.equal(await opSchemaVersion(other), latest);
    const r = await fresh.db.query<{ n: number }>('select count(*) as n from schema_migrations');
    assert.equal(r.rows[0]!.n, all.length);
    // And once more, concurrently, on a migrated store: nothing.
    assert.deepEqual(await Promise.all([migrateOpStore(fresh.db), migrateOpStore(other)]), [[], []]);
  });

  test('a migrated store works: the event sequence and jsonb round-trip', async () => {
    const db = getDb();
    const r = await db.query<{ a: number; b: number }>("select nextval('event_seq') as a, nextval('event_seq') as b");
    assert.equal(typeof r.rows[0]!.a, 'number');
    assert.equal(r.rows[0]!.b, r.rows[0]!.a + 1);
    const j = await db.query<{ v: unknown }>("select $1::jsonb as v", [JSON.stringify({ 中文: '裂变', n: 1.5, l: [1, null] })]);
    assert.deepEqual(j.rows[0]!.v, { 中文: '裂变', n: 1.5, l: [1, null] });
  });
});
