import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { appError } from '../platform/errors.ts';

/** Bodies past this are refused before parsing (413); Segment batches stop at 500 KB. */
export const HARD_BODY_LIMIT = 4 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    bodyBytes?: number;
  }
}

function decode(req: FastifyRequest, raw: Buffer): Buffer {
  const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(raw, { maxOutputLength: HARD_BODY_LIMIT });
    if (enc === 'deflate') return zlib.inflateSync(raw, { maxOutputLength: HARD_BODY_LIMIT });
    if (enc === 'br') return zlib.brotliDecompressSync(raw, { maxOutputLength: HARD_BODY_LIMIT });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw appError('PAYLOAD_TOO_LARGE', `the decompressed body is over ${HARD_BODY_LIMIT} bytes`);
    throw appError('BAD_ENCODING', `the ${enc} body could not be decompressed`);
  }
  if (enc !== 'identity' && enc !== '') throw appError('BAD_ENCODING', `content-encoding "${enc}" is not supported (use gzip, deflate or br)`);
  return raw;
}

/**
 * JSON bodies (also gzip / deflate / br encoded), parsed with prototype-poisoning protection.
 * `text/plain` is read as JSON too, as Segment's collection API does; so is
 * `application/x-www-form-urlencoded` at /v1/* (axios-based SDKs such as RudderStack's send their
 * gzip JSON batches under that default type).
 */
export function registerBodyParsers(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  const parse = (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    try {
      const buf = decode(req, body);
      req.bodyBytes = buf.length;
      if (buf.length === 0) return done(appError('BAD_JSON', 'the body is empty'));
      const text = buf.toString('utf8');
      let value: unknown;
      try {
        value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch (e) {
        const msg = (e as Error).message;
        if (/prototype|constructor/i.test(msg)) return done(appError('VALIDATION_FAILED', 'the body contains a forbidden "__proto__" or "constructor.prototype" key', [{ path: '__proto__', message: 'forbidden key' }]));
        return done(appError('BAD_JSON', `the body is not valid JSON: ${msg}`));
      }
      done(null, value);
    } catch (e) {
      done(e as Error);
    }
  };
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, parse);
  app.addContentTypeParser(/^application\/[a-z.+-]*json$/, { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, parse);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, (req, body, done) => {
    if (!req.url.startsWith('/v1/')) return done(appError('UNSUPPORTED_MEDIA_TYPE', 'send JSON (application/json)'));
    parse(req, body as Buffer, done);
  });
}
