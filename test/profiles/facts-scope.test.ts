import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { listValue } from '@duckdb/node-api';
import { startTestApp } from '../helpers/engine.ts';
import { simulate } from '../../src/sim/index.ts';
import { ingestMessages } from '../../src/flows/ingest-messages.ts';
import { insertEvents } from '../../src/modules/ingest/index.ts';
import { pumpBatch } from '../../src/flows/pump-events.ts';
import { projectBatch } from '../../src/flows/project-events.ts';
import { loadProfileSettings, recomputeAll, recomputeProfiles } from '../../src/flows/traits-recompute.ts';
import { getChurnModel } from '../../src/modules/profiles/index.ts';
import { jsonDouble, quantileCont } from '../../src/modules/profiles/facts-scope.ts';
import { FOLD } from '../../src/modules/profiles/facts.ts';
import { eventStoreCursor } from '../../src/modules/events/index.ts';

// The incremental pass computes a scope's facts in JS (profiles/facts-scope.ts); the full recompute
// with the facts query. Here every profile of a simulated world, plus hand-made edge cases (string
// amounts, repeated completions, partial and several refunds, cancellations, orders without id or
// lines, lines without price, empty and non-ASCII categories, anonymous-only people, events after
// the as-of day), is recomputed through the JS path in random small scopes, and every column of
// every row, and the lifecycle history, must equal the full recompute's.

const WS = 'default';
const AS_OF = '2026-06-30';
let t: Awaited<ReturnType<typeof startTestApp>>;

const track = (who: Record<string, string>, event: string, at: string, properties: Record<string, unknown>, id: string) =>
  ({ type: 'track', event, ...who, messageId: id, timestamp: at, properties });

