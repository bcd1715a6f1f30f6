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
