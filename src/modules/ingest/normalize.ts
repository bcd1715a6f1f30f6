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

/**
 * Validates and normalises one raw message. Throws VALIDATION_FAILED / EVENT_TOO_LARGE naming the
 * batch index and field. `type` overrides the message's type (single-message routes).
 */
export function normalizeMessage(raw: unknown, index: number, receivedAt: Date, type?: MessageType, envelope: BatchEnvelope = {}): StoredEvent {
  const at = (p: (string | number)[]) => ['batch', index, ...p];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw appError('VALIDATION_FAILED', `batch[${index}] is not an object`, [{ path: `batch.${index}`, message: 'expected an object' }]);
  }
  // Depth first: JSON.stringify of a very deeply nested value overflows the stack.
  const bad = findUnstorable(raw, at([]), 0);
  if (bad) throw appError('VALIDATION_FAILED', `batch[${index}]: ${bad.path} ${bad.message}`, [{ ...bad, index }]);
  const size = Buffer.byteLength(JSON.stringify(raw));
  if (size > MAX_EVENT_BYTES) {
    throw appError('EVENT_TOO_LARGE', `batch[${index}] is ${size} bytes; the limit is ${MAX_EVENT_BYTES}`, { index, bytes: size, limit: MAX_EVENT_BYTES });
  }
  const input = type ? { ...(raw as Record<string, unknown>), type } : (raw as Record<string, unknown>);
  // The common valid message skips zod (same result, see fast-parse.ts); zod names what is wrong.
  let m: FastMessage | undefined = fastParseMessage(input);
  if (!m) {
    const parsed = MessageSchema.safeParse(input);
    if (!parsed.success) {
      const details = zodDetails(parsed.error.issues, at([])).map((d) => ({ ...d, index }));
      throw appError('VALIDATION_FAILED', `batch[${index}]: ${details[0]?.path} ${details[0]?.message}`, details);
    }
    m = parsed.data;
  }
  const original = iso(m.timestamp ?? m.originalTimestamp);
  const sentAtRaw = m.sentAt ?? (typeof envelope.sentAt === 'string' ? envelope.sentAt : undefined);
  const sentAt = sentAtRaw !== undefined && Number.isFinite(new Date(sentAtRaw).getTime()) ? iso(sentAtRaw) : undefined;
  let timestamp = original ?? receivedAt.toISOString();
  if (original && sentAt) {
    // Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp),
    // unless an absurd skew would take it out of the storable range.
    const corrected = receivedAt.getTime() - (Date.parse(sentAt) - Date.parse(original));
    if (inTimeRange(corrected)) timestamp = new Date(corrected).toISOString();
  }
  const envCtx = envelope.context && typeof envelope.context === 'object' && !Array.isArray(envelope.context) ? (envelope.context as Record<string, unknown>) : undefined;
  const context = envCtx || m.context ? { ...(envCtx ?? {}), ...(m.context ?? {}) } : undefined;
  const out: StoredEvent = {
    type: m.type,
    messageId: m.messageId ?? `srv-${randomUUID()}`,
    timestamp,
    receivedAt: receivedAt.toISOString(),
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

/** Validates a whole batch body; all-or-nothing: the first bad item rejects the request. */
export function normalizeBatch(body: unknown, bodyBytes: number, receivedAt: Date): StoredEvent[] {
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
  return b.batch.map((item, i) => normalizeMessage(item, i, receivedAt, undefined, b));
}
