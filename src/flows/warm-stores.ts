import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { warmEventLog } from '../modules/events/index.ts';
import { warmTraitTables } from '../modules/profiles/index.ts';

/**
 * Buffer-pool warming of the event store (EventStoreDb.warm): the traits tables first (what an
 * incremental pass touches most), then the event log's lookup columns. Started when the server's
 * workers start (a process that opened the store has none of its blocks in memory; the process that
 * ran a full recompute has most of what it wrote, measured: docs/benchmarks.md); runs beside the
 * passes on a connection of its own and never fails (a closed store ends it); resolves to the
 * milliseconds it took and whether every scan ran.
 */
export async function warmStores(es: EventStoreDb): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  const traits = await warmTraitTables(es);
  const log = await warmEventLog(es);
  return { ms: performance.now() - t0, ok: traits && log };
}
