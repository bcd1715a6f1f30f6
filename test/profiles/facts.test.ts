import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../helpers/engine.ts';
import { ingestMessages } from '../../src/flows/ingest-messages.ts';
import { pumpBatch } from '../../src/flows/pump-events.ts';
import { projectBatch } from '../../src/flows/project-events.ts';
import { recomputeAll } from '../../src/flows/traits-recompute.ts';
import { allTraits, lifecycleHistoryOf, type TraitsRow } from '../../src/modules/profiles/index.ts';

// Purchase facts on a small hand-made history whose every number is worked out below
// (as of 2026-03-31, interest half-life 30 days, default lifecycle windows).

let t: Awaited<ReturnType<typeof startTestApp>>;
let rows: TraitsRow[];
const line = (category: string, brand: string, price: number, quantity = 1) => ({ product_id: `${category}-${brand}-${price}`, category, brand, price, quantity });
const track = (userId: string, event: string, day: string, properties: Record<string, unknown>, id: string) =>
  ({ type: 'track', event, userId, messageId: id, timestamp: `${day}T10:00:00Z`, properties });

before(async () => {
  t = await startTestApp({ background: false });
  await ingestMessages(t.engine, 'default', [
    track('f1', 'Order Completed', '2026-03-01', { order_id: 'A', total: 100, coupon: 'SAVE10', products: [line('books', 'b1', 60), line('toys', 'b2', 40)] }, 'a'),
    track('f1', 'Order Completed', '2026-03-11', { order_id: 'B', total: 50, products: [line('books', 'b1', 50)] }, 'b'),
    track('f1', 'Order Refunded', '2026-03-15', { order_id: 'B' }, 'b-refund'), // whole order
    track('f1', 'Order Completed', '2026-03-21', { order_id: 'C', total: 80, products: [line('toys', 'b2', 80)] }, 'c'),
    track('f1', 'Order Cancelled', '2026-03-22', { order_id: 'C' }, 'c-cancel'),
    track('f1', 'Order Completed', '2026-03-21', { order_id: 'D', revenue: 30, discount: 5, products: [line('books', 'b3', 30)] }, 'd'),
    track('f1', 'Order Refunded', '2026-03-25', { order_id: 'D', total: 10 }, 'd-refund'), // partial
    track('f1', 'Order Completed', '2026-03-21', { order_id: 'D', total: 999 }, 'd-again'), // a repeated completion: the first wins
    track('f1', 'Order Completed', '2026-04-05', { order_id: 'E', total: 70 }, 'e'), // after the as-of day
    track('f1', 'Product Viewed', '2026-03-31', { product_id: 'g', category: 'games', brand: 'b9' }, 'v1'),
    track('f2', 'Order Completed', '2026-02-01', { order_id: 'F', products: [line('tv', 'b5', 250, 2)] }, 'f'), // total from the lines
    { type: 'page', anonymousId: 'visitor', messageId: 'p1', timestamp: '2026-03-30T10:00:00Z', properties: {} },
  ]);
  while ((await pumpBatch(t.engine.op, t.engine.es)) > 0);
  while ((await projectBatch(t.engine.op)) > 0);
  await recomputeAll(t.engine.op, t.engine.es, { workspace: 'default', asOf: '2026-03-31' });
  rows = await allTraits(t.engine.es, 'default');
});
after(async () => {
  await t.close();
});

const of = (userId: string) => rows.find((r) => r.userId === userId)!;

