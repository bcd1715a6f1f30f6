import path from 'node:path';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';
import type { OpStore } from './types.ts';

export type { OpStore, SqlRunner, QueryResult } from './types.ts';
export { migrateOpStore, opSchemaVersion, listMigrations } from './migrate.ts';

/** DATABASE_URL selects PostgreSQL; otherwise PGlite under `<dataDir>/op`. */
export async function openOpStore(opts: { databaseUrl?: string; dataDir?: string }): Promise<OpStore> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  return openPglite(opts.dataDir ? path.join(opts.dataDir, 'op') : undefined);
}
