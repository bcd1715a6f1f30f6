import { DuckDBTimestampTZValue, type DuckDBAppender } from '@duckdb/node-api';
import type { EventStoreDb } from '../../platform/eventstore/duckdb.ts';
import { lineQuantity } from '../ingest/index.ts';
import { eventFieldsOf } from './fields.ts';

export interface LoggedEvent {
  seq: number;
  workspaceId: string;
  body: {
    type: string;
    messageId: string;
    userId?: string;
    anonymousId?: string;
    event?: string;
    timestamp: string;
    receivedAt: string;
    properties?: Record<string, unknown>;
  };
}

const tsValue = (iso: string) => new DuckDBTimestampTZValue(BigInt(Date.parse(iso)) * 1000n);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

export interface OrderLine {
  orderId: string; line: number; productId: string | null; name: string | null; category: string | null; brand: string | null;
  price: number | null; quantity: number; shareId: string | null;
}

/**
 * The `order_lines` rows of an event: one per entry of an `Order Completed` track event's
 * `properties.products` when it has an order_id (the table's definition; the profiles module derives
 * a scope's lines from the bodies with it).
 */
export function orderLinesOf(b: { type: string; event?: string; properties?: Record<string, unknown> }): OrderLine[] {
  if (b.type !== 'track' || b.event !== 'Order Completed') return [];
  const p = b.properties ?? {};
  const orderId = str(p.order_id);
  if (!orderId || !Array.isArray(p.products)) return [];
  const shareId = str(p.share_id);
  return p.products.map((raw: unknown, line: number) => {
    const it = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const qty = num(it.quantity);
    return {
      orderId, line, productId: str(it.product_id), name: str(it.name), category: str(it.category), brand: str(it.brand),
      price: num(it.price), quantity: lineQuantity(qty), shareId,
    };
  });
}

/** The highest outbox seq already in the event store: the pump's cursor, kept with the data. */
export async function eventStoreCursor(db: EventStoreDb): Promise<number> {
  const r = await db.read<{ s: number | null }>('select max(seq) as s from events');
  return r[0]?.s ?? 0;
}

/**
 * The highest seq in the log, as `eventStoreCursor` gives it, from memory once read: appendEvents
 * is the log's only writer in the product and one process owns an event store, so after a first
 * read (past `atLeast`, which the caller knows is in the log: the zone maps skip the rest) every
 * committed append raises it. Rows inserted into `events` by other means (a test fixture) after
 * the first read are not seen. The traits pass asks every pass; the read cost ~2–3 ms of its ~55.
 */
export async function storedPosition(db: EventStoreDb, atLeast: number): Promise<number> {
  let read = readPositions.get(db);
  if (read === undefined) {
    read = (await db.read<{ s: number | null }>('select max(seq) as s from events where seq > $1', [atLeast]))[0]?.s ?? atLeast;
    readPositions.set(db, read);
  }
  // An append that committed during the read is in `appended`.
  return Math.max(read, appended.get(db) ?? 0, atLeast);
}
/** The log's highest seq as first read, and the highest seq this process's appends committed. */
const readPositions = new WeakMap<EventStoreDb, number>();
const appended = new WeakMap<EventStoreDb, number>();

/** The UTC day of an ISO timestamp as whole days since 1970-01-01 (as `floor(epoch_ms(ts) / 86400000)`). */
export const utcDay = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);

/**
 * Appends events (in seq order, all above the cursor), their narrow copies (`event_fields`), their
 * order lines and their distinct (UTC day, actor) pairs for the daily-active-users rollup, in one
 * transaction.
 */
