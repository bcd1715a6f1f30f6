import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';

/**
 * Loads the event log's columns that index lookups fetch (a scope's events by user / anonymous id:
 * profiles/facts.ts) into the buffer pool; not the bodies (most of the file: a lookup reads the
 * few it needs).
 */
export async function warmEventLog(es: EventStoreDb): Promise<boolean> {
  return es.warm('events', ['body']);
}
