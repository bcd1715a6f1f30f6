/**
 * The one catalogue of coded errors. Every error a client can see is listed here with its HTTP
 * status; handlers throw `appError(code, ...)` and the HTTP layer maps it in one place.
 * Errors are identified by `code`, never by `instanceof`. docs/errors.md documents each code.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, message: 'The request is invalid.' },
  BAD_JSON: { status: 400, message: 'The body is not valid JSON.' },
  BAD_ENCODING: { status: 400, message: 'The body encoding is not supported or is corrupt.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported.' },
  EVENT_TOO_LARGE: { status: 400, message: 'An event is larger than 32 KB.' },
  BATCH_TOO_LARGE: { status: 400, message: 'The batch is larger than 500 KB.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is far larger than any accepted batch.' },
  RULE_INVALID: { status: 400, message: 'The segment rule is invalid.' },
  RULE_TOO_DEEP: { status: 400, message: 'The segment rule is nested too deeply.' },
  RULE_TOO_LARGE: { status: 400, message: 'The segment rule has too many conditions.' },
  RULE_TOO_COSTLY: { status: 400, message: 'The segment rule would cost too much to evaluate.' },
  RULE_CYCLE: { status: 400, message: 'The segment rule refers back to itself through other segments.' },
  UNAUTHENTICATED: { status: 401, message: 'Missing or invalid credentials.' },
  FORBIDDEN: { status: 403, message: 'Not allowed.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  NOT_ENOUGH_DATA: { status: 409, message: 'There is not enough data for this yet.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  LOGIN_THROTTLED: { status: 429, message: 'Too many failed logins; retry later.' },
  STORE_UNAVAILABLE: { status: 503, message: 'A store cannot commit right now; retry later.' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry later.' },
  INTERNAL: { status: 500, message: 'An internal error occurred.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface AppError extends Error {
  code: ErrorCode;
  status: number;
  details?: unknown;
  retryAfterSeconds?: number;
}

export function appError(
  code: ErrorCode,
  message?: string,
  details?: unknown,
  retryAfterSeconds?: number,
): AppError {
  const entry = ERROR_CATALOGUE[code];
  const err = new Error(message ?? entry.message) as AppError;
  err.code = code;
  err.status = entry.status;
  if (details !== undefined) err.details = details;
  if (retryAfterSeconds !== undefined) err.retryAfterSeconds = retryAfterSeconds;
  return err;
}

export function isAppError(e: unknown): e is AppError {
  return (
    typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' &&
    (e as { code: string }).code in ERROR_CATALOGUE && typeof (e as { status?: unknown }).status === 'number'
  );
}

/** Turns zod issues into the `details` of a VALIDATION_FAILED error: a list of `{ path, message }`. */
export function zodDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix: (string | number)[] = []) {
  return issues.slice(0, 20).map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.'),
    message: i.message,
  }));
}
