import { z } from 'zod';

/** Segment-spec message types accepted at /v1/*. */
export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

const id = z
  .union([z.string().max(256), z.number().finite()])
  .transform((v) => String(v))
  .nullish();
/** Dates both stores can hold (PostgreSQL timestamptz stops at 4713 BC): years 0001 to 9999. */
export const MIN_TIME = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');
export const inTimeRange = (ms: number) => ms >= MIN_TIME && ms <= MAX_TIME;
const isoDate = z
  .union([z.string().max(64), z.number().finite()])
  .refine((v) => inTimeRange(new Date(v).getTime()), { message: 'not a valid date (years 0001 to 9999)' })
  .nullish();
const record = z.record(z.string(), z.unknown()).nullish();

/**
 * The largest order amount (total, revenue, a product's price, the products' price × quantity
 * summed) an `Order …` event may carry, in either sign. The traits store money as decimal(18,2)
 * and add it up per person; an amount beyond this (or a numeric text that is not finite, "NaN",
 * "Infinity") is refused here with the property's path. profiles/facts.ts treats one already
 * stored as absent.
 */
export const MAX_ORDER_AMOUNT = 1_000_000_000;
/** A property as the stores read it (DuckDB's `try_cast(x as double)`): a number, a numeric text, or null for anything else. */
function amountOf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const t = v.trim();
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return NaN;
  const n = Number(t.replaceAll('_', ''));
  return t === '' || Number.isNaN(n) ? null : n;
}
const badAmount = (n: number | null) => n !== null && !(Math.abs(n) <= MAX_ORDER_AMOUNT);
/** An order line's quantity as the event store records it (events/append.ts `orderLinesOf`): 1 when absent, else truncated into 0..1,000,000. */
export const lineQuantity = (q: number | null) => (q === null ? 1 : Math.max(0, Math.min(1_000_000, Math.trunc(q))));

/** The first out-of-range order amount of a track event's properties, as a zod issue (path from the message). */
export function orderAmountIssue(event: string | null | undefined, properties: Record<string, unknown> | null | undefined): { path: Array<string | number>; message: string } | null {
  if (!properties || !event?.startsWith('Order ')) return null;
  const message = `an order amount must be a finite number within ±${MAX_ORDER_AMOUNT.toLocaleString('en')}`;
  for (const k of ['total', 'revenue'] as const) if (badAmount(amountOf(properties[k]))) return { path: ['properties', k], message };
  if (!Array.isArray(properties.products)) return null;
  let sum = 0;
  for (const [i, raw] of properties.products.entries()) {
    if (!raw || typeof raw !== 'object') continue;
    const it = raw as Record<string, unknown>;
    const price = amountOf(it.price);
    if (badAmount(price)) return { path: ['properties', 'products', i, 'price'], message };
    const q = amountOf(it.quantity);
    sum += Number.isFinite(price) ? price! * lineQuantity(q === null || !Number.isFinite(q) ? null : q) : 0;
  }
  return badAmount(sum) ? { path: ['properties', 'products'], message: `the products' price × quantity must sum within ±${MAX_ORDER_AMOUNT.toLocaleString('en')}` } : null;
}

/** One Segment message as a client sends it (type comes from the route or the batch item). */
export const MessageSchema = z
  .object({
    type: z.enum(MESSAGE_TYPES),
    messageId: z.string().min(1).max(200).nullish(),
    userId: id,
    anonymousId: id,
    event: z.string().max(500).nullish(),
    name: z.string().max(500).nullish(),
    category: z.string().max(500).nullish(),
    previousId: id,
    groupId: id,
    timestamp: isoDate,
    originalTimestamp: isoDate,
    sentAt: isoDate,
    properties: record,
    traits: record,
    context: record,
    integrations: record,
  })
  .passthrough()
  .superRefine((m, ctx) => {
    if (!m.userId && !m.anonymousId && m.type !== 'alias') {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
    }
    if (m.type === 'track' && !m.event) ctx.addIssue({ code: 'custom', path: ['event'], message: 'track needs an event name' });
    if (m.type === 'alias' && (!m.previousId || !m.userId)) {
      ctx.addIssue({ code: 'custom', path: ['previousId'], message: 'alias needs previousId and userId' });
    }
    if (m.type === 'group' && !m.groupId) ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'group needs a groupId' });
    const amount = m.type === 'track' ? orderAmountIssue(m.event, m.properties) : null;
    if (amount) ctx.addIssue({ code: 'custom', ...amount });
  });

export type IncomingMessage = z.infer<typeof MessageSchema>;

/** The stored (normalised) event: the Segment shape plus receivedAt and the corrected timestamp. */
export interface StoredEvent {
  type: MessageType;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  name?: string;
  previousId?: string;
  groupId?: string;
  timestamp: string;
  originalTimestamp?: string;
  sentAt?: string;
  receivedAt: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
}

/** Segment's documented limits. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MAX_DEPTH = 32;
/** A batch-level `context` is copied into every event of the batch, so it is kept small. */
export const MAX_CONTEXT_BYTES = 8 * 1024;
