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
