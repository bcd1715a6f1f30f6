import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadSnapshot, saveSnapshot, currentVersion } from '../../src/modules/recommend/index.ts';
import { modelRoot } from '../../src/flows/recommend-train.ts';
import { RecommendService } from '../../src/flows/recommend-service.ts';
import { startTestApp, basic } from '../helpers/engine.ts';
import { api, trainedApp, type TestApp } from './serving-app.ts';

const apps: TestApp[] = [];
after(async () => {
  for (const t of apps) await t.close();
});

test('hot swap: a new version is served without a failed or mixed request, by retraining and by a version written to disk', async () => {
  const { t, svc, userIds } = await trainedApp(120, 15);
  apps.push(t);
  const st = await svc.workspace('default');
  const v1 = st.model!.version;
  let stop = false;
  const seen: Array<{ status: number; version: string | null }> = [];
  const client = async (k: number) => {
    for (let i = k; !stop; i += 4) {
      const u = userIds[i % userIds.length]!;
      const r = await api(t, 'GET', `/api/v1/recommendations?userId=${u}&n=20`);
      seen.push({ status: r.statusCode, version: r.statusCode === 200 ? (r.json() as { model: { version: string } }).model.version : null });
      await new Promise((res) => setImmediate(res));
    }
  };
  const clients = [0, 1, 2, 3].map(client);
  // 1. retrain in the worker thread while requests keep coming
  const out = await svc.train('default', 'api');
  assert.ok(out && out.outcome === 'trained');
  const v2 = st.model!.version;
  assert.notEqual(v2, v1);
  const n2 = seen.length;
  await new Promise((r) => setTimeout(r, 300));
  // 2. a version written to disk by another process (e.g. `liebian train`) is picked up by the poll
  const root = modelRoot(t.dataDir, 'default');
  const snap = await loadSnapshot(path.join(root, v2));
  const v3 = '29990101T000000Z-0003';
  saveSnapshot(root, { ...snap, meta: { ...snap.meta, version: v3 } });
  assert.equal(currentVersion(root), v3);
  const until = Date.now() + 10_000;
  while (st.model!.version !== v3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.equal(st.model!.version, v3);
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(clients);
  assert.ok(seen.length > 50, `${seen.length} requests`);
  assert.deepEqual(seen.filter((s) => s.status !== 200), [], 'every request answered 200');
  const versions = seen.map((s) => s.version);
  assert.ok(versions.includes(v1) && versions.includes(v2) && versions.includes(v3), `versions served: ${[...new Set(versions)]}`);
  // once swapped, never back
  const firstV2 = versions.indexOf(v2), firstV3 = versions.indexOf(v3);
  assert.ok(!versions.slice(firstV2).includes(v1));
  assert.ok(!versions.slice(firstV3).includes(v2));
  assert.ok(n2 > 0);
});

test('scheduled training: skipped while there is not enough data, trained once there is, and off the request path', async () => {
  const t = await startTestApp({ env: { LIEBIAN_RATE_LIMIT_EPS: '1000000' } });
  apps.push(t);
  const send = async (batch: unknown[]) => {
    const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/batch', payload: JSON.stringify({ batch }), headers: { 'content-type': 'application/json', authorization: basic() } });
    assert.equal(r.statusCode, 200);
    await t.engine.workers.waitIdle();
  };
  const view = (u: number, p: number, k: number) => ({ type: 'track', event: 'Product Viewed', userId: `s${u}`, messageId: `v-${u}-${p}-${k}`, properties: { product_id: `p${p}`, category: `c${p % 3}` } });
  await send([view(1, 1, 0), view(1, 2, 0)]);
  const svc = new RecommendService({ op: t.engine.op, es: t.engine.es, log: t.engine.log, dataDir: t.dataDir }, { firstCheckMs: 50, checkEveryMs: 150, pollMs: 100, catalogEveryMs: 60_000 });
  await svc.start();
  try {
    const st = await svc.workspace('default');
    const wait = async (cond: () => boolean, what: string) => {
      const until = Date.now() + 60_000;
      while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.ok(cond(), what);
    };
    await wait(() => st.training.last?.outcome === 'skipped', 'a skipped training');
    assert.match(st.training.last!.message, /not enough data/);
    assert.equal(st.model, null);
    // the same data is not re-read on every check
    const skippedAt = st.training.last!.at;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(st.training.last!.at, skippedAt);
    // enough data: 30 users × 6 products
    const batch = [];
    for (let u = 0; u < 30; u++) for (let k = 0; k < 6; k++) batch.push(view(u, (u * 3 + k * 7) % 25, k));
    await send(batch);
    const started = Date.now();
    let served = 0;
    while (st.training.last?.outcome !== 'trained' && Date.now() - started < 60_000) {
      // requests keep being answered while training runs in the worker thread
      svc.recommend(st, { userId: 's1', placement: 'home', productIds: [], n: 5, personalization: true, exclude: [], lang: 'en' });
      served++;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(st.training.last?.outcome, 'trained', JSON.stringify(st.training.last));
    const now = await svc.workspace('default');
    assert.ok(now.model);
    assert.ok(served > 0);
    const r = svc.recommend(now, { userId: 's1', placement: 'home', productIds: [], n: 5, personalization: true, exclude: [], lang: 'en' });
    assert.equal(r.items.length, 5);
    assert.equal(r.model.version, now.model.version);
  } finally {
    await svc.stop();
  }
});
