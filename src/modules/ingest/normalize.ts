import { randomUUID } from 'node:crypto';
import { appError, zodDetails } from '../../platform/errors.ts';
import { fastParseMessage, type FastMessage } from './fast-parse.ts';
import { MAX_BATCH_BYTES, MAX_CONTEXT_BYTES, MAX_DEPTH, MAX_EVENT_BYTES, MessageSchema, inTimeRange, type MessageType, type StoredEvent } from './schema.ts';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const ANY_SURROGATE = /[\ud800-\udfff]/;

/** Why a string cannot be stored faithfully, or null. */
function badString(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  // The cheap test first: almost no string has a surrogate at all.
  if (ANY_SURROGATE.test(s) && LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/**
 * Finds the first value the stores cannot hold faithfully: NUL, lone surrogates, excessive depth.
 * The path of the bad value is built only when there is one (`path` is its reversed tail).
 */
function findUnstorable(v: unknown, path: (string | number)[], depth: number): { path: string; message: string } | null {
  const bad = unstorable(v, depth);
  return bad ? { path: [...path, ...bad.rev.reverse()].join('.'), message: bad.message } : null;
}

function unstorable(v: unknown, depth: number): { rev: (string | number)[]; message: string } | null {
  if (depth > MAX_DEPTH) return { rev: [], message: `nesting deeper than ${MAX_DEPTH}` };
  if (typeof v === 'string') {
    const m = badString(v);
    return m ? { rev: [], message: m } : null;
  }
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = unstorable(v[i], depth + 1);
      if (bad) {
        bad.rev.push(i);
        return bad;
      }
    }
    return null;
  }
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (depth + 1 > MAX_DEPTH) return { rev: [k], message: `key nesting deeper than ${MAX_DEPTH}` };
    const km = badString(k);
    if (km) return { rev: [k], message: `key ${km}` };
    const bad = unstorable((v as Record<string, unknown>)[k], depth + 1);
    if (bad) {
      bad.rev.push(k);
      return bad;
    }
  }
  return null;
}

const iso = (v: string | number | null | undefined) => (v === null || v === undefined ? undefined : new Date(v).toISOString());

export interface BatchEnvelope {
  sentAt?: unknown;
  context?: unknown;
}

/** What every message of one request shares: the receive time (once as text) and the envelope. */
interface Received {
  at: Date;
  iso: string;
  envelope: BatchEnvelope;
  /** The envelope's sentAt as ISO text (null: none or not a date), computed once per request. */
  envelopeSentAt?: string | null;
}

const received = (at: Date, envelope: BatchEnvelope = {}): Received => ({ at, iso: at.toISOString(), envelope });

/**
 * Events as the writer takes them: each event's messageId and its stored JSON as UTF-8 (the bytes
 * the size limit is measured on, serialised once).
 */
export interface EncodedEvents {
  messageIds: string[];
  bodies: Buffer[];
}

/**
 * A JSON text's escapes of what the stores cannot hold: NUL and lone surrogates (JSON.stringify
 * writes both as \u escapes, and nothing else it writes looks like them). A literal backslash
 * before "u0000" also matches: a false alarm only costs the exact check.
 */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** At most `limit` of `{` and `[` in `s`? (An upper bound on nesting; strings' brackets count too.) */
function fewBrackets(s: string, limit: number): boolean {
  let n = 0;
  for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) if (++n > limit) return false;
  for (let i = s.indexOf('['); i >= 0; i = s.indexOf('[', i + 1)) if (++n > limit) return false;
  return true;
}

/**
 * Validates and normalises one raw message. Throws VALIDATION_FAILED / EVENT_TOO_LARGE naming the
 * batch index and field. `type` overrides the message's type (single-message routes).
 */
export function normalizeMessage(raw: unknown, index: number, receivedAt: Date, type?: MessageType, envelope: BatchEnvelope = {}): StoredEvent {
  return normalizeOne(raw, index, received(receivedAt, envelope), type).event;
}

/**
 * The one validation path. The common message is checked on its stored JSON, serialised once:
 * its size, no NUL / lone-surrogate escape, few enough brackets that it cannot nest too deep.
 * Anything else takes the exact checks on the message as sent (in the order that names the first
 * problem: not an object, unstorable value with its path, then the schema), so the errors are
 * the same whichever way a message goes.
 *
 * The 32 KB limit is measured on the event as stored (its normalised JSON: receivedAt, the
 * corrected timestamp, the batch context merged in; top-level fields outside the spec are not
 * stored and not counted).
 */
