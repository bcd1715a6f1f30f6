// Property-based fuzzing of every collection endpoint with malformed requests (fast-check).
// For any request: the status is 2xx or 4xx (never 5xx), a 4xx carries { error: { code, message } },
// a rejected request stores nothing, nothing pollutes Object.prototype, and the server keeps
// answering. Afterwards the background consumers must digest everything that was accepted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { startTestApp, basic, WRITE_KEY } from '../helpers/engine.ts';
import { countStoredIds } from '../../src/modules/ingest/index.ts';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

let t: Awaited<ReturnType<typeof startTestApp>>;
const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
const stats = { requests: 0, accepted: 0, byStatus: new Map<number, number>() };

before(async () => {
  // Consumers start at the end, so the fuzz loop measures the HTTP path alone.
  t = await startTestApp({ background: false });
});
after(async () => {
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// Arbitraries

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
const FIELDS = ['type', 'messageId', 'userId', 'anonymousId', 'event', 'name', 'category', 'previousId', 'groupId', 'timestamp', 'originalTimestamp', 'sentAt', 'properties', 'traits', 'context', 'integrations'];

const printable = (maxLength = 40) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const nastyString = fc.oneof(
  fc.constantFrom(
    '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\ud83d', '\ud83d\ude00', '\uffff', '\u2028\u2029', '', ' ', '__proto__', 'constructor',
    'prototype', 'NaN', '-0', '1e999', 'null', 'true', '2026-13-45T99:99:99Z', '0000-00-00', '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-01-01', '1970-01-01T00:00:00Z', '裂变', 'ĉ\u0301',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
  printable(20),
);

/** Nested arrays / objects (as values) of a depth around MAX_DEPTH (32). */
const nested = fc.tuple(fc.integer({ min: 25, max: 45 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { k: v };
  return v;
});

/** A plain object whose own keys may be "__proto__" / "constructor" (set as own properties). */
const ownKeys = (keys: fc.Arbitrary<string>, values: fc.Arbitrary<unknown>, maxKeys = 3) =>
  fc.array(fc.tuple(keys, values), { maxLength: maxKeys }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  });

const weird: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: nastyString, weight: 4 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), weight: 2 },
  { arbitrary: fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -0, 8.64e15, -8.64e15, 253402300800000, -62135596800001, 0, 1), weight: 2 },
  { arbitrary: fc.array(nastyString, { maxLength: 3 }), weight: 1 },
  { arbitrary: ownKeys(nastyString, nastyString), weight: 2 },
  { arbitrary: ownKeys(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted'), fc.constant({ polluted: 'yes', prototype: { polluted: 'yes' } })), weight: 1 },
  { arbitrary: nested, weight: 1 },
);

function baseMessage(type: string | undefined, messageId: string | null): Record<string, unknown> {
  const m: Record<string, unknown> = {
    userId: 'fz-user', anonymousId: 'fz-anon', event: 'Product Viewed', name: 'Home', groupId: 'fz-group', previousId: 'fz-prev',
    timestamp: '2026-01-02T03:04:05.000Z', properties: { product_id: 'sku-1', price: 9.9 }, traits: { email: 'fz@example.com' }, context: { ip: '127.0.0.1' },
  };
  if (type) m.type = type;
  if (messageId) m.messageId = messageId;
  return m;
}

/** Dates at and past the edges of what JavaScript, PostgreSQL and DuckDB can represent. */
const dateEdge = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(
    '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '0000-12-31T23:59:59.999Z',
    '-004714-11-24T00:00:00Z', '+010000-01-01T00:00:00.000Z', '1970-01-01T00:00:00Z', '2026-01-01', '2026-02-30T00:00:00Z', 'not a date', '', 'Infinity',
  ) },
  fc.constantFrom(8.64e15, -8.64e15, 0, -1, 253402300800000, -62135596800001, 1e20, 1.5),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
);
const idEdge = fc.oneof(nastyString, fc.constantFrom('', 'x'.repeat(256), 'x'.repeat(257), 0, -0, 1e308, 1.5, -1, true, [], {}), fc.integer(), fc.string({ minLength: 199, maxLength: 202 }));
/** Strings PostgreSQL jsonb refuses (NUL, unpaired surrogates), as keys and values. */
const unstorable = fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\ud83d', 'fine');
const bagEdge = fc.oneof(ownKeys(unstorable, fc.oneof(unstorable, fc.array(unstorable, { maxLength: 2 })), 2), ownKeys(nastyString, weird), ownKeys(fc.constantFrom('share_id', 'order_id', 'products', 'price', 'total', 'email', 'phone', 'campaign', 'traits', 'library'), weird), nested.map((n) => ({ n })), weird);
const FIELD_EDGES: Record<string, fc.Arbitrary<unknown>> = {
  type: fc.oneof(fc.constantFrom(...TYPES), nastyString),
  messageId: idEdge, userId: idEdge, anonymousId: idEdge, previousId: idEdge, groupId: idEdge,
  event: fc.oneof(nastyString, fc.constantFrom('Order Completed', 'Product Shared', 'Share Link Opened', 'Friend Added', 'Order Refunded', 'x'.repeat(501))),
  name: nastyString, category: nastyString,
  timestamp: dateEdge, originalTimestamp: dateEdge, sentAt: dateEdge,
  properties: bagEdge, traits: bagEdge, context: bagEdge, integrations: bagEdge,
};
const DROP = Symbol('drop');
const define = (o: object, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

/** A Segment message that is valid, then usually has a field or two dropped or set to an edge value. */
const message = (type?: string) =>
  fc.record({
    type: type ? fc.constant(type) : fc.oneof({ arbitrary: fc.constantFrom(...TYPES), weight: 8 }, fc.constant(undefined), nastyString),
    messageId: fc.oneof(fc.uuid(), fc.constant(null)),
    edits: fc.array(
      fc.constantFrom(...FIELDS).chain((f) => fc.tuple(fc.constant(f), fc.oneof({ arbitrary: FIELD_EDGES[f]!, weight: 4 }, { arbitrary: weird, weight: 1 }, { arbitrary: fc.constant<unknown>(DROP), weight: 2 }))),
      { maxLength: 2 },
    ),
    extra: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'writeKey', 'batch', 'polluted'), nastyString), weird)),
    // Clock-skew correction with extreme but individually valid dates.
    skew: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, fc.tuple(dateEdge, dateEdge)),
  }).map(({ type: ty, messageId, edits, extra, skew }) => {
    const m = baseMessage(typeof ty === 'string' ? ty : undefined, messageId);
    for (const [f, v] of edits) {
      if (v === DROP) delete m[f];
      else define(m, f, v);
    }
    if (extra) define(m, extra[0], extra[1]);
    if (skew) {
      m.timestamp = skew[0];
      m.sentAt = skew[1];
    }
    return m as unknown;
  });