export async function appendEvents(db: EventStoreDb, events: LoggedEvent[]): Promise<void> {
  if (!events.length) return;
  await db.write(async (c) => {
    const ev = await c.createAppender('events');
    const ef = await c.createAppender('event_fields');
    const ol = await c.createAppender('order_lines');
    const actorDays = new Map<string, [string, number, string]>();
    try {
      appendRows(events, ev, ef, ol, actorDays);
    } catch (e) {
      // Closed here, inside the transaction that rolls back: an appender left to the garbage
      // collector would flush its complete rows into whatever transaction the writer runs then.
      for (const a of [ev, ef, ol]) {
        try {
          a.closeSync();
        } catch {
          // an incomplete row: nothing more to flush
        }
      }
      throw e;
    }
    ev.closeSync();
    ef.closeSync();
    ol.closeSync();
    const da = await c.createAppender('daily_actors');
    for (const [ws, day, actor] of actorDays.values()) {
      da.appendVarchar(ws);
      da.appendInteger(day);
      da.appendVarchar(actor);
      da.endRow();
    }
    da.closeSync();
  });
  // Committed (the events are in seq order): storedPosition includes them.
  appended.set(db, Math.max(appended.get(db) ?? 0, events[events.length - 1]!.seq));
}

/** The rows of `events`, `event_fields` and `order_lines` of the events, and their (day, actor) pairs. */
function appendRows(events: LoggedEvent[], ev: DuckDBAppender, ef: DuckDBAppender, ol: DuckDBAppender, actorDays: Map<string, [string, number, string]>): void {
  for (const e of events) {
    const b = e.body;
    // Same truthiness as the user_id / anonymous_id columns below (an empty id is stored as null).
    const actor = b.userId ? b.userId : b.anonymousId ? `anon:${b.anonymousId}` : null;
    if (actor !== null) {
      const day = utcDay(b.timestamp);
      actorDays.set(`${e.workspaceId.length}:${e.workspaceId}|${day}|${actor}`, [e.workspaceId, day, actor]);
    }
    ev.appendVarchar(e.workspaceId);
    ev.appendBigInt(BigInt(e.seq));
    ev.appendVarchar(b.messageId);
    ev.appendVarchar(b.type);
    if (b.event) ev.appendVarchar(b.event); else ev.appendNull();
    if (b.userId) ev.appendVarchar(b.userId); else ev.appendNull();
    if (b.anonymousId) ev.appendVarchar(b.anonymousId); else ev.appendNull();
    const ts = tsValue(b.timestamp);
    ev.appendTimestampTZ(ts);
    ev.appendTimestampTZ(tsValue(b.receivedAt));
    const text = JSON.stringify(b);
    ev.appendVarchar(text);
    ev.endRow();
    // The same row's narrow copy (fields.ts), its ids stored as in events.
    const f = eventFieldsOf(b, text);
    ef.appendVarchar(e.workspaceId);
    ef.appendBigInt(BigInt(e.seq));
    ef.appendVarchar(b.type);
    appendOpt(ef, b.event || null);
    appendOpt(ef, b.userId || null);
    appendOpt(ef, b.anonymousId || null);
    ef.appendTimestampTZ(ts);
    ef.appendVarchar(b.messageId);
    ef.appendBoolean(f.mentionsShare);
    for (const v of f.fields) appendOpt(ef, v);
    ef.endRow();
    for (const l of orderLinesOf(b)) {
      ol.appendVarchar(e.workspaceId);
      ol.appendBigInt(BigInt(e.seq));
      ol.appendVarchar(l.orderId);
      appendOpt(ol, b.userId ?? null);
      appendOpt(ol, b.anonymousId ?? null);
      ol.appendTimestampTZ(tsValue(b.timestamp));
      ol.appendInteger(l.line);
      appendOpt(ol, l.productId);
      appendOpt(ol, l.name);
      appendOpt(ol, l.category);
      appendOpt(ol, l.brand);
      if (l.price === null) ol.appendNull(); else ol.appendDouble(l.price);
      ol.appendInteger(l.quantity);
      appendOpt(ol, l.shareId);
      ol.endRow();
    }
  }
}

function appendOpt(a: { appendVarchar(v: string): void; appendNull(): void }, v: string | null) {
  if (v === null) a.appendNull(); else a.appendVarchar(v);
}
