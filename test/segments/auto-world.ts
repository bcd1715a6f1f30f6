import { ingestMessages } from '../../src/flows/ingest-messages.ts';
import { pumpBatch } from '../../src/flows/pump-events.ts';
import { projectBatch } from '../../src/flows/project-events.ts';
import { recomputeAll } from '../../src/flows/traits-recompute.ts';
import type { Engine } from '../../src/engine.ts';

/**
 * A small world with three planted kinds of buyers (as of 2026-03-31), for auto-segment and
 * export tests: `big-*` (6 orders of ~¥500 in the last 20 days), `lapsed-*` (one ¥30 order about
 * 200 days ago), `coupon-*` (3 orders of ~¥80 with a coupon 40–60 days ago); plus visitors with
 * no order. `per` of each.
 */
export const AS_OF = '2026-03-31';
const day = (daysAgo: number) => new Date(Date.parse(AS_OF + 'T10:00:00Z') - daysAgo * 86_400_000).toISOString();

export async function plantedWorld(engine: Engine, per = 30, extra: unknown[] = []) {
  const msgs: unknown[] = [];
  const order = (u: string, n: number, daysAgo: number, total: number, coupon?: string) =>
    msgs.push({ type: 'track', event: 'Order Completed', userId: u, messageId: `${u}-o${n}`, timestamp: day(daysAgo), properties: { order_id: `${u}-${n}`, total, products: [{ product_id: `p-${total % 7}`, category: 'c', price: total, quantity: 1 }], ...(coupon ? { coupon } : {}) } });
  for (let i = 0; i < per; i++) {
    for (let n = 0; n < 6; n++) order(`big-${i}`, n, 1 + ((i + n * 3) % 19), 450 + ((i * 7 + n * 13) % 100));
    order(`lapsed-${i}`, 0, 190 + (i % 20), 25 + (i % 10));
    for (let n = 0; n < 3; n++) order(`coupon-${i}`, n, 40 + ((i + n * 7) % 20), 70 + ((i * 3 + n) % 20), 'SAVE');
    msgs.push({ type: 'page', anonymousId: `visitor-${i}`, messageId: `visitor-${i}`, timestamp: day(2), properties: {} });
  }
  msgs.push(...extra);
  for (let i = 0; i < msgs.length; i += 500) await ingestMessages(engine, 'default', msgs.slice(i, i + 500));
  while ((await pumpBatch(engine.op, engine.es)) > 0);
  while ((await projectBatch(engine.op)) > 0);
  await recomputeAll(engine.op, engine.es, { workspace: 'default', asOf: AS_OF });
}
