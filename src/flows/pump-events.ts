import type { OpStore } from '../platform/opstore/index.ts';
import type { EventStoreDb } from '../platform/eventstore/duckdb.ts';
import { readOutbox, setCursor } from '../modules/ingest/index.ts';
import { appendEvents, eventStoreCursor } from '../modules/events/index.ts';

export const EVENT_STORE_CONSUMER = 'eventstore';

/**
 * Copies acknowledged events from the outbox into the event store. The cursor is the highest seq
 * in the event store itself (committed with the rows), so a crash between the two stores neither
 * loses nor repeats an event. The op-store copy of the cursor only gates outbox trimming.
 */
export async function pumpBatch(op: OpStore, es: EventStoreDb, limit = 5000): Promise<number> {
  const cursor = await eventStoreCursor(es);
  const rows = await readOutbox(op, cursor, limit);
  if (!rows.length) return 0;
  await appendEvents(es, rows);
  await setCursor(op, EVENT_STORE_CONSUMER, rows[rows.length - 1]!.seq);
  return rows.length;
}
