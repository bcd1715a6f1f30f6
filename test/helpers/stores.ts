/**
 * Runs one operational-store suite against both implementations: PGlite (embedded, in a temp dir)
 * and a real PostgreSQL server (DATABASE_URL_TEST; each suite run gets its own throwaway schema,
 * selected with `options=-c search_path=<schema>` so the migrations create their tables there).
 * Without DATABASE_URL_TEST the PostgreSQL half is registered as a visibly skipped suite.
 */
import { after, before, describe, test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateOpStore, openOpStore, type OpStore } from '../../src/platform/opstore/index.ts';

export type StoreKind = 'pglite' | 'postgres';

/** A store of the suite's kind that no migration has touched yet. */
export interface FreshStore {
  db: OpStore;
  /**
   * Another connection to the same store. PostgreSQL: a second pool (real concurrency across
   * "nodes"). PGlite is one embedded process, so it answers with the same instance.
   */
  another(): Promise<OpStore>;
}

export interface StoreContext {
  kind: StoreKind;
  /** The suite's migrated store (opened in `before`, closed and dropped in `after`). */
  db(): OpStore;
  /** A new, unmigrated, isolated store; closed and dropped when the suite ends. */
  fresh(): Promise<FreshStore>;
}

const PG_URL = process.env.DATABASE_URL_TEST;

/** A random, unique id for the test data of one test (workspaces, users, messageIds). */
export const uid = (prefix = '') => prefix + randomBytes(6).toString('hex');

/** `base` with `options=-c search_path=<schema>` (URL-encoded) added to its query. */
export function withSearchPath(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.delete('options');
  const q = u.search ? u.search.slice(1) + '&' : '';
  u.search = '?' + q + 'options=' + encodeURIComponent(`-c search_path=${schema}`);
  return u.toString();
}

interface Opened {
  stores: OpStore[];
  cleanups: Array<() => Promise<void>>;
}

async function openPgliteStore(o: Opened): Promise<FreshStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-opstore-'));
  const db = await openOpStore({ dataDir });
  o.stores.push(db);
  o.cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return { db, another: async () => db };
}

async function openPostgresStore(o: Opened, admin: pg.Pool): Promise<FreshStore> {
  const schema = `liebian_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create schema ${schema}`);
  o.cleanups.push(async () => {
    await admin.query(`drop schema if exists ${schema} cascade`);
  });
  const url = withSearchPath(PG_URL!, schema);
  const open = async () => {
    const db = await openOpStore({ databaseUrl: url });
    o.stores.push(db);
    return db;
  };
  const db = await open();
  // The schema really is the one in use (a wrong search_path would silently use `public`).
  const r = await db.query<{ s: string }>('select current_schema() as s');
  if (r.rows[0]?.s !== schema) throw new Error(`search_path not applied: current_schema() is ${r.rows[0]?.s}, expected ${schema}`);
  return { db, another: open };
}

function register(name: string, kind: StoreKind, body: (ctx: StoreContext) => void) {
  describe(`${name} [${kind}]`, () => {
    const o: Opened = { stores: [], cleanups: [] };
    let admin: pg.Pool | undefined;
    let main: OpStore | undefined;
    const fresh = async () => {
      if (kind === 'pglite') return openPgliteStore(o);
      admin ??= new pg.Pool({ connectionString: PG_URL, max: 2 });
      return openPostgresStore(o, admin);
    };
    before(async () => {
      main = (await fresh()).db;
      await migrateOpStore(main);
    });
    after(async () => {
      for (const s of o.stores.reverse()) await s.close().catch(() => undefined);
      for (const c of o.cleanups.reverse()) await c();
      await admin?.end();
    });
    body({
      kind,
      db: () => {
        if (!main) throw new Error('the store is not open yet (use db() inside tests or hooks)');
        return main;
      },
      fresh,
    });
  });
}

/**
 * Registers the same `describe` block once per store: `<name> [pglite]` and `<name> [postgres]`.
 * `getDb()` returns the suite's migrated store; `ctx.fresh()` opens an unmigrated one.
 */
export function forEachOpStore(name: string, body: (getDb: () => OpStore, ctx: StoreContext) => void): void {
  register(name, 'pglite', (ctx) => body(ctx.db, ctx));
  if (PG_URL) register(name, 'postgres', (ctx) => body(ctx.db, ctx));
  else test(`${name} [postgres]`, { skip: 'DATABASE_URL_TEST is not set: the PostgreSQL half of this suite is skipped' }, () => undefined);
}