function edgeCases() {
  const u = (userId: string) => ({ userId });
  const line = (category: unknown, brand: unknown, price: unknown, quantity?: unknown) => ({ product_id: `p-${String(category)}-${String(price)}`, category, brand, price, quantity });
  return [
    track(u('e1'), 'Order Completed', '2026-05-01T08:00:00Z', { order_id: 'A1', total: '12.345', products: [line('美妆', '品牌甲', 12.345)] }, 'e1-1'),
    track(u('e1'), 'Order Completed', '2026-05-01T09:00:00Z', { order_id: 'A1', total: 99 }, 'e1-2'), // repeated: the first wins
    track(u('e1'), 'Order Refunded', '2026-05-02T09:00:00Z', { order_id: 'A1', total: 3.335 }, 'e1-3'),
    track(u('e1'), 'Order Refunded', '2026-05-03T09:00:00Z', { order_id: 'A1', revenue: '2.2' }, 'e1-4'), // two partial refunds
    track(u('e1'), 'Order Completed', '2026-05-20T09:00:00Z', { products: [line('books', 'b', 0.1, 3), line('books', 'b', 0.2, '2')] }, 'e1-5'), // no order id
    track(u('e1'), 'Order Completed', '2026-06-10T09:00:00Z', { order_id: 'A3', products: [line('', 'x', null), line('toys', '', 'abc', 7.9)] }, 'e1-6'),
    track(u('e1'), 'Order Completed', '2026-06-11T09:00:00Z', { order_id: 'A4', revenue: 40, discount: '5', products: [line('toys', 'y', 40)] }, 'e1-7'),
    track(u('e1'), 'Order Cancelled', '2026-06-12T09:00:00Z', { order_id: 'A4' }, 'e1-8'),
    track(u('e1'), 'Order Completed', '2026-06-20T09:00:00Z', { order_id: 'A5', total: 250, coupon: 'C', products: [line('美妆', '品牌乙', 125, 2)] }, 'e1-9'),
    track(u('e1'), 'Order Refunded', '2026-06-21T09:00:00Z', { order_id: 'A5', total: 400 }, 'e1-10'), // more than the order: capped
    track(u('e1'), 'Order Completed', '2026-07-05T09:00:00Z', { order_id: 'A6', total: 10 }, 'e1-11'), // after the as-of day
    track(u('e1'), 'Product Viewed', '2026-06-29T09:00:00Z', { category: '美妆', brand: '品牌乙' }, 'e1-12'),
    track(u('e1'), 'Product Added', '2026-06-01T09:00:00Z', { category: 'books', brand: 'b' }, 'e1-13'),
    track(u('e2'), 'Order Completed', '2026-04-01T09:00:00Z', { order_id: 'B1', total: -5 }, 'e2-1'),
    track(u('e2'), 'Order Refunded', '2026-04-02T09:00:00Z', { order_id: 'B1' }, 'e2-2'), // whole order
    track(u('e2'), 'Order Completed', '2026-04-03T09:00:00Z', { order_id: 'B2', total: 0.005 }, 'e2-3'),
    track(u('e2'), 'Order Completed', '2026-04-03T10:00:00Z', { order_id: 'B3', total: 1.005 }, 'e2-4'),
    track({ anonymousId: 'anon-only' }, 'Order Completed', '2026-06-01T09:00:00Z', { order_id: 'C1', products: [line('tv', 'z', 999.99)] }, 'a-1'),
    track({ anonymousId: 'anon-only' }, 'Product Viewed', '2026-06-02T09:00:00Z', { category: 'tv', brand: 'z' }, 'a-2'),
    track({ anonymousId: 'anon-e3' }, 'Product Viewed', '2026-06-02T09:00:00Z', { category: 'tv', brand: 'z' }, 'e3-1'),
    { type: 'identify', userId: 'e3', anonymousId: 'anon-e3', messageId: 'e3-2', timestamp: '2026-06-03T09:00:00Z', traits: {} },
    track({ userId: 'e3', anonymousId: 'anon-e3' }, 'Order Completed', '2026-06-04T09:00:00Z', { order_id: 'D1', products: [line('tv', 'z', 10, 0)] }, 'e3-3'),
    track(u('e3'), 'Product Shared', '2026-06-05T09:00:00Z', { share_id: 's1' }, 'e3-4'),
    // Interest names that JSON escapes (quotes, backslashes, control characters, a literal "\\u0001"), one category only (weight 1.0).
    track(u('e4'), 'Product Viewed', '2026-06-05T09:00:00Z', { category: 'a"b\\c\u0001\u001f/d\n', brand: 'x\\u0001y' }, 'e4-1'),
    track(u('e5'), 'Order Completed', '2026-06-07T09:00:00Z', { order_id: 'F1', products: [line('misc', 'm', -0.001)] }, 'e5-1'), // typical price -0.0
    // Touches so old their decay underflows to 0 (1,290 half-lives): no interest. e6 keeps only 'new'; e7 has none (was 0 / 0 = NaN, invalid JSON).
    track(u('e6'), 'Product Viewed', '2000-01-01T09:00:00Z', { category: 'old', brand: 'old' }, 'e6-1'),
    track(u('e6'), 'Product Viewed', '2026-06-05T09:00:00Z', { category: 'new', brand: 'new' }, 'e6-2'),
    track(u('e7'), 'Product Added', '2000-01-01T09:00:00Z', { category: 'old', brand: 'old' }, 'e7-1'),
    track(u('e7'), 'Order Completed', '2000-01-02T09:00:00Z', { order_id: 'G1', products: [line('old', 'old', 5)] }, 'e7-2'),
    track(u('e4'), 'Order Completed', '2026-06-06T09:00:00Z', { order_id: 'E1', discount: 'NaN', products: [line('a"b\\c\u0001\u001f/d\n', 'x\\u0001y', 3)] }, 'e4-2'),
  ];
}

before(async () => {
  t = await startTestApp({ background: false });
  await t.engine.op.query(`update workspaces set settings = jsonb_set(settings, '{profiles}', $1::jsonb) where id = $2`, [
    JSON.stringify({ rfm: { windowDays: 60 }, interests: { halfLifeDays: 7.5 }, churn: { horizonDays: 20 }, lifecycle: { newDays: 10, activeDays: 8, dormantDays: 20, churnedDays: 35 } }), WS,
  ]);
  for (const b of simulate({ users: 250, days: 75, seed: 5, startDate: '2026-04-20' }, 250).batches()) await ingestMessages(t.engine, WS, b);
  await ingestMessages(t.engine, WS, edgeCases());
  // Amounts ingest now refuses (MAX_ORDER_AMOUNT), as a log written before that rule may hold them:
  // stored as they are (insertEvents skips validation), they count as absent instead of failing the
  // decimal cast (which stalled every pass behind them).
  const legacy = (event: string, at: string, properties: Record<string, unknown>, id: string) =>
    ({ type: 'track' as const, event, userId: 'e8', messageId: id, timestamp: at, receivedAt: at, properties });
  await insertEvents(t.engine.op, [{ workspaceId: WS, events: [
    legacy('Order Completed', '2026-06-01T09:00:00Z', { order_id: 'H1', total: 'NaN', products: [{ category: 'x', brand: 'x', price: 20, quantity: 2 }] }, 'e8-1'),
    legacy('Order Completed', '2026-06-02T09:00:00Z', { order_id: 'H2', total: 1e20, revenue: 15 }, 'e8-2'),
    legacy('Order Completed', '2026-06-03T09:00:00Z', { order_id: 'H3', products: [{ category: 'y', brand: 'y', price: 1e300, quantity: 1e6 }] }, 'e8-3'),
    legacy('Order Refunded', '2026-06-04T09:00:00Z', { order_id: 'H2', total: 'Infinity' }, 'e8-4'),
  ] }]);
  while ((await pumpBatch(t.engine.op, t.engine.es)) > 0);
  while ((await projectBatch(t.engine.op)) > 0);
});
after(async () => {
  await t.close();
});