const batchBody = fc.record({
  items: fc.oneof(
    { arbitrary: fc.array(message(), { minLength: 1, maxLength: 3 }), weight: 4 },
    fc.array(fc.oneof({ arbitrary: message(), weight: 8 }, { arbitrary: weird, weight: 1 }), { maxLength: 6 }),
  ),
  sentAt: fc.oneof({ arbitrary: fc.constant<unknown>('2026-01-02T03:04:06.000Z'), weight: 2 }, dateEdge, fc.constant<unknown>(DROP)),
  context: fc.oneof({ arbitrary: fc.constant<unknown>(DROP), weight: 2 }, { arbitrary: bagEdge, weight: 2 }),
  extra: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, fc.tuple(fc.constantFrom('writeKey', 'batch', 'integrations', '__proto__', 'constructor', 'timestamp'), weird)),
}).map(({ items, sentAt, context, extra }) => {
  const b: Record<string, unknown> = { batch: items };
  if (sentAt !== DROP) b.sentAt = sentAt;
  if (context !== DROP) b.context = context;
  if (extra) define(b, extra[0], extra[1]);
  return b as unknown;
});

/** WTF-8: JSON text whose \uD800-style escapes are replaced by the raw (invalid UTF-8) surrogate bytes. */
function wtf8(text: string): Buffer {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(/\\u(d[89a-f][0-9a-f]{2})/gi)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'));
    const cp = parseInt(m[1]!, 16);
    parts.push(Buffer.from([0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]));
    last = m.index! + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

type Body = { kind: string; bytes: Buffer };
const describeBody = (b: Body) => ({ kind: b.kind, bytes: b.bytes.length, head: b.bytes.subarray(0, 300).toString('utf8') });

/** Request bodies for one endpoint: structured-but-odd JSON and many kinds of garbage. */
function bodies(route: string): fc.Arbitrary<Body> {
  const structured = route === '/v1/batch' ? batchBody : message(undefined);
  const text = structured.map((v) => JSON.stringify(v) ?? 'null');
  const json = (kind: string, a: fc.Arbitrary<string>) => a.map((s) => ({ kind, bytes: Buffer.from(s, 'utf8') }));
  return fc.oneof(
    { arbitrary: json('structured', text), weight: 16 },
    { arbitrary: json('json-value', fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v))), weight: 2 },
    // Too deep for a naive recursive walk / JSON.stringify, at the root or inside properties.
    {
      arbitrary: fc.tuple(fc.integer({ min: 20, max: 120_000 }), fc.constantFrom('[', '{"a":'), fc.boolean()).map(([depth, open, inProps]) => {
        const close = open === '[' ? ']' : '}';
        const deep = open.repeat(depth) + '1' + close.repeat(depth);
        const s = inProps
          ? (route === '/v1/batch' ? `{"batch":[{"type":"track","event":"E","userId":"u","properties":{"d":${deep}}}],"context":{"d":${deep}}}` : `{"event":"E","userId":"u","previousId":"p","groupId":"g","properties":{"d":${deep}}}`)
          : deep;
        return { kind: `deep-${depth}`, bytes: Buffer.from(s) };
      }),
      weight: 2,
    },
    // "__proto__" / "constructor.prototype" spliced in after a random "{".
    {
      arbitrary: fc.tuple(text, fc.nat(), fc.constantFrom('"__proto__":{"polluted":"yes"}', '"constructor":{"prototype":{"polluted":"yes"}}', '"__proto__":{"__proto__":{"polluted":"yes"}}', '"prototype":{"polluted":"yes"}')).map(([s, n, key]) => {
        const opens = [...s.matchAll(/\{/g)].map((m) => m.index!);
        if (!opens.length) return { kind: 'proto', bytes: Buffer.from(`{${key}}`) };
        const i = opens[n % opens.length]!;
        return { kind: 'proto', bytes: Buffer.from(s.slice(0, i + 1) + key + (s[i + 1] === '}' ? '' : ',') + s.slice(i + 1)) };
      }),
      weight: 2,
    },
    // Huge strings: over the event limit, over the batch limit, over the hard body limit.
    {
      arbitrary: fc.tuple(fc.constantFrom(33_000, 520_000, 4_300_000), fc.constantFrom('properties', 'event', 'userId', 'context')).map(([n, where]) => {
        const big = 'x'.repeat(n);
        const m = where === 'properties' || where === 'context' ? { type: 'track', event: 'E', userId: 'u', [where]: { s: big } } : { type: 'track', event: 'E', userId: 'u', groupId: 'g', previousId: 'p', [where]: big };
        return { kind: `huge-${n}-${where}`, bytes: Buffer.from(JSON.stringify(route === '/v1/batch' ? { batch: [m] } : m)) };
      }),
      weight: 1,
    },
    { arbitrary: fc.tuple(text, fc.nat()).map(([s, n]) => ({ kind: 'truncated', bytes: Buffer.from(s.slice(0, n % Math.max(1, s.length))) })), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 600 }).map((u) => ({ kind: 'random-bytes', bytes: Buffer.from(u) })), weight: 2 },
    { arbitrary: fc.tuple(text, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([s, n, u]) => {
      const b = Buffer.from(s);
      const i = n % (b.length + 1);
      return { kind: 'spliced-bytes', bytes: Buffer.concat([b.subarray(0, i), Buffer.from(u), b.subarray(i)]) };
    }), weight: 1 },
    { arbitrary: text.map((s) => ({ kind: 'wtf8', bytes: wtf8(s) })), weight: 1 },
    { arbitrary: fc.constantFrom('', ' ', '\n', 'null', '""', '[]', '{}', '0', 'true', '{"batch":null}', '{"batch":{}}', '\ufeff{}').map((s) => ({ kind: 'tiny', bytes: Buffer.from(s) })), weight: 2 },
  );
}

