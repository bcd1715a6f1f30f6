import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate, type SegmentMessage, type SimOptions } from '../../src/sim/index.ts';

function collect(opts: SimOptions, batchSize?: number): { msgs: SegmentMessage[]; batches: number; maxBatch: number } {
  const sim = simulate(opts, batchSize);
  const msgs: SegmentMessage[] = [];
  let batches = 0, maxBatch = 0;
  for (const b of sim.batches()) {
    batches++;
    maxBatch = Math.max(maxBatch, b.length);
    for (const m of b) msgs.push(m);
  }
  return { msgs, batches, maxBatch };
}

const SMALL: SimOptions = { users: 200, days: 14, seed: 1 };
const MEDIUM: SimOptions = { users: 3000, days: 30, seed: 11 };
let mediumCache: { msgs: SegmentMessage[]; sim: ReturnType<typeof simulate> } | undefined;
function medium(): { msgs: SegmentMessage[]; sim: ReturnType<typeof simulate> } {
  if (!mediumCache) mediumCache = { sim: simulate(MEDIUM), msgs: collect(MEDIUM).msgs };
  return mediumCache;
}
const tracks = (msgs: SegmentMessage[], event: string) => msgs.filter((m) => m.type === 'track' && m.event === event);

test('same options give byte-identical output; another seed differs', () => {
  const a = JSON.stringify(collect(SMALL).msgs);
  const b = JSON.stringify(collect(SMALL).msgs);
  assert.equal(a, b);
  assert.equal(JSON.stringify(simulate(SMALL).truth), JSON.stringify(simulate(SMALL).truth));
  const c = JSON.stringify(collect({ ...SMALL, seed: 2 }).msgs);
  assert.notEqual(a, c);
  // re-running batches() on the same simulation replays it
  const sim = simulate(SMALL);
  const first = JSON.stringify([...sim.batches()]);
  assert.equal(JSON.stringify([...sim.batches()]), first);
});

test('small world is fast and batches respect batchSize', () => {
  const t0 = performance.now();
  const { msgs, maxBatch, batches } = collect(SMALL, 250);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `took ${ms} ms`);
  assert.ok(msgs.length > 1000, `only ${msgs.length} messages`);
  assert.ok(maxBatch <= 250);
  assert.ok(batches >= msgs.length / 250);
});

test('timestamps non-decreasing and inside [startDate, startDate + days)', () => {
  const opts = { ...SMALL, startDate: '2026-03-01' };
  const { msgs } = collect(opts);
  const lo = Date.parse('2026-03-01T00:00:00Z'), hi = lo + opts.days * 86_400_000;
  let prev = -Infinity;
  for (const m of msgs) {
    const t = Date.parse(m.timestamp);
    assert.ok(t >= prev, `out of order at ${m.messageId}`);
    assert.ok(t >= lo && t < hi, `${m.timestamp} outside range`);
    prev = t;
  }
});

test('messageIds unique and deterministic', () => {
  const { msgs } = medium();
  const ids = new Set(msgs.map((m) => m.messageId));
  assert.equal(ids.size, msgs.length);
  assert.ok(msgs.every((m) => m.messageId.startsWith(`sim-${MEDIUM.seed}-`)));
});

test('orders carry order_id and products; refunds / cancels refer to orders', () => {
  const { msgs } = medium();
  const orders = tracks(msgs, 'Order Completed');
  assert.ok(orders.length > 100);
  const ids = new Set<string>();
  for (const o of orders) {
    const p = o.properties!;
    assert.equal(typeof p.order_id, 'string');
    assert.ok(!ids.has(p.order_id as string), 'duplicate order_id');
    ids.add(p.order_id as string);
    assert.equal(p.currency, 'CNY');
    assert.ok(typeof p.total === 'number' && typeof p.revenue === 'number');
    const products = p.products as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(products) && products.length > 0);
    for (const item of products) for (const k of ['product_id', 'sku', 'name', 'category', 'brand', 'price', 'quantity']) assert.ok(item[k] !== undefined, `missing ${k}`);
    assert.ok(o.userId, 'orders are by known users');
  }
  const refunds = tracks(msgs, 'Order Refunded'), cancels = tracks(msgs, 'Order Cancelled');
  for (const r of [...refunds, ...cancels]) assert.ok(ids.has(r.properties!.order_id as string));
  assert.ok(refunds.length / orders.length > 0.02 && refunds.length / orders.length < 0.08, `refund rate ${refunds.length / orders.length}`);
  assert.ok(cancels.length / orders.length > 0.005 && cancels.length / orders.length < 0.04, `cancel rate ${cancels.length / orders.length}`);
  assert.ok(tracks(msgs, 'Coupon Applied').length > 0 && orders.some((o) => o.properties!.coupon));
  assert.ok(tracks(msgs, 'Product Reviewed').length > 0);
});

