// POST /v1/batch bodies of 16 KB and more are decoded, parsed and validated on a parse thread
// (src/http/batch/pool.ts). The answers are the ones the event loop gives (the same function):
// stored events byte for byte, coded errors with the same order (body encoding and JSON before
// the write key, the events after it), and a failed thread only moves the work back inline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { BatchParser, INLINE_BELOW_BYTES } from '../../src/http/batch/pool.ts';
import { parseBatch, type ParsedBatch } from '../../src/http/batch/parse.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';
import { startTestApp, basic, WRITE_KEY } from '../helpers/engine.ts';

const events = (tag: string, n: number, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({ type: 'track', event: 'Product Viewed', userId: `u${i % 7}`, messageId: `${tag}-${i}`, timestamp: '2026-01-01T00:00:00.000Z', properties: { product_id: `p${i}`, name: '口红 lipstick', price: 99.5 }, ...extra }));
const big = (tag: string, batch: unknown[], more: Record<string, unknown> = {}) => {
  const b = Buffer.from(JSON.stringify({ batch, sentAt: '2026-01-01T00:00:01.000Z', ...more }));
  assert.ok(b.length >= INLINE_BELOW_BYTES, `${tag}: ${b.length} bytes is under the threads' threshold`);
  return b;
};
const plain = (p: ParsedBatch) =>
  p.ok ? { ok: true, ids: p.events.messageIds, bodies: p.events.bodies.map((b) => b.toString('utf8')), key: p.writeKey } : { ...p, error: { ...p.error } };

test('batch parse threads: same answers as inline, for good and bad bodies, and after a thread dies', async () => {
  const parser = new BatchParser(1, createLogger('silent'));
  const at = new Date('2026-01-01T00:00:02.000Z');
  const bodies: Array<[string, Buffer, string | undefined]> = [
    ['valid', big('valid', events('a', 120)), undefined],
    ['valid, gzip', zlib.gzipSync(big('gz', events('g', 120))), 'gzip'],
    ['write key in the body', big('key', events('k', 120), { writeKey: 'wk-in-body' }), undefined],
    ['bad event at 97', big('bad', events('b', 120).map((e, i) => (i === 97 ? { ...e, event: undefined } : e))), undefined],
    ['NUL at 50', big('nul', events('n', 120).map((e, i) => (i === 50 ? { ...e, properties: { x: 'a\u0000b' } } : e))), undefined],
    ['not JSON', Buffer.concat([big('x', events('x', 120)), Buffer.from('}')]), undefined],
    ['corrupt gzip', Buffer.alloc(INLINE_BELOW_BYTES, 7), 'gzip'],
  ];
  try {
    for (const [name, body, enc] of bodies) {
      const threaded = await parser.parse(body, enc, at);
      assert.deepEqual(plain(threaded), plain(parseBatch(body, enc, at)), name);
    }
    assert.equal(parser.threadsRunning, 1, 'the large bodies went to the thread');
    const valid = await parser.parse(bodies[0]![1], undefined, at);
    assert.ok(valid.ok && valid.events.messageIds.length === 120);
    // A thread that dies: its unanswered requests and all later ones are parsed inline, same answers.
    const inFlight = Array.from({ length: 5 }, () => parser.parse(bodies[3]![1], undefined, at));
    await (parser as unknown as { workers: Array<{ w: { terminate(): Promise<number> } }> }).workers[0]!.w.terminate();
    for (const r of await Promise.all(inFlight)) assert.deepEqual(plain(r), plain(parseBatch(bodies[3]![1], undefined, at)));
    assert.deepEqual(plain(await parser.parse(bodies[1]![1], 'gzip', at)), plain(parseBatch(bodies[1]![1], 'gzip', at)));
  } finally {
    await parser.close();
  }
});

test('batch parse threads over HTTP: a large batch is stored; errors keep their order and codes', async () => {
  const t = await startTestApp();
  const post = (body: Buffer, headers: Record<string, string> = {}) =>
    t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: body, headers: { 'content-type': 'application/json', authorization: basic(), ...headers } });
  try {
    const ok = await post(big('ok', events('h', 150)));
    assert.equal(ok.statusCode, 200);
    assert.equal(await countStoredIds(t.engine.op, 'default'), 150);
    // The key in the body instead of the header.
    const inBody = await post(big('kb', events('hk', 100), { writeKey: WRITE_KEY }), { authorization: '' });
    assert.equal(inBody.statusCode, 200);
    // Invalid events with a bad key: the key is refused first (401), as on the other routes.
    const badBoth = await post(big('bb', events('bb', 100).map((e, i) => (i === 60 ? { ...e, type: 'nope' } : e))), { authorization: basic('lb_wk_not_a_key_000000000') });
    assert.equal(badBoth.statusCode, 401);
    // Broken JSON with a bad key: the body is refused first (400 BAD_JSON), as the JSON parsers do.
    const badJson = await post(Buffer.concat([big('bj', events('bj', 100)), Buffer.from(',')]), { authorization: basic('lb_wk_not_a_key_000000000') });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'BAD_JSON');
    const badEvent = await post(big('be', events('be', 100).map((e, i) => (i === 60 ? { ...e, type: 'nope' } : e))));
    assert.equal(badEvent.statusCode, 400);
    assert.equal(badEvent.json().error.code, 'VALIDATION_FAILED');
    assert.match(badEvent.json().error.message, /batch\[60\]/);
    assert.equal(await countStoredIds(t.engine.op, 'default'), 250, 'nothing from the refused requests');
  } finally {
    await t.close();
  }
});
