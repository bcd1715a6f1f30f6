import { test } from 'node:test';
import { listValue } from '@duckdb/node-api';
import assert from 'node:assert/strict';
import { openEventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { migrateEventStore } from '../../src/modules/events/index.ts';
import { rescoreAll, rescoreScope } from '../../src/modules/profiles/index.ts';

// The incremental rescoring (rank-cache.ts) against the full rescoring statements: random facts
// with many ties (the tie-break by userId / anonymousId / profile id decides), ids whose UTF-16
// and UTF-8 orders differ, buyers appearing and disappearing, rounds of small scopes; every few
// rounds the stored scores must equal a full rescoring's.

const WS = 'w';
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
const IDS = ['a', 'b', 'B', 'é', '中', '😀', '\uff55', 'z9', 'a0'];

function row(profileId: string) {
  const buyer = rnd() < 0.7;
  const priced = rnd() < 0.6;
  return {
    profileId,
    userId: rnd() < 0.15 ? null : `${pick(IDS)}${Math.floor(rnd() * 30)}`,
    anonymousId: rnd() < 0.3 ? null : `${pick(IDS)}-${Math.floor(rnd() * 10)}`,
    recency: buyer ? Math.floor(rnd() * 12) : null,
    frequency: buyer ? 1 + Math.floor(rnd() * 3) : 0,
    monetary: buyer ? (Math.floor(rnd() * 20) * 5).toFixed(2) : null,
    price: priced ? pick([9.9, 19.5, 20, 99, 120.25]) : null,
  };
}

test('incremental RFM and price-band rescoring equals the full rescoring', async () => {
  const es = await openEventStoreDb(undefined);
  try {
    await migrateEventStore(es);
    const insert = async (c: Parameters<Parameters<typeof es.write>[0]>[0], r: ReturnType<typeof row>) => {
      await c.run(
        `insert into computed_traits (workspace_id, profile_id, as_of, user_id, anonymous_id, rfm_recency_days, rfm_frequency, rfm_monetary, typical_price)
         values ($1, $2, '2026-01-01', $3, $4, $5, $6, $7::decimal(18,2), $8)`,
        [WS, r.profileId, r.userId, r.anonymousId, r.recency, r.frequency, r.monetary, r.price]);
    };
    const snapshot = () => es.read(`select profile_id, r_score, f_score, m_score, rfm_cell, rfm_segment, price_band from computed_traits order by profile_id`);
    let next = 0;
    const profiles: string[] = [];
    await es.write(async (c) => {
      for (; next < 400; next++) {
        profiles.push(`p${next}`);
        await insert(c, row(`p${next}`));
      }
      await rescoreAll(c, WS);
    });
    let checks = 0;
    for (let round = 1; round <= 60; round++) {
      const scope = new Set<string>();
      const size = round % 10 === 0 ? 40 : 1 + Math.floor(rnd() * 4);
      while (scope.size < size) scope.add(rnd() < 0.1 ? `p${next++}` : pick(profiles));
      const list = [...scope];
      for (const p of list) if (!profiles.includes(p)) profiles.push(p);
      await es.write(async (c) => {
        await c.run(`delete from computed_traits where workspace_id = $1 and profile_id in (select unnest($2::varchar[]))`, [WS, listValue(list)]);
        // A profile can also leave the table (merged away): rows are rewritten for most of the scope.
        for (const p of list) if (rnd() < 0.95) await insert(c, row(p));
        await rescoreScope(c, WS, list);
      });
      if (round % 5 === 0) {
        const incremental = await snapshot();
        await es.write((c) => rescoreAll(c, WS));
        assert.deepEqual(incremental, await snapshot(), `round ${round}`);
        checks++;
      }
    }
    assert.equal(checks, 12);
  } finally {
    await es.close();
  }
});