test('orders, GMV, refunds, coupons and dates follow the definitions', () => {
  const f1 = of('f1');
  assert.equal(f1.orders, 3); // A, B, D (C cancelled, E after the as-of day, D once)
  assert.equal(f1.gmv, 180);
  assert.equal(f1.refundedAmount, 60); // B in full (50) + 10 of D
  assert.equal(f1.netRevenue, 120);
  assert.equal(f1.aov, 60);
  assert.equal(f1.refundedOrders, 2);
  assert.ok(Math.abs((f1.refundRate as number) - 2 / 3) < 1e-12);
  assert.equal(f1.couponOrders, 2); // A (coupon), D (discount)
  assert.equal(f1.firstOrderAt, '2026-03-01T10:00:00.000Z');
  assert.equal(f1.lastOrderAt, '2026-03-21T10:00:00.000Z');
  assert.equal(f1.daysSinceLastOrder, 10);
  assert.equal(f1.purchaseDays, 3);
  assert.equal(f1.repeatFrequency, 2);
  assert.equal(f1.repeatRecencyWeeks, 20 / 7);
  assert.equal(f1.repeatTWeeks, 30 / 7);
  assert.equal(f1.medianGapDays, 10);
  assert.deepEqual([f1.nextPurchaseFrom, f1.nextPurchaseTo], ['2026-03-31', '2026-03-31']);
  assert.deepEqual([f1.typicalPrice, f1.priceP25, f1.priceP75], [45, 37.5, 52.5]); // line prices 30, 40, 50, 60
  assert.equal(of('f2').gmv, 500);
  assert.equal(of('f2').orders, 1);
});

test('interest weights decay with a 30-day half-life (purchase line 5, cart add 3, view 1) and sum to 1', () => {
  const cutoff = Date.parse('2026-04-01T00:00:00Z');
  const w = (day: string, weight: number) => weight * 0.5 ** ((cutoff - Date.parse(`${day}T10:00:00Z`)) / 86_400_000 / 30);
  const books = w('2026-03-01', 5) + w('2026-03-11', 5) + w('2026-03-21', 5);
  const toys = w('2026-03-01', 5);
  const games = w('2026-03-31', 1);
  const total = books + toys + games;
  const expected = [['books', books], ['toys', toys], ['games', games]].map(([name, x]) => ({ name, weight: Math.round(((x as number) / total) * 1e4) / 1e4 }));
  assert.deepEqual(of('f1').topCategories, expected);
  assert.deepEqual((of('f1').topBrands as Array<{ name: string }>).map((b) => b.name), ['b1', 'b3', 'b2', 'b9']); // b3 (03-21) is more recent than b2 (03-01)
});

test('RFM and price band rank the buyers; a visitor without orders is a prospect with no scores', () => {
  const f1 = of('f1');
  const f2 = of('f2');
  // Two buyers: f1 is more recent (R 5), buys more often (F 5) and spent less net (M 1); f2 the reverse.
  assert.deepEqual([f1.rScore, f1.fScore, f1.mScore, f1.rfmCell, f1.rfmSegment], [5, 5, 1, '551', 'Champions']);
  assert.deepEqual([f2.rScore, f2.fScore, f2.mScore, f2.rfmCell, f2.rfmSegment], [1, 1, 5, '115', 'Hibernating']);
  assert.equal(f1.rfmMonetary, 120);
  assert.equal(f1.rfmRecencyDays, 10);
  assert.deepEqual([f1.priceBand, f2.priceBand], ['low', 'high']);
  const visitor = rows.find((r) => r.anonymousId === 'visitor' && !r.userId)!;
  assert.equal(visitor.orders, 0);
  assert.equal(visitor.lifecycleStage, 'prospect');
  assert.equal(visitor.rScore, null);
  assert.equal(visitor.eventsTotal, 1);
});

test('lifecycle: new from the first purchase, active once the new window is over', async () => {
  assert.equal(of('f1').lifecycleStage, 'active');
  assert.equal(of('f1').lifecycleSince, '2026-03-31');
  assert.deepEqual(await lifecycleHistoryOf(t.engine.es, 'default', of('f1').profileId), [
    { day: '2026-03-01', stage: 'new', prevStage: 'prospect' },
    { day: '2026-03-31', stage: 'active', prevStage: 'new' },
  ]);
  // f2: one purchase on 2026-02-01, 58 days ago: new for 30 days, then at risk.
  assert.equal(of('f2').lifecycleStage, 'at_risk');
  assert.equal(of('f2').lifecycleSince, '2026-03-03');
});