test('funnel drop-off is realistic', () => {
  const { msgs } = medium();
  const views = tracks(msgs, 'Product Viewed').length;
  const adds = tracks(msgs, 'Product Added');
  const carts = new Set(adds.map((m) => m.properties!.cart_id)).size;
  const orders = tracks(msgs, 'Order Completed').length;
  const viewToCart = adds.length / views, cartToOrder = orders / carts;
  assert.ok(viewToCart > 0.08 && viewToCart < 0.22, `view→cart ${viewToCart}`);
  assert.ok(cartToOrder > 0.25 && cartToOrder < 0.55, `cart→order ${cartToOrder}`);
});

test('shares have ids, parents precede children, cascades go several generations deep', () => {
  const { msgs } = medium();
  const gen = new Map<string, number>();
  for (const m of tracks(msgs, 'Product Shared')) {
    const id = m.properties!.share_id as string;
    assert.match(id, /^[A-Za-z0-9_-]{8,}$/);
    assert.ok(!gen.has(id), 'share_id reused');
    const parent = m.properties!.parent_share_id as string | undefined;
    if (parent !== undefined) {
      const pg = gen.get(parent);
      assert.ok(pg !== undefined, `parent ${parent} not shared earlier`);
      gen.set(id, pg + 1);
    } else gen.set(id, 0);
  }
  assert.ok(Math.max(...gen.values()) >= 3, 'cascades of at least 3 generations');
  // clicks and orders refer to shares made earlier
  let anonClicks = 0;
  for (const m of tracks(msgs, 'Share Link Opened')) {
    assert.ok(gen.has(m.properties!.share_id as string));
    if (!m.userId) anonClicks++;
  }
  assert.ok(anonClicks > 0, 'some clicks are by anonymous visitors');
  const landings = msgs.filter((m) => (m.type === 'page' || m.type === 'screen') && (m.context?.campaign as Record<string, unknown> | undefined)?.share_id);
  assert.ok(landings.length > 0);
  for (const m of landings) assert.ok(gen.has((m.context!.campaign as Record<string, string>).share_id!));
  const shareOrders = tracks(msgs, 'Order Completed').filter((m) => m.properties!.share_id);
  assert.ok(shareOrders.length > 0);
  for (const m of shareOrders) assert.ok(gen.has(m.properties!.share_id as string));
});

test('anonymous visitors sign up through share links and invites (identity merge)', () => {
  const { msgs } = medium();
  const anonSeen = new Set<string>();
  const shareAnon = new Set<string>();
  for (const m of msgs) {
    if (!m.userId && m.anonymousId) {
      anonSeen.add(m.anonymousId);
      if (m.event === 'Share Link Opened') shareAnon.add(m.anonymousId);
    }
  }
  const identifies = msgs.filter((m) => m.type === 'identify');
  const signups = identifies.filter((m) => m.traits?.created_at);
  assert.equal(signups.length, MEDIUM.users);
  for (const m of signups) {
    assert.match(m.userId!, /^u\d+$/);
    assert.match(m.anonymousId!, /^anon-/);
    assert.equal(m.traits!.email, `${m.userId}@example.com`);
  }
  const before = signups.filter((m) => anonSeen.has(m.anonymousId!)).length;
  assert.ok(before / signups.length > 0.9, 'signups are preceded by anonymous browsing');
  assert.ok(signups.filter((m) => shareAnon.has(m.anonymousId!)).length > 0, 'some signups come through a share');
  const phones = signups.filter((m) => m.traits!.phone).length / signups.length;
  const wechat = signups.filter((m) => m.traits!.wechat_openid && m.traits!.wechat_unionid).length / signups.length;
  assert.ok(phones > 0.6 && phones < 0.8, `phone ${phones}`);
  assert.ok(wechat > 0.4 && wechat < 0.6, `wechat ${wechat}`);
  assert.equal(new Set(signups.map((m) => m.traits!.phone).filter(Boolean)).size, signups.filter((m) => m.traits!.phone).length, 'phones unique');
  // invites: accepted ones were sent earlier by the named inviter
  const sent = new Map(tracks(msgs, 'Invite Sent').map((m) => [m.properties!.invite_id as string, m.userId]));
  const accepted = tracks(msgs, 'Invite Accepted');
  assert.ok(accepted.length > 0);
  for (const m of accepted) assert.equal(sent.get(m.properties!.invite_id as string), m.properties!.inviter_id);
});

