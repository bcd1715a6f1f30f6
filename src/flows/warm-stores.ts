import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { warmEventLog } from '../modules/events/index.ts';
import { warmTraitTables } from '../modules/profiles/index.ts';

/**
 * Buffer-pool warming of the event store (EventStoreDb.warm): the traits tables first (what an
 * incremental pass touches most), then the event log's lookup columns. Started when the server's
 * workers start and after each full recompute (it rewrote the traits tables); runs beside the
 * passes on a connection of its own and never fails (a closed store ends it).
 */
const pending = new WeakMap<EventStoreDb, Promise<number>>();

/** Starts a warm and returns its promise (the milliseconds it took). */
export function warmStores(es: EventStoreDb): Promise<number> {
  const t0 = performance.now();
  const p = (async () => {
    await warmTraitTables(es);
    await warmEventLog(es);
    return performance.now() - t0;
  })();
  pending.set(es, p);
  return p;
}

/** The last warm started on this store (0 at once when none was). */
export function lastWarm(es: EventStoreDb): Promise<number> {
  return pending.get(es) ?? Promise.resolve(0);
}
