import { loadConfig } from '../../platform/config.ts';
import { openStores } from '../../engine.ts';
import { opSchemaVersion } from '../../platform/opstore/index.ts';
import { eventStoreSchemaVersion } from '../../modules/events/index.ts';

/** `liebian migrate`: applies pending migrations to both stores and prints their schema versions. */
export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const { op, es } = await openStores(config);
  const out = { operational: { kind: op.kind, version: await opSchemaVersion(op) }, events: { kind: 'duckdb', version: await eventStoreSchemaVersion(es) } };
  process.stdout.write(JSON.stringify(out) + '\n');
  await es.close();
  await op.close();
}
