import { appError, isAppError, type ErrorCode } from '../../platform/errors.ts';
import { encodeBatch, type EncodedEvents } from '../../modules/ingest/index.ts';
import { decodeJsonBody } from '../body.ts';

/** An error as it crosses a thread: the catalogue code and what the client is told. */
export interface WireError {
  code?: ErrorCode;
  message: string;
  details?: unknown;
  retryAfterSeconds?: number;
}

/**
 * What a POST /v1/batch body comes to, never thrown: the validated events, or the error with the
 * stage it belongs to. A `parse` error (encoding, JSON) is answered before authentication, as the
 * body parsers of the other routes do; a `validate` error after it. `writeKey`: the body's own
 * (Segment lets clients send the key there).
 */
export type ParsedBatch =
  | { ok: true; events: EncodedEvents; writeKey?: string }
  | { ok: false; stage: 'parse' | 'validate'; error: WireError; writeKey?: string };

const wire = (e: unknown): WireError =>
  isAppError(e) ? { code: e.code, message: e.message, details: e.details, retryAfterSeconds: e.retryAfterSeconds } : { message: (e as Error)?.message ?? String(e) };

/** The thrown form again: a coded error as the catalogue has it; anything else stays an internal error. */
export const unwire = (e: WireError): Error => (e.code ? appError(e.code, e.message, e.details, e.retryAfterSeconds) : new Error(e.message));

/** Decodes, parses and validates a batch body (the work the parse threads take off the event loop). */
export function parseBatch(raw: Buffer, contentEncoding: string | undefined, receivedAt: Date): ParsedBatch {
  let value: unknown;
  let bytes: number;
  try {
    ({ value, bytes } = decodeJsonBody(raw, contentEncoding));
  } catch (e) {
    return { ok: false, stage: 'parse', error: wire(e) };
  }
  const key = (value as { writeKey?: unknown } | null)?.writeKey;
  const writeKey = typeof key === 'string' ? key : undefined;
  try {
    return { ok: true, events: encodeBatch(value, bytes, receivedAt), writeKey };
  } catch (e) {
    return { ok: false, stage: 'validate', error: wire(e), writeKey };
  }
}
