/** Collection: Segment-spec validation, limits, exactly-once durable writes, the outbox. */
export { MessageSchema, MESSAGE_TYPES, MAX_BATCH_BYTES, MAX_EVENT_BYTES, MAX_ORDER_AMOUNT, lineQuantity, type StoredEvent, type MessageType } from './schema.ts';
export { normalizeBatch, normalizeMessage, encodeBatch, encodeMessage, type EncodedEvents } from './normalize.ts';
export { IngestWriter, insertEvents } from './writer.ts';
export { readOutbox, getCursor, setCursor, trimOutbox, outboxBacklog, countStoredIds, type OutboxRow } from './outbox.ts';
export { RateLimiter } from './ratelimit.ts';
