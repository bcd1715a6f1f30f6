// The validation fast path (src/modules/ingest/fast-parse.ts) against the zod schema it stands in
// for: whenever it returns a message, zod accepts the same input with the same fields; and it
// does return for the common valid messages (the simulator's traffic), so it is really used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fastParseMessage } from '../../src/modules/ingest/fast-parse.ts';
import { MessageSchema, MESSAGE_TYPES } from '../../src/modules/ingest/schema.ts';
import { normalizeBatch } from '../../src/modules/ingest/index.ts';
import { simulate } from '../../src/sim/index.ts';

const FIELDS = ['type', 'messageId', 'userId', 'anonymousId', 'event', 'name', 'previousId', 'groupId', 'timestamp', 'originalTimestamp', 'sentAt', 'properties', 'traits', 'context', 'integrations'] as const;

const pick = (m: Record<string, unknown>) => Object.fromEntries(FIELDS.map((f) => [f, m[f]]));

/** Values near every boundary the schema has: lengths, types, dates, records. */
const anyValue = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.constant(''), fc.constant(0), fc.constant(-0), fc.constant(1e21),
  fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY), fc.boolean(), fc.integer(), fc.double(),
  fc.string({ maxLength: 8 }), fc.string({ minLength: 60, maxLength: 70 }), fc.constant('x'.repeat(200)), fc.constant('x'.repeat(201)),
  fc.constant('x'.repeat(256)), fc.constant('x'.repeat(257)), fc.constant('x'.repeat(500)), fc.constant('x'.repeat(501)),
  fc.constant('2026-01-01T00:00:00.000Z'), fc.constant('0000-12-31T23:59:59Z'), fc.constant('10000-01-01'), fc.constant('not a date'),
  fc.constant(-62135596800001), fc.constant(253402300800000), fc.integer({ min: -1e13, max: 1e13 }),
  fc.constant([]), fc.constant({}), fc.constant({ a: 1 }), fc.constant(new Date(0)), fc.constant(Object.create(null)),
  fc.constantFrom(...MESSAGE_TYPES), fc.constant('Track'),
);

