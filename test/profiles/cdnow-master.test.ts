import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestApp, bearer } from '../helpers/engine.ts';
import type { RecomputeResult } from '../../src/flows/traits-recompute.ts';
import { allTraits, RFM_SEGMENTS } from '../../src/modules/profiles/index.ts';
import { importCdnowMaster } from './cdnow.ts';

// CDNOW_master.txt (23,570 customers, 69,659 purchases) imported once through the public path;
// RFM over all history as of 1998-06-30 against test/profiles/reference/ (cdnow_rfm.py, Python
// standard library, written independently of Liebian; its output is kept next to it).

const REF = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference');
let t: Awaited<ReturnType<typeof startTestApp>>;
let run: RecomputeResult;
before(async () => {
  t = await startTestApp();
  run = await importCdnowMaster(t);
});
after(async () => {
  await t.close();
});

test('RFM scores and segments of every customer equal the independent reference computation', async () => {
  assert.equal(run.buyers, 23_570);
  const rows = (await allTraits(t.engine.es, 'default')).filter((r) => r.rScore != null);
  rows.sort((a, b) => ((a.userId as string) < (b.userId as string) ? -1 : 1));
  const lines = rows.map((r) => `${r.userId},${r.rScore},${r.fScore},${r.mScore},${r.rfmSegment}\n`).join('');
  const ref = Object.fromEntries(fs.readFileSync(path.join(REF, 'cdnow_rfm_checksum.txt'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
  assert.equal(String(rows.length), ref.customers);
  assert.equal(createHash('sha256').update(lines).digest('hex'), ref.sha256);

  const segs = fs.readFileSync(path.join(REF, 'cdnow_rfm_segments.csv'), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [segment, customers, monetary] = l.split(',') as [string, string, string];
    return { segment, customers: Number(customers), monetary: Number(monetary) };
  });
  assert.deepEqual(segs.map((s) => s.segment), [...RFM_SEGMENTS]);
  const grid = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/analytics/rfm', headers: { authorization: bearer() } });
  assert.equal(grid.statusCode, 200);
  const api = grid.json() as { asOf: string; buyers: number; segments: Array<{ segment: string; buyers: number; revenue: number }>; cells: Array<{ r: number; f: number; buyers: number }> };
  assert.equal(api.asOf, '1998-06-30');
  assert.equal(api.buyers, 23_570);
  assert.equal(api.cells.length, 25);
  for (const s of segs) {
    const mine = api.segments.find((x) => x.segment === s.segment)!;
    assert.equal(mine.buyers, s.customers, s.segment);
    assert.ok(Math.abs(mine.revenue - s.monetary) < 0.005, `${s.segment} revenue ${mine.revenue} vs ${s.monetary}`);
  }
  // Three segment counts, spelled out.
  const count = (name: string) => api.segments.find((x) => x.segment === name)!.buyers;
  assert.deepEqual([count('Champions'), count('At Risk'), count('Hibernating')], [4427, 844, 8567]);
});

test('the churn model beats recency alone on the time-based holdout', () => {
  const c = run.churn!;
  assert.ok(c.auc !== null && c.baselineAuc !== null, JSON.stringify(c));
  assert.ok(c.auc > c.baselineAuc, `model AUC ${c.auc} vs recency-only ${c.baselineAuc}`);
  console.log(`CDNOW churn (horizon ${c.horizonDays} d, holdout at ${c.holdoutCutoff}, ${c.holdoutRows} buyers, churn rate ${c.holdoutChurnRate?.toFixed(3)}): AUC ${c.auc.toFixed(4)}, recency-only ${c.baselineAuc.toFixed(4)}`);
});

test('GET /api/v1/users/:profileId/traits answers a customer\'s traits, 404 for an unknown profile', async () => {
  const who = await t.engine.op.query<{ profile_id: string }>(`select profile_id from identities where workspace_id = 'default' and kind = 'user_id' and value = '00002'`);
  const id = who.rows[0]!.profile_id;
  const r = await t.app.fastify.inject({ method: 'GET', url: `/api/v1/users/${id}/traits`, headers: { authorization: bearer() } });
  assert.equal(r.statusCode, 200);
  const b = r.json();
  // Customer 00002: two purchases on 1997-01-12 (12.00 + 77.00).
  assert.equal(b.profileId, id);
  assert.equal(b.traits.orders, 2);
  assert.equal(b.traits.gmv, 89);
  assert.equal(b.traits.purchaseDays, 1);
  assert.equal(b.traits.firstOrderAt, '1997-01-12T00:00:00.000Z');
  assert.equal(b.traits.lifecycleStage, 'churned');
  assert.ok(b.traits.churnProbability > 0.5 && b.traits.churnProbability <= 1);
  assert.equal(typeof b.churnModel.auc, 'number');
  assert.ok(Array.isArray(b.lifecycleHistory) && b.lifecycleHistory.length > 0);
  assert.equal((await t.app.fastify.inject({ method: 'GET', url: '/api/v1/users/p_nobody/traits', headers: { authorization: bearer() } })).statusCode, 404);
  assert.equal((await t.app.fastify.inject({ method: 'GET', url: `/api/v1/users/${id}/traits` })).statusCode, 401);
});
