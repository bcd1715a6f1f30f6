// The official Segment and RudderStack Node SDKs deliver to a real `liebian start` process, and
// every event they were given is stored exactly once (checked through the server API's export).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { WRITE_KEY, tmpDir } from '../helpers/engine.ts';
import { startServerProcess, waitForExport, type ServerProcess } from '../helpers/server-process.ts';

const N = 10_000;
const KINDS = ['track', 'identify', 'page'] as const;
const kindOf = (i: number) => KINDS[i % 3]!;

let server: ServerProcess;
let dataDir: string;
before(async () => {
  dataDir = tmpDir('liebian-sdk-');
  server = await startServerProcess({ dataDir });
});
after(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('@segment/analytics-node delivers 10,000 mixed events, each acknowledged', async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: server.url, flushAt: 100, flushInterval: 200, maxRetries: 5 });
  const statuses = new Map<number, number>();
  const failures: unknown[] = [];
  analytics.on('http_response', (r) => statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1));
  analytics.on('error', (e) => failures.push(e));
  let delivered = 0;
  const cb = (err?: unknown) => (err ? failures.push(err) : delivered++);
  for (let i = 0; i < N; i++) {
    const userId = `seg-user-${i}`;
    const messageId = `seg-${i}`;
    const k = kindOf(i);
    if (k === 'track') analytics.track({ userId, messageId, event: 'Product Viewed', properties: { product_id: `sku-${i % 50}`, price: i % 100, i } }, cb);
    else if (k === 'identify') analytics.identify({ userId, messageId, traits: { name: `User ${i}`, i } }, cb);
    else analytics.page({ userId, messageId, name: 'Home', category: 'Landing', properties: { path: `/p/${i}`, i } }, cb);
  }
  await analytics.closeAndFlush({ timeout: 120_000 });
  assert.deepEqual(failures, []);
  assert.equal(delivered, N);
  assert.deepEqual([...statuses.keys()], [200], `every batch got a 200: ${JSON.stringify([...statuses])}`);
});

test('@rudderstack/rudder-sdk-node delivers 10,000 mixed events (gzip, /v1/batch), each acknowledged', async () => {
  const errors: unknown[] = [];
  const client = new RudderAnalytics(WRITE_KEY, {
    dataPlaneUrl: server.url,
    flushAt: 100,
    flushInterval: 200,
    logLevel: 'error',
    retryCount: 5,
    errorHandler: (e) => errors.push(e),
  });
  let delivered = 0;
  const cb = ((err?: unknown) => (err ? errors.push(err) : delivered++)) as () => void;
  // Enqueue in chunks: the SDK re-measures its whole in-memory queue on every call (quadratic),
  // so a queue of 10,000 is avoided by letting each chunk go out before the next is added.
  for (let start = 0; start < N; start += 500) {
    for (let i = start; i < Math.min(N, start + 500); i++) {
      const userId = `rud-user-${i}`;
      const messageId = `rud-${i}`;
      const k = kindOf(i);
      const msg = { userId, messageId };
      if (k === 'track') client.track({ ...msg, event: 'Product Added', properties: { product_id: `sku-${i % 50}`, quantity: 1 + (i % 3), i } }, cb);
      else if (k === 'identify') client.identify({ ...msg, traits: { email: `r${i}@example.com`, i } }, cb);
      else client.page({ ...msg, name: 'Product', properties: { path: `/r/${i}`, i } }, cb);
    }
    await client.flush();
  }
  // flush() sends one batch of flushAt; repeat until the SDK's queue is empty and nothing is in flight.
  for (let guard = 0; guard < 1000; guard++) {
    await client.flush();
    if ((client as unknown as { queue: unknown[] }).queue.length === 0) break;
  }
  await client.flush();
  const until = Date.now() + 60_000;
  while (delivered + errors.length < N && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(errors, []);
  assert.equal(delivered, N);
});

test('the server stores exactly those 20,000 messageIds, each once, with their content', async () => {
  const events = await waitForExport(server.url, { expected: 2 * N, stableMs: 1500, timeoutMs: 120_000 });
  const count = new Map<string, number>();
  for (const e of events) count.set(e.messageId, (count.get(e.messageId) ?? 0) + 1);
  const dupes = [...count].filter(([, n]) => n > 1);
  assert.deepEqual(dupes, [], 'no messageId is stored twice');
  const expected = new Set<string>();
  for (let i = 0; i < N; i++) {
    expected.add(`seg-${i}`);
    expected.add(`rud-${i}`);
  }
  const missing = [...expected].filter((id) => !count.has(id));
  const extra = [...count.keys()].filter((id) => !expected.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} missing`);
  assert.deepEqual(extra.slice(0, 20), [], `${extra.length} unexpected`);
  assert.equal(events.length, 2 * N);

  const byId = new Map(events.map((e) => [e.messageId, e as Record<string, unknown>]));
  for (const i of [0, 1, 2, 4_998, 9_999]) {
    for (const [prefix, userPrefix] of [['seg', 'seg-user'], ['rud', 'rud-user']] as const) {
      const e = byId.get(`${prefix}-${i}`)!;
      assert.equal(e.type, kindOf(i), `${prefix}-${i} type`);
      assert.equal(e.userId, `${userPrefix}-${i}`, `${prefix}-${i} userId`);
      const bag = (kindOf(i) === 'identify' ? e.traits : e.properties) as Record<string, unknown>;
      assert.equal(bag.i, i, `${prefix}-${i} keeps its ${kindOf(i) === 'identify' ? 'traits' : 'properties'}`);
    }
  }
  assert.equal(byId.get('seg-0')!.event, 'Product Viewed');
  assert.equal(byId.get('rud-0')!.event, 'Product Added');
  assert.equal(byId.get('seg-2')!.name, 'Home');
  const lib = (byId.get('rud-1')!.context as { library?: { name?: string } }).library;
  assert.equal(lib?.name, 'analytics-node', 'the SDK context is kept');
  for (const type of KINDS) {
    assert.equal(events.filter((e) => e.type === type).length, 2 * [...Array(N).keys()].filter((i) => kindOf(i) === type).length, `${type} count`);
  }
});