/** A plausible value for each field (so most messages are near-valid), or any boundary value. */
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  type: fc.constantFrom(...MESSAGE_TYPES),
  messageId: fc.string({ minLength: 1, maxLength: 12 }),
  userId: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
  anonymousId: fc.string({ maxLength: 6 }),
  previousId: fc.string({ maxLength: 6 }),
  groupId: fc.string({ maxLength: 6 }),
  event: fc.string({ maxLength: 6 }),
  name: fc.string({ maxLength: 6 }),
  category: fc.string({ maxLength: 6 }),
  timestamp: fc.date({ min: new Date('1990-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  originalTimestamp: fc.integer({ min: 0, max: 2e12 }),
  sentAt: fc.date({ min: new Date('1990-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  properties: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
  traits: fc.constant({ email: 'a@b.c' }),
  context: fc.constant({ ip: '1.2.3.4' }),
  integrations: fc.constant({}),
};
const message = fc.record(
  Object.fromEntries([...FIELDS, 'category'].map((f) => [f, fc.oneof({ arbitrary: plausible[f]!, weight: 6 }, { arbitrary: anyValue, weight: 1 })])),
  { requiredKeys: [] },
);

test('fast path: a message it accepts, zod accepts with the same fields', () => {
  let fast = 0;
  fc.assert(
    fc.property(message, (m) => {
      const f = fastParseMessage(m);
      if (!f) return;
      fast++;
      const z = MessageSchema.safeParse(m);
      assert.ok(z.success, `zod rejects what the fast path accepted: ${JSON.stringify(m)}`);
      assert.deepEqual(pick(f as Record<string, unknown>), pick(z.data as Record<string, unknown>));
    }),
    { numRuns: 20_000 },
  );
  assert.ok(fast > 100, `the generator reached the fast path only ${fast} times`);
});

test('fast path: the simulator traffic takes it, and normalisation is unchanged', () => {
  const sim = simulate({ users: 300, days: 3, seed: 5, startDate: '2026-01-01' }, 100);
  let n = 0;
  for (const batch of sim.batches()) {
    for (const m of batch) {
      const f = fastParseMessage(m as unknown as Record<string, unknown>);
      assert.ok(f, `not on the fast path: ${JSON.stringify(m)}`);
      assert.deepEqual(pick(f as Record<string, unknown>), pick(MessageSchema.parse(m) as Record<string, unknown>));
      n++;
    }
    if (n > 5000) break;
  }
  assert.ok(n > 1000);
  // Invalid input still gets zod's error naming the field.
  assert.throws(() => normalizeBatch({ batch: [{ type: 'track', userId: 'u' }] }, 0, new Date()), /batch\[0\]: batch\.0\.event track needs an event name/);
  assert.throws(() => normalizeBatch({ batch: [{ type: 'track', event: 'E', userId: 'u', timestamp: 'nope' }] }, 0, new Date()), /batch\.0\.timestamp/);
});

// Validation checks the common message on its stored JSON (serialised once: size, NUL and lone-
// surrogate escapes, bracket count as a bound on nesting) and sends anything suspect to the exact
// walk over the message as sent. Whichever way a message goes, what the stores cannot hold is
// refused with its path, and what they can is stored unchanged.
const BAD: Array<[string, unknown, RegExp]> = [
  ['NUL', 'a\u0000b', /NUL/],
  ['lone high surrogate', 'x\ud83dy', /surrogate/],
  ['lone low surrogate', '\ude00', /surrogate/],
];
const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : depth % 2 ? { d: nest(depth - 1, leaf) } : [nest(depth - 1, leaf)]);
const placed = fc.record({
  where: fc.constantFrom('properties', 'traits', 'context', 'extra', 'key'),
  depth: fc.integer({ min: 0, max: 6 }),
  bad: fc.constantFrom(...BAD),
});

test('stored-JSON checks: a NUL, a lone surrogate or nesting past 32 anywhere is refused with its path; look-alikes are stored', () => {
  const base = () => ({ type: 'track', event: 'Viewed', userId: 'u1', messageId: 'm1', timestamp: '2026-01-01T00:00:00.000Z', properties: { price: 5 } as Record<string, unknown>, traits: {} as Record<string, unknown>, context: {} as Record<string, unknown> });
  fc.assert(
    fc.property(placed, ({ where, depth, bad: [, value, why] }) => {
      const m: Record<string, unknown> = base();
      if (where === 'key') (m.properties as Record<string, unknown>)[value as string] = 1;
      else if (where === 'extra') m.extra = nest(depth, value);
      else (m[where] as Record<string, unknown>).v = nest(depth, value);
      const err = (() => {
        try {
          normalizeBatch({ batch: [{ type: 'page', userId: 'ok', messageId: 'ok' }, m] }, 0, new Date());
        } catch (e) {
          return e as { code: string; message: string; details: Array<{ path: string }> };
        }
        return null;
      })();
      assert.ok(err, `accepted: ${where} depth ${depth}`);
      assert.equal(err.code, 'VALIDATION_FAILED');
      assert.match(err.message, why);
      assert.match(err.details[0]!.path, where === 'key' ? /^batch\.1\.properties\./ : new RegExp(`^batch\\.1\\.${where}`));
    }),
    { numRuns: 300 },
  );
  // Nesting: 32 containers are fine, 33 are not, wherever they sit (also in an unstored field).
  const deep = (n: number, where: string) => ({ ...base(), [where]: nest(n - 1, 1) });
  for (const where of ['properties', 'extra']) {
    assert.equal(normalizeBatch({ batch: [deep(32, where)] }, 0, new Date()).length, 1);
    assert.throws(() => normalizeBatch({ batch: [deep(33, where)] }, 0, new Date()), /nesting deeper than 32/);
  }
  const inRecord = (n: number) => ({ ...base(), properties: { d: nest(n - 2, 1) } });
  assert.equal(normalizeBatch({ batch: [inRecord(32)] }, 0, new Date()).length, 1);
  assert.throws(() => normalizeBatch({ batch: [inRecord(33)] }, 0, new Date()), /batch\.0\.properties\.d(\.\w+)+ (key )?nesting deeper than 32/);
  // Look-alikes: the text "\u0000" (a backslash, not a NUL), paired surrogates, many brackets in strings.
  const looks = { ...base(), properties: { a: '\\u0000 and \\ud83d', emoji: '😀', b: '{['.repeat(40) } };
  const [stored] = normalizeBatch({ batch: [looks] }, 0, new Date());
  assert.deepEqual(stored!.properties, looks.properties);
});

test('the 32 KB limit is on the event as stored plus the fields not stored', () => {
  const at = (n: number, extra?: string) => {
    const m: Record<string, unknown> = { type: 'track', event: 'E', userId: 'u', messageId: 'm', timestamp: '2026-01-01T00:00:00.000Z', properties: { s: '' } };
    if (extra) m[extra] = '';
    const stored = Buffer.byteLength(JSON.stringify(normalizeBatch({ batch: [m] }, 0, new Date(0))[0]));
    if (extra) m[extra] = 'x'.repeat(n - stored - Buffer.byteLength(`,"${extra}":""`));
    else (m.properties as { s: string }).s = 'x'.repeat(n - stored);
    return m;
  };
  for (const extra of [undefined, 'junk']) {
    assert.equal(normalizeBatch({ batch: [at(32 * 1024, extra)] }, 0, new Date(0)).length, 1);
    assert.throws(() => normalizeBatch({ batch: [at(32 * 1024 + 1, extra)] }, 0, new Date(0)), (e: { code?: string; details?: { bytes: number } }) => e.code === 'EVENT_TOO_LARGE' && e.details?.bytes === 32 * 1024 + 1);
  }
});
