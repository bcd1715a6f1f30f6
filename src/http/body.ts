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

function decode(contentEncoding: string | string[] | undefined, raw: Buffer): Buffer {
  const enc = String(contentEncoding ?? 'identity').toLowerCase().trim();
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
 * A request body as JSON: decompressed per its content-encoding, parsed with prototype-poisoning
 * protection. Throws the coded errors the client gets (BAD_ENCODING, PAYLOAD_TOO_LARGE, BAD_JSON,
 * VALIDATION_FAILED for a forbidden key). `bytes`: the decompressed size. Pure: the batch routes
 * also run it on a worker thread (parse-pool.ts).
 */
export function decodeJsonBody(raw: Buffer, contentEncoding: string | string[] | undefined): { value: unknown; bytes: number } {
  const buf = decode(contentEncoding, raw);
  if (buf.length === 0) throw appError('BAD_JSON', 'the body is empty');
  const text = buf.toString('utf8');
  try {
    return { value: sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }), bytes: buf.length };
  } catch (e) {
    const msg = (e as Error).message;
    if (/prototype|constructor/i.test(msg)) throw appError('VALIDATION_FAILED', 'the body contains a forbidden "__proto__" or "constructor.prototype" key', [{ path: '__proto__', message: 'forbidden key' }]);
    throw appError('BAD_JSON', `the body is not valid JSON: ${msg}`);
  }
}

/** The content types read as JSON (see registerBodyParsers); a route taking raw bodies accepts the same. */
export const JSON_TYPES = ['application/json', 'text/plain'];
export const JSON_TYPE_PATTERN = /^application\/[a-z.+-]*json$/;

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
      const { value, bytes } = decodeJsonBody(body, req.headers['content-encoding']);
      req.bodyBytes = bytes;
      done(null, value);
    } catch (e) {
      done(e as Error);
    }
  };
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, parse);
  app.addContentTypeParser(JSON_TYPE_PATTERN, { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, parse);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, (req, body, done) => {
    if (!req.url.startsWith('/v1/')) return done(appError('UNSUPPORTED_MEDIA_TYPE', 'send JSON (application/json)'));
    parse(req, body as Buffer, done);
  });
}

/**
 * The same content types as registerBodyParsers, handed over as raw bytes (req.body is the
 * Buffer): for routes that decode their bodies elsewhere (the batch routes: batch/pool.ts). For an
 * encapsulated Fastify context, so other routes keep the JSON parsers.
 */
export function registerRawBodyParsers(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => done(null, body);
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, raw);
  app.addContentTypeParser(JSON_TYPE_PATTERN, { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, raw);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: HARD_BODY_LIMIT }, raw);
}