type Encoding = { name: string; header?: string; apply(b: Buffer): Buffer };
const encodings: fc.Arbitrary<Encoding> = fc.oneof(
  { arbitrary: fc.constant<Encoding>({ name: 'none', apply: (b) => b }), weight: 10 },
  { arbitrary: fc.constant<Encoding>({ name: 'gzip', header: 'gzip', apply: (b) => zlib.gzipSync(b) }), weight: 3 },
  { arbitrary: fc.constant<Encoding>({ name: 'gzip-header-plain-body', header: 'gzip', apply: (b) => b }), weight: 1 },
  { arbitrary: fc.nat().map<Encoding>((n) => ({ name: 'gzip-truncated', header: 'gzip', apply: (b) => { const z = zlib.gzipSync(b); return z.subarray(0, n % z.length); } })), weight: 1 },
  { arbitrary: fc.constant<Encoding>({ name: 'gzip-twice', header: 'gzip', apply: (b) => zlib.gzipSync(zlib.gzipSync(b)) }), weight: 1 },
  { arbitrary: fc.constant<Encoding>({ name: 'deflate', header: 'deflate', apply: (b) => zlib.deflateSync(b) }), weight: 1 },
  { arbitrary: fc.constant<Encoding>({ name: 'br', header: 'br', apply: (b) => zlib.brotliCompressSync(b) }), weight: 1 },
  { arbitrary: fc.constantFrom('compress', 'gzip, deflate', 'GZIP', ' x-gzip ', 'identity', 'zstd', '*', 'deflate').map<Encoding>((h) => ({ name: `header-${h}`, header: h, apply: (b) => b })), weight: 1 },
  { arbitrary: printable(12).map<Encoding>((h) => ({ name: `random-${h}`, header: h, apply: (b) => b })), weight: 1 },
);

