import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpStore } from './types.ts';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations/op');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Versioned SQL files `migrations/op/NNN_name.sql`, in order. */
export function listMigrations(dir = DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Applies pending migrations, each in its own transaction, under an advisory lock. Returns the versions applied. */
export async function migrateOpStore(db: OpStore): Promise<number[]> {
  // Under the lock too: two nodes starting at once would race on `create table if not exists`.
  await db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock(4242001)');
    await q.query(`create table if not exists schema_migrations (
      version int primary key, name text not null, applied_at timestamptz not null default now())`);
  });
  const applied: number[] = [];
  for (const m of listMigrations()) {
    const done = await db.tx(async (q) => {
      await q.query('select pg_advisory_xact_lock(4242001)');
      const r = await q.query('select 1 from schema_migrations where version = $1', [m.version]);
      if (r.rows.length) return false;
      for (const stmt of splitSql(m.sql)) await q.query(stmt);
      await q.query('insert into schema_migrations(version, name) values ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

export async function opSchemaVersion(db: OpStore): Promise<number> {
  const r = await db.query<{ v: number | null }>('select max(version) as v from schema_migrations');
  return r.rows[0]?.v ?? 0;
}

/** Splits a migration file on `;` at line ends (migrations keep one statement per `;`-terminated block). */
function splitSql(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
