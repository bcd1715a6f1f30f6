import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/**
 * The tables an incremental pass reads and rewrites by index (the scope's traits row, mirror rows,
 * lifecycle history, social actions), loaded into the buffer pool when a process opens the store
 * (flows/warm-stores.ts). On the bench world such a lookup costs about a third as much on warm
 * blocks (docs/profiles.md).
 */
export async function warmTraitTables(es: EventStoreDb): Promise<boolean> {
  let ok = true;
  for (const t of ['computed_traits', 'profile_identities', 'lifecycle_history', 'social_actions']) ok = (await es.warm(t)) && ok;
  return ok;
}