const contentTypes = fc.oneof(
  { arbitrary: fc.constant<string | undefined>('application/json'), weight: 20 },
  {
    arbitrary: fc.constantFrom<string | undefined>(
      undefined, 'text/plain', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/x-www-form-urlencoded', 'application/vnd.segment+json',
      'multipart/form-data; boundary=zz', 'application/octet-stream', 'application/json; charset=utf-16', 'application/jsonx', 'text/html', '*/*', 'application/',
    ),
    weight: 4,
  },
  { arbitrary: printable(30), weight: 1 },
);

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');
const auths = fc.oneof(
  { arbitrary: fc.constant<string | undefined>(basic()), weight: 20 },
  {
    arbitrary: fc.constantFrom<string | undefined>(
      undefined, '', 'Basic', 'Basic ', 'Basic !!!!', 'Basic ====', `Basic ${b64(WRITE_KEY)}`, `basic ${b64(WRITE_KEY + ':')}`, `BASIC   ${b64(WRITE_KEY + ':x')}  `,
      `Bearer ${WRITE_KEY}`, 'Bearer ', 'Bearer lb_wk_nope', `Basic ${b64(':' + WRITE_KEY)}`, `Basic ${b64(WRITE_KEY + ':')}%%`, 'Digest abc', `Basic ${b64('\u0000:')}`,
    ),
    weight: 4,
  },
  { arbitrary: printable(40).map((s) => `Basic ${s}`), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 40 }).map((u) => `Basic ${b64(u)}`), weight: 1 },
  { arbitrary: printable(40), weight: 1 },
);