const snapshot = async () => ({
  // The fold states are compared apart (sameFold): the same state, written by DuckDB's to_json or by JSON.stringify.
  traits: await t.engine.es.read(`select * exclude (fold_state) from computed_traits where workspace_id = $1 order by profile_id`, [WS]),
  folds: await t.engine.es.read<{ profile_id: string; fold_state: string | null }>(`select profile_id, fold_state from computed_traits where workspace_id = $1 order by profile_id`, [WS]),
  history: await t.engine.es.read(`select profile_id, day::varchar as day, stage, prev_stage from lifecycle_history where workspace_id = $1 order by 1, 2`, [WS]),
});

test("doubles in DuckDB's to_json text (the interest weights)", async () => {
  const xs = [0, 1, 0.5, 0.1, 0.0001, 1 / 3, 2 / 3, 0.1 + 0.2, 1e-7, 1.5e-12, 123456789012345680000, 1e21, 2.5e22, -0.25, NaN, -0];
  for (let i = 0; i < 300; i++) xs.push(Math.round(Math.random() * 10_000) / 10_000, Math.random() * 10 ** (Math.floor(Math.random() * 50) - 25));
  const r = await t.engine.es.read<{ j: string }>(`select to_json(x)::varchar as j from unnest($1::varchar[]::double[]) with ordinality as u(x, i) order by i`,
    [listValue(xs.map((x) => (Object.is(x, -0) ? '-0' : String(x))))]);
  assert.deepEqual(r.map((x) => x.j), xs.map(jsonDouble));
});