function normalizeOne(raw: unknown, index: number, r: Received, type?: MessageType): { event: StoredEvent; body: Buffer } {
  const at = (p: (string | number)[]) => ['batch', index, ...p];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw appError('VALIDATION_FAILED', `batch[${index}] is not an object`, [{ path: `batch.${index}`, message: 'expected an object' }]);
  }
  const input = type ? { ...(raw as Record<string, unknown>), type } : (raw as Record<string, unknown>);
  // The common valid message skips zod (same result, see fast-parse.ts).
  let m: FastMessage | undefined = fastParseMessage(input);
  if (m) {
    const event = build(m, r);
    let text: string | undefined;
    try {
      text = JSON.stringify(event);
    } catch {
      // RangeError: nested too deeply to serialise; the exact checks below name it
    }
    if (text !== undefined && fewBrackets(text, MAX_DEPTH) && !SUSPECT_ESCAPE.test(text)) {
      const unstored = unstoredBytes(input, false);
      if (unstored >= 0) {
        const body = Buffer.from(text);
        if (body.length + unstored > MAX_EVENT_BYTES) throw tooLarge(index, body.length + unstored);
        return { event, body };
      }
    }
  }
  // Depth first: JSON.stringify of a very deeply nested value overflows the stack.
  const bad = findUnstorable(raw, at([]), 0);
  if (bad) throw appError('VALIDATION_FAILED', `batch[${index}]: ${bad.path} ${bad.message}`, [{ ...bad, index }]);
  if (!m) {
    // An invalid message has no stored form: it is measured as sent, before the schema names a field.
    const sent = Buffer.byteLength(JSON.stringify(raw));
    if (sent > MAX_EVENT_BYTES) throw tooLarge(index, sent);
    const parsed = MessageSchema.safeParse(input);
    if (!parsed.success) {
      const details = zodDetails(parsed.error.issues, at([])).map((d) => ({ ...d, index }));
      throw appError('VALIDATION_FAILED', `batch[${index}]: ${details[0]?.path} ${details[0]?.message}`, details);
    }
    m = parsed.data;
  }
  const event = build(m, r);
  const body = Buffer.from(JSON.stringify(event));
  const size = body.length + unstoredBytes(input);
  if (size > MAX_EVENT_BYTES) throw tooLarge(index, size);
  return { event, body };
}

/** The top-level fields a StoredEvent keeps; a message's other fields are dropped. */
const STORED_FIELDS = new Set(['type', 'messageId', 'userId', 'anonymousId', 'event', 'name', 'previousId', 'groupId', 'timestamp', 'originalTimestamp', 'sentAt', 'receivedAt', 'properties', 'traits', 'context', 'integrations']);

/**
 * JSON bytes of a message's top-level fields that are not stored (they count towards its size all
 * the same); -1 when one holds an object or array (`exact`: only after the exact checks passed).
 */
function unstoredBytes(input: Record<string, unknown>, exact = true): number {
  let n = 0;
  for (const k in input) {
    if (STORED_FIELDS.has(k) || !Object.prototype.hasOwnProperty.call(input, k)) continue;
    const v = input[k];
    if (!exact && (typeof v === 'object' && v !== null || badString(k) || (typeof v === 'string' && badString(v)))) return -1;
    n += Buffer.byteLength(JSON.stringify(v) ?? 'null') + Buffer.byteLength(k) + 4;
  }
  return n;
}

const tooLarge = (index: number, size: number) =>
  appError('EVENT_TOO_LARGE', `batch[${index}] is ${size} bytes as stored; the limit is ${MAX_EVENT_BYTES}`, { index, bytes: size, limit: MAX_EVENT_BYTES });

