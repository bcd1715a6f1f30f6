import { MESSAGE_TYPES, inTimeRange, orderAmountIssue, type IncomingMessage } from './schema.ts';

/**
 * The hot path of validation: a hand-written check of the common, valid message that returns
 * what `MessageSchema.safeParse(input).data` would for the fields normalisation reads, or
 * `undefined` when it is not sure. It is conservative by contract: it returns a value only for
 * input MessageSchema accepts with the same output; everything else (every invalid message, and
 * anything unusual) goes through zod, which names the field. test/ingest/fast-parse.test.ts holds
 * it to that against zod on generated input.
 */
export type FastMessage = Pick<
  IncomingMessage,
  'type' | 'messageId' | 'userId' | 'anonymousId' | 'event' | 'name' | 'previousId' | 'groupId' | 'timestamp' | 'originalTimestamp' | 'sentAt' | 'properties' | 'traits' | 'context' | 'integrations'
>;

const TYPES = new Set<string>(MESSAGE_TYPES);
/** Sentinel for "not sure": the caller falls back to zod. */
const NO = Symbol('no');

/** z.union([z.string().max(256), z.number().finite()]).transform(String).nullish() */
function id(v: unknown): string | null | undefined | typeof NO {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return v.length <= 256 ? v : NO;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : NO;
  return NO;
}

/** z.string().max(max).nullish() */
function str(v: unknown, max: number): string | null | undefined | typeof NO {
  if (v === undefined || v === null) return v;
  return typeof v === 'string' && v.length <= max ? v : NO;
}

/** isoDate: a string (≤ 64) or finite number that is a date in years 0001..9999, nullish. */
function date(v: unknown): string | number | null | undefined | typeof NO {
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return v.length <= 64 && inTimeRange(new Date(v).getTime()) ? v : NO;
  if (typeof v === 'number') return Number.isFinite(v) && inTimeRange(new Date(v).getTime()) ? v : NO;
  return NO;
}

/** z.record(z.string(), z.unknown()).nullish(), for plain objects only (the same object: nothing mutates it). */
function record(v: unknown): Record<string, unknown> | null | undefined | typeof NO {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'object' || Array.isArray(v)) return NO;
  // Plain objects as JSON.parse makes them; zod copies records, which an own "__proto__" key would not survive.
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.prototype.hasOwnProperty.call(v, '__proto__')) return NO;
  return v as Record<string, unknown>;
}

export function fastParseMessage(input: Record<string, unknown>): FastMessage | undefined {
  const type = input.type;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  const messageId = input.messageId;
  if (!(messageId === undefined || messageId === null || (typeof messageId === 'string' && messageId.length >= 1 && messageId.length <= 200))) return undefined;
  const userId = id(input.userId);
  const anonymousId = id(input.anonymousId);
  const previousId = id(input.previousId);
  const groupId = id(input.groupId);
  const event = str(input.event, 500);
  const name = str(input.name, 500);
  const category = str(input.category, 500);
  const timestamp = date(input.timestamp);
  const originalTimestamp = date(input.originalTimestamp);
  const sentAt = date(input.sentAt);
  const properties = record(input.properties);
  const traits = record(input.traits);
  const context = record(input.context);
  const integrations = record(input.integrations);
  if (
    userId === NO || anonymousId === NO || previousId === NO || groupId === NO || event === NO || name === NO || category === NO ||
    timestamp === NO || originalTimestamp === NO || sentAt === NO || properties === NO || traits === NO || context === NO || integrations === NO
  ) {
    return undefined;
  }
  // MessageSchema's superRefine rules; a message breaking one goes to zod for its error.
  if (!userId && !anonymousId && type !== 'alias') return undefined;
  if (type === 'track' && !event) return undefined;
  if (type === 'alias' && (!previousId || !userId)) return undefined;
  if (type === 'group' && !groupId) return undefined;
  if (type === 'track' && orderAmountIssue(event, properties)) return undefined;
  return {
    type: type as FastMessage['type'],
    messageId: messageId as string | null | undefined,
    userId, anonymousId, event, name, previousId, groupId, timestamp, originalTimestamp, sentAt, properties, traits, context, integrations,
  };
}
