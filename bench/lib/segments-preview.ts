import type { OpStore } from '../../src/platform/opstore/index.ts';
import type { EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { previewRule } from '../../src/flows/segments-evaluate.ts';
import { median, percentile, fmt } from './machine.ts';

/** The preview measurement of bench:segments: a 5-condition rule (traits + event windows + social). */
export interface PreviewResult { rule: unknown; reps: number; times: number[]; first: number; median: number; p99: number; count: number }

/** The most followed person (the `follower_of` subject of the rule). */
async function mostFollowed(op: OpStore, ws: string): Promise<string> {
  const r = await op.query<{ dst: string }>(
    `select dst from social_edges where workspace_id = $1 and type = 'follow' and removed_at is null and dst like 'u:%' group by dst order by count(*) desc, dst limit 1`, [ws]);
  return r.rows[0]?.dst.slice(2) ?? 'u1';
}

export function fiveConditionRule(kolUserId: string): unknown {
  return {
    all: [
      { trait: 'lifecycleStage', op: 'in', value: ['active', 'returning', 'new'] },
      { trait: 'gmv', op: 'gt', value: 200 },
      { event: 'Order Completed', count: { op: 'gte', value: 2 }, within: { days: 30 } },
      { event: 'Product Shared', within: { days: 14 } },
      { any: [{ social: 'follower_of', of: { userId: kolUserId } }, { social: 'near_kol', hops: 2 }] },
    ],
  };
}

export async function measurePreview(op: OpStore, es: EventStoreDb, ws: string, reps: number, log: (s: string) => void): Promise<PreviewResult> {
  const rule = fiveConditionRule(await mostFollowed(op, ws));
  log(`preview rule: ${JSON.stringify(rule)}`);
  let t = performance.now();
  const first = await previewRule(es, op, ws, rule);
  const firstMs = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    await previewRule(es, op, ws, rule);
    times.push(performance.now() - t);
  }
  const out = { rule, reps, times, first: firstMs, median: median(times), p99: percentile(times, 99), count: first.count };
  log(`preview: ${fmt(out.count)} profiles; median ${fmt(out.median, 0)} ms, p99 ${fmt(out.p99, 0)} ms (first ${fmt(firstMs, 0)} ms; runs ${times.map((x) => fmt(x, 0)).join(' / ')})`);
  return out;
}