const requests = (routes: string[]) =>
  fc.record({ route: fc.constantFrom(...routes), body: bodies(routes[0]!), encoding: encodings, contentType: contentTypes, auth: auths });

// ---------------------------------------------------------------------------------------------
// The properties

async function check(req: { route: string; body: Body; encoding: Encoding; contentType: string | undefined; auth: string | undefined }) {
  const headers: Record<string, string> = {};
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  if (req.encoding.header !== undefined) headers['content-encoding'] = req.encoding.header;
  if (req.auth !== undefined) headers.authorization = req.auth;
  const payload = req.encoding.apply(req.body.bytes);
  const before = await countStoredIds(t.engine.op, 'default');
  const r = await t.app.fastify.inject({ method: 'POST', url: req.route, payload, headers });
  const after = await countStoredIds(t.engine.op, 'default');
  stats.requests++;
  stats.byStatus.set(r.statusCode, (stats.byStatus.get(r.statusCode) ?? 0) + 1);
  const what = () => `${req.route} ${r.statusCode} ${r.body.slice(0, 300)} ← ${JSON.stringify({ ...describeBody(req.body), encoding: req.encoding.name, contentType: req.contentType, auth: req.auth })}`;
  assert.ok((r.statusCode >= 200 && r.statusCode < 300) || (r.statusCode >= 400 && r.statusCode < 500), `never 5xx: ${what()}`);
  if (r.statusCode >= 400) {
    let j: { error?: { code?: unknown; message?: unknown } };
    try {
      j = JSON.parse(r.body);
    } catch {
      assert.fail(`a 4xx body is JSON: ${what()}`);
    }
    assert.equal(typeof j.error?.code, 'string', `4xx has error.code: ${what()}`);
    assert.match(j.error!.code as string, /^[A-Z_]+$/);
    assert.equal(typeof j.error?.message, 'string', `4xx has error.message: ${what()}`);
    assert.equal(after, before, `a rejected request stores nothing: ${what()}`);
  } else {
    stats.accepted++;
    assert.deepEqual(r.json(), { success: true }, what());
    assert.ok(after >= before);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, `Object.prototype polluted by ${what()}`);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoKeys, `Object.prototype changed by ${what()}`);
}

const run = (routes: string[]) => fc.assert(fc.asyncProperty(requests(routes), check), { numRuns: NUM_RUNS, seed: SEED, endOnFailure: false });

test('fuzz /v1/batch (and /v1/import): never 5xx, coded 4xx, rejected stores nothing', async () => {
  await run(['/v1/batch', '/v1/import']);
});
for (const type of TYPES) {
  test(`fuzz /v1/${type}: never 5xx, coded 4xx, rejected stores nothing`, async () => {
    await run([`/v1/${type}`]);
  });
}

test('after the fuzzing: no pollution, the server answers, and accepted events are digested', async () => {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  const h = await t.app.fastify.inject({ method: 'GET', url: '/healthz' });
  assert.equal(h.statusCode, 200);
  assert.deepEqual(h.json(), { status: 'ok' });
  const ready = await t.app.fastify.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  const ok = await t.app.fastify.inject({ method: 'POST', url: '/v1/track', payload: { event: 'After Fuzz', userId: 'fz-after', messageId: 'fz-after-1' }, headers: { authorization: basic() } });
  assert.equal(ok.statusCode, 200);
  assert.ok(stats.accepted > 50, `the fuzzer got some requests accepted (${stats.accepted}/${stats.requests})`);
  assert.ok(stats.requests - stats.accepted > 500, 'and many rejected');
  // Everything accepted must be storable downstream: a poison event would stall a consumer forever.
  t.engine.workers.start();
  const idle = await t.engine.workers.waitIdle(90_000);
  assert.equal(t.engine.workers.lastError, null, 'no background step failed');
  assert.ok(idle, 'the event-store pump and the projector caught up with every accepted event');
  console.log(`# ${stats.requests} fuzzed requests, ${stats.accepted} accepted; statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])))}`);
});