test('social graph degree distribution is heavy-tailed with KOLs', () => {
  const { msgs, sim } = medium();
  const deg = new Map<string, number>();
  const bump = (u: string) => deg.set(u, (deg.get(u) ?? 0) + 1);
  for (const m of msgs) {
    if (m.event === 'Friend Added') {
      bump(m.userId!);
      bump(m.properties!.friend_id as string);
    } else if (m.event === 'User Followed') bump(m.properties!.followee_id as string);
  }
  const d = [...deg.values()].sort((a, b) => a - b);
  const median = d[Math.floor(d.length / 2)]!, max = d[d.length - 1]!;
  assert.ok(max >= 20 * median, `max ${max} median ${median}`);
  const kols = sim.truth.users.filter((u) => u.isKol);
  assert.ok(kols.length >= 1 && kols.length <= MEDIUM.users * 0.01);
  const kolMean = kols.reduce((s, u) => s + (deg.get(u.userId) ?? 0), 0) / kols.length;
  assert.ok(kolMean > 10 * median, `KOL mean degree ${kolMean}`);
  // KOLs share far more than everyone else
  const kolIds = new Set(kols.map((u) => u.userId));
  const shares = tracks(msgs, 'Product Shared');
  const kolShares = shares.filter((m) => kolIds.has(m.userId!)).length / kols.length;
  const otherShares = shares.filter((m) => !kolIds.has(m.userId!)).length / (MEDIUM.users - kols.length);
  assert.ok(kolShares > 10 * otherShares, `shares per KOL ${kolShares} vs ${otherShares}`);
});

test('ground truth: tastes sum to 1 and are recovered from orders', () => {
  const { msgs, sim } = medium();
  const { truth } = sim;
  assert.deepEqual(truth.categories.slice(0, 3), ['美妆', '服饰', '数码']);
  assert.equal(truth.products.length, 600);
  const top = new Map<string, string>();
  for (const u of truth.users) {
    const sum = Object.values(u.tastes).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
    top.set(u.userId, Object.entries(u.tastes).sort((a, b) => b[1] - a[1])[0]![0]);
  }
  const counts = new Map<string, Map<string, number>>();
  let items = 0, inTop = 0;
  for (const o of tracks(msgs, 'Order Completed')) {
    for (const it of o.properties!.products as Array<{ category: string }>) {
      items++;
      if (top.get(o.userId!) === it.category) inTop++;
      let c = counts.get(o.userId!);
      if (!c) counts.set(o.userId!, (c = new Map()));
      c.set(it.category, (c.get(it.category) ?? 0) + 1);
    }
  }
  assert.ok(inTop / items > 0.35, `share of ordered items in the latent top category ${inTop / items}`);
  let users = 0, hits = 0;
  for (const [u, c] of counts) {
    const total = [...c.values()].reduce((a, b) => a + b, 0);
    if (total < 3) continue;
    users++;
    if ([...c].sort((a, b) => b[1] - a[1])[0]![0] === top.get(u)) hits++;
  }
  assert.ok(users > 50 && hits / users > 0.5, `mode = top taste for ${hits}/${users}`);
});

test('churned users go quiet; custom events present; estimate is close', () => {
  const { msgs, sim } = medium();
  const start = Date.parse('2026-01-01T00:00:00Z');
  const churn = new Map(sim.truth.users.filter((u) => u.churnDay !== null).map((u) => [u.userId, u.churnDay!]));
  assert.ok(churn.size > MEDIUM.users * 0.1);
  for (const m of msgs) {
    const cd = m.userId ? churn.get(m.userId) : undefined;
    if (cd === undefined || m.event === 'Order Refunded' || m.event === 'Order Cancelled') continue;
    assert.ok(Date.parse(m.timestamp) < start + cd * 86_400_000, `${m.userId} active after churn: ${m.event ?? m.type}`);
  }
  for (const e of ['Group Buy Started', 'Group Buy Joined', 'Checked In']) assert.ok(tracks(msgs, e).length > 0, e);
  for (const type of ['page', 'screen', 'identify', 'group', 'alias']) assert.ok(msgs.some((m) => m.type === type), type);
  const est = sim.estimateEvents();
  assert.ok(est > msgs.length * 0.7 && est < msgs.length * 1.3, `estimate ${est} vs ${msgs.length}`);
});

test('streams day by day: the first batch comes long before the whole run', () => {
  const t0 = performance.now();
  const it = simulate({ users: 20000, days: 90, seed: 5 }).batches();
  const first = it.next();
  const ms = performance.now() - t0;
  assert.ok(!first.done && first.value.length > 0);
  assert.ok(ms < 1500, `first batch after ${ms} ms`);
  assert.ok(first.value.every((m) => m.timestamp.startsWith('2026-01-01')));
});