test("DuckDB's quantile_cont interpolation", () => {
  assert.equal(quantileCont([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileCont([10], 0.25), 10);
  assert.equal(quantileCont([1, 5], 0.25), 2);
  assert.equal(quantileCont([0.1, 0.2, 0.7], 0.75), 0.44999999999999996); // 0.2 + (0.7 − 0.2)·0.5 in doubles
});

test('every profile recomputed through the JS facts equals the facts query, column by column', async (ctx) => {
  // Every profile with a fold state, to compare them all (the default keeps them for heavy profiles only).
  FOLD.minEvents = 0;
  ctx.after(() => { FOLD.minEvents = 50; });
  await recomputeAll(t.engine.op, t.engine.es, { workspace: WS, asOf: AS_OF });
  const full = await snapshot();
  assert.ok(full.traits.length > 250);
  assert.ok(full.traits.some((r) => r.user_id === 'e1' && (r.orders as number) >= 3 && Number(r.refunded_amount) > 0));
  const settings = await loadProfileSettings(t.engine.op, WS);
  const model = (await getChurnModel(t.engine.es, WS, AS_OF))!.model;
  // Every event is stored and projected (before()): the states may cover them all.
  const seq = await eventStoreCursor(t.engine.es);
  // The churn probability is part of the comparison (DuckDB's ln / exp over the JS path's columns).
  assert.ok(model, 'a churn model');
  assert.ok(full.traits.filter((r) => typeof r.churn_probability === 'number').length > 50);
  assert.ok(full.traits.some((r) => r.user_id === 'e5' && Object.is(r.typical_price, -0)));
  // So are the interest lists with escaped names (e4) and weights 1.0.
  assert.ok(full.traits.some((r) => r.user_id === 'e4' && String(r.top_categories).includes('\\u0001')));
  const byUser = (id: string) => full.traits.find((r) => r.user_id === id)!;
  assert.equal(byUser('e6').top_categories, '[{"name":"new","weight":1.0}]');
  assert.equal(byUser('e7').top_categories, null);
  assert.equal(byUser('e7').orders, 1);
  assert.deepEqual([byUser('e8').orders, byUser('e8').gmv, byUser('e8').refunded_amount], [3, 55, 15]);
  const ids = full.traits.map((r) => r.profile_id as string);
  // Random small scopes (seeded), covering every profile once.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const order = ids.map((id) => ({ id, k: rnd() })).sort((a, b) => a.k - b.k).map((x) => x.id);
  for (let i = 0; i < order.length;) {
    const n = 1 + Math.floor(rnd() * 6);
    const scope = order.slice(i, i + n);
    i += n;
    await t.engine.es.write((c) => recomputeProfiles(c, WS, scope, AS_OF, settings, model, { influence: 'none', foldUpTo: seq }));
  }
  const js = await snapshot();
  assert.equal(js.traits.length, full.traits.length);
  for (let i = 0; i < full.traits.length; i++) assert.deepEqual(js.traits[i], full.traits[i], `profile ${String(full.traits[i]!.profile_id)}`);
  assert.deepEqual(js.history, full.history);
  // The fold states: the full recompute's (SQL) and the JS path's describe the same facts.
  let withOrders = 0;
  for (let i = 0; i < full.folds.length; i++) {
    const [a, b] = [js.folds[i]!, full.folds[i]!];
    // (A profile without events has none: there is nothing to read.)
    assert.equal(a.fold_state === null, b.fold_state === null, `profile ${b.profile_id}: a fold state on both paths or neither`);
    if (!a.fold_state || !b.fold_state) continue;
    sameFold(JSON.parse(a.fold_state) as FoldJson, JSON.parse(b.fold_state) as FoldJson, b.profile_id);
    if ((JSON.parse(b.fold_state) as FoldJson).o) withOrders++;
  }
  assert.ok(withOrders > 100);
  // With the default threshold, a profile has a state iff it has that many events, on both paths.
  FOLD.minEvents = 50;
  try {
    for (const path of ['query', 'js']) {
      if (path === 'query') await recomputeAll(t.engine.op, t.engine.es, { workspace: WS, asOf: AS_OF });
      else await t.engine.es.write((c) => recomputeProfiles(c, WS, ids, AS_OF, settings, model, { influence: 'none', foldUpTo: seq }));
      const rows = await t.engine.es.read<{ n: number; f: string | null }>(`select events_total::integer as n, fold_state as f from computed_traits where workspace_id = $1`, [WS]);
      assert.ok(rows.some((r) => r.n >= 50) && rows.some((r) => r.n < 50), 'profiles on both sides of the threshold');
      for (const r of rows) assert.equal(r.f !== null, r.n >= 50, `${path}: ${r.n} events`);
    }
  } finally {
    FOLD.minEvents = 50;
  }
});

interface FoldJson {
  v: number; k: string; s: number | null; a: number[] | null; c: Array<{ n: string; s: number }> | null; b: Array<{ n: string; s: number }> | null;
  o: Array<{ k: string; u: number; t: number; r: number; c: boolean; p: number[] | null }> | null; x: string[] | null;
}

/** Two fold states of one profile: equal but for the order of their lists and the last bits of the interest sums (added in another order). */
function sameFold(a: FoldJson, b: FoldJson, pid: string) {
  assert.deepEqual([a.v, a.k, a.s, a.a], [b.v, b.k, b.s, b.a], pid);
  for (const kind of ['c', 'b'] as const) {
    const [x, y] = [a[kind] ?? [], b[kind] ?? []].map((l) => [...l].sort((p, q) => (p.n < q.n ? -1 : p.n > q.n ? 1 : 0)));
    assert.deepEqual(x!.map((e) => e.n), y!.map((e) => e.n), `${pid} ${kind}`);
    x!.forEach((e, i) => assert.ok(Math.abs(e.s - y![i]!.s) <= 1e-12 * Math.abs(e.s), `${pid} ${kind} ${e.n}: ${e.s} vs ${y![i]!.s}`));
  }
  const orders = (f: FoldJson) => (f.o ?? []).map((o) => ({ ...o, p: [...(o.p ?? [])].sort((p, q) => p - q) })).sort((p, q) => (p.k < q.k ? -1 : 1));
  assert.deepEqual(orders(a), orders(b), `${pid} orders`);
  assert.deepEqual([...(a.x ?? [])].sort(), [...(b.x ?? [])].sort(), `${pid} adjusted order ids`);
}