/** The stored event of a valid message: Segment's clock-skew correction, the batch context merged in. */
function build(m: FastMessage, r: Received): StoredEvent {
  const original = iso(m.timestamp ?? m.originalTimestamp);
  let sentAt: string | undefined;
  if (m.sentAt !== undefined && m.sentAt !== null) sentAt = iso(m.sentAt);
  else if (typeof r.envelope.sentAt === 'string') {
    if (r.envelopeSentAt === undefined) {
      const t = new Date(r.envelope.sentAt);
      r.envelopeSentAt = Number.isFinite(t.getTime()) ? t.toISOString() : null;
    }
    sentAt = r.envelopeSentAt ?? undefined;
  }
  let timestamp = original ?? r.iso;
  if (original && sentAt) {
    // Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp),
    // unless an absurd skew would take it out of the storable range.
    const corrected = r.at.getTime() - (Date.parse(sentAt) - Date.parse(original));
    if (inTimeRange(corrected)) timestamp = new Date(corrected).toISOString();
  }
  const env = r.envelope.context;
  const envCtx = env && typeof env === 'object' && !Array.isArray(env) ? (env as Record<string, unknown>) : undefined;
  const context = envCtx || m.context ? { ...(envCtx ?? {}), ...(m.context ?? {}) } : undefined;
  const out: StoredEvent = {
    type: m.type,
    messageId: m.messageId ?? `srv-${randomUUID()}`,
    timestamp,
    receivedAt: r.iso,
  };
  if (m.userId) out.userId = m.userId;
  if (m.anonymousId) out.anonymousId = m.anonymousId;
  if (m.event) out.event = m.event;
  if (m.name) out.name = m.name;
  if (m.previousId) out.previousId = m.previousId;
  if (m.groupId) out.groupId = m.groupId;
  if (original) out.originalTimestamp = original;
  if (sentAt) out.sentAt = sentAt;
  if (m.properties) out.properties = m.properties;
  if (m.traits) out.traits = m.traits;
  if (context) out.context = context;
  if (m.integrations) out.integrations = m.integrations;
  return out;
}

/** The batch's items once the body's shape, size and context are checked. */
function batchItems(body: unknown, bodyBytes: number): unknown[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw appError('VALIDATION_FAILED', 'the body must be an object with a "batch" array', [{ path: 'batch', message: 'expected an object' }]);
  }
  const b = body as { batch?: unknown; sentAt?: unknown; context?: unknown };
  if (!Array.isArray(b.batch)) throw appError('VALIDATION_FAILED', '"batch" must be an array', [{ path: 'batch', message: 'expected an array' }]);
  if (bodyBytes > MAX_BATCH_BYTES) {
    let total = 2;
    let index = Math.max(0, b.batch.length - 1);
    for (let i = 0; i < b.batch.length; i++) {
      let size = Infinity; // an item too deeply nested to serialise counts as over the limit
      try {
        size = Buffer.byteLength(JSON.stringify(b.batch[i]) ?? '');
      } catch {
        // RangeError: maximum call stack size exceeded
      }
      total += size + 1;
      if (total > MAX_BATCH_BYTES) {
        index = i;
        break;
      }
    }
    throw appError('BATCH_TOO_LARGE', `the batch is ${bodyBytes} bytes; the limit is ${MAX_BATCH_BYTES} (exceeded at batch[${index}])`, { index, bytes: bodyBytes, limit: MAX_BATCH_BYTES });
  }
  if (b.batch.length === 0) return [];
  // The batch's `context` is merged into every event, so it must be storable too, and small.
  if (b.context && typeof b.context === 'object' && !Array.isArray(b.context)) {
    const bad = findUnstorable(b.context, ['context'], 1);
    if (bad) throw appError('VALIDATION_FAILED', `${bad.path} ${bad.message}`, [bad]);
    const size = Buffer.byteLength(JSON.stringify(b.context));
    if (size > MAX_CONTEXT_BYTES) {
      throw appError('VALIDATION_FAILED', `the batch context is ${size} bytes; the limit is ${MAX_CONTEXT_BYTES}`, [{ path: 'context', message: `over ${MAX_CONTEXT_BYTES} bytes` }]);
    }
  }
  return b.batch;
}

/** Validates a whole batch body; all-or-nothing: the first bad item rejects the request. */
export function normalizeBatch(body: unknown, bodyBytes: number, receivedAt: Date): StoredEvent[] {
  const items = batchItems(body, bodyBytes);
  const r = received(receivedAt, body as BatchEnvelope);
  return items.map((item, i) => normalizeOne(item, i, r).event);
}

/** normalizeBatch for the writer: the events' messageIds and stored JSON, each serialised once. */
export function encodeBatch(body: unknown, bodyBytes: number, receivedAt: Date): EncodedEvents {
  const items = batchItems(body, bodyBytes);
  const r = received(receivedAt, body as BatchEnvelope);
  const messageIds = new Array<string>(items.length);
  const bodies = new Array<Buffer>(items.length);
  for (let i = 0; i < items.length; i++) {
    const one = normalizeOne(items[i], i, r);
    messageIds[i] = one.event.messageId;
    bodies[i] = one.body;
  }
  return { messageIds, bodies };
}

/** normalizeMessage for the writer (single-message routes, import). */
export function encodeMessage(raw: unknown, index: number, receivedAt: Date, type?: MessageType): EncodedEvents {
  const one = normalizeOne(raw, index, received(receivedAt), type);
  return { messageIds: [one.event.messageId], bodies: [one.body] };
}
