import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CATALOGUE, appError, isAppError, type AppError } from '../platform/errors.ts';

/** The one place errors become HTTP: `{ error: { code, message, details } }` with the catalogue's status. */
export function sendError(reply: FastifyReply, e: AppError) {
  if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', String(e.retryAfterSeconds));
  return reply.status(e.status).send({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
}

const FASTIFY_CODES: Record<string, AppError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export function registerErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (isAppError(err)) {
      if (err.status >= 500) req.log.warn({ code: err.code, msg: err.message }, 'request failed');
      return sendError(reply, err);
    }
    const code = FASTIFY_CODES[(err as FastifyError).code ?? ''];
    if (code) return sendError(reply, appError(code, err.message));
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return sendError(reply, { ...appError('VALIDATION_FAILED', err.message), status } as AppError);
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, appError('INTERNAL'));
  });
}

export { ERROR_CATALOGUE };
