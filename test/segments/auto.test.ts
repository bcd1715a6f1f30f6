import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, bearer } from '../helpers/engine.ts';
import { plantedWorld, AS_OF } from './auto-world.ts';
import { clusterConditionSql } from '../../src/modules/segments/index.ts';

// POST /api/v1/segments/auto on a world with three planted kinds of buyers: k = 3 by silhouette,
// each kind one cluster, described in words; determinism; validation; the SQL condition.

let t: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  t = await startTestApp({ background: false });
  await plantedWorld(t.engine, 30);
});
after(async () => {
  await t.close();
});

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  t.app.fastify.inject({ method, url, headers: { authorization: bearer() }, ...(payload !== undefined ? { payload: payload as object } : {}) });

async function profileOf(userId: string): Promise<string> {
  const r = await t.engine.op.query<{ profile_id: string }>(`select profile_id from identities where workspace_id = 'default' and kind = 'user_id' and value = $1`, [userId]);
  return r.rows[0]!.profile_id;
}

test('k is chosen by silhouette; each planted kind of buyer is one cluster, described in words', async () => {
  const r = await api('POST', '/api/v1/segments/auto', {});
  assert.equal(r.statusCode, 201, r.body);
  const m = r.json();
  assert.match(m.id, /^km_/);
  assert.equal(m.asOf, AS_OF);
  assert.equal(m.profiles, 90); // buyers only: visitors are not clustered
  assert.deepEqual(m.silhouettes.map((s: { k: number }) => s.k), [2, 3, 4, 5, 6, 7, 8]);
  assert.equal(m.chosenK, 3);
  const best = m.silhouettes.reduce((a: { silhouette: number }, b: { silhouette: number }) => (b.silhouette > a.silhouette ? b : a));
  assert.equal(best.k, 3);
  assert.deepEqual(m.clusters.map((c: { size: number }) => c.size), [30, 30, 30]);
  assert.ok(m.dropped.includes('refundRate') && m.dropped.includes('social90d'), 'constant features are dropped');

  const byUser = async (u: string) => {
    const traits = (await api('GET', `/api/v1/users/${await profileOf(u)}/traits`)).json().traits;
    const sums = m.clusters.map((c: { center: number[] }) => c.center.reduce((s: number, x: number, j: number) => {
      const f = m.features[j];
      const raw = traits[f.name];
      const v = raw === null ? 0 : ((f.transform === 'log1p' ? Math.log(1 + Math.max(raw, 0)) : raw) - f.mean) / f.sd;
      return s + (v - x) ** 2;
    }, 0));
    return m.clusters[sums.indexOf(Math.min(...sums))];
  };
  const big = await byUser('big-3');
  const lapsed = await byUser('lapsed-3');
  const coupon = await byUser('coupon-3');
  assert.equal(new Set([big.index, lapsed.index, coupon.index]).size, 3);
  assert.match(big.description.zh, /高消费/);
  assert.match(big.description.en, /big spenders/);
  assert.ok(lapsed.description.traits.some((x: { feature: string; level: string }) => x.feature === 'daysSinceLastOrder' && x.level === 'high'));
  assert.match(coupon.description.en, /coupon-driven/);
  // Centroids in the traits' own units.
  assert.equal(lapsed.centroid.orders, 1);
  assert.equal(big.centroid.orders, 6);
  assert.equal(coupon.centroid.couponShare, 1);

  const again = await api('GET', `/api/v1/segments/auto/${m.id}`);
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(again.json(), m);
  const list = (await api('GET', '/api/v1/segments/auto')).json();
  assert.ok(list.models.some((x: { id: string; chosenK: number }) => x.id === m.id && x.chosenK === 3));
});

test('the same request gives the same model; a fixed k and chosen features', async () => {
  const a = (await api('POST', '/api/v1/segments/auto', { seed: 7, k: 4, features: ['orders', 'gmv', 'daysSinceLastOrder'] })).json();
  const b = (await api('POST', '/api/v1/segments/auto', { seed: 7, k: 4, features: ['orders', 'gmv', 'daysSinceLastOrder'] })).json();
  assert.notEqual(a.id, b.id);
  const strip = (x: Record<string, unknown>) => ({ ...x, id: undefined, createdAt: undefined });
  assert.deepEqual(strip(a), strip(b));
  assert.equal(a.chosenK, 4);
  assert.deepEqual(a.features.map((f: { name: string }) => f.name), ['orders', 'gmv', 'daysSinceLastOrder']);
  assert.equal(a.silhouettes.length, 1);
  // An influence trait with no social data (or not computed in this store) is dropped, not an error.
  const inf = (await api('POST', '/api/v1/segments/auto', { features: ['orders', 'gmv', 'followers', 'downstreamGmv'] })).json();
  assert.deepEqual(inf.dropped, ['followers', 'downstreamGmv']);
  assert.equal(inf.chosenK, 3);
});

test('the SQL cluster condition over computed_traits reproduces the model\'s cluster sizes', async () => {
  const m = (await api('POST', '/api/v1/segments/auto', {})).json();
  for (const c of m.clusters) {
    const params: Array<string | number> = ['default'];
    const cond = clusterConditionSql({ features: m.features, centers: m.clusters.map((x: { center: number[] }) => x.center) }, c.index, (v) => {
      params.push(v);
      return `$${params.length}::double`;
    });
    const r = await t.engine.es.read<{ n: number }>(`select count(*)::integer as n from computed_traits where workspace_id = $1 and ${cond}`, params);
    assert.equal(r[0]!.n, c.size);
  }
});

test('a cluster saved as a segment: { cluster: { model, index } } in the rule language, evaluated in SQL', async () => {
  const m = (await api('POST', '/api/v1/segments/auto', {})).json();
  const big = m.clusters.find((c: { description: { en: string } }) => /big spenders/.test(c.description.en));
  const seg = await api('POST', '/api/v1/segments', { name: 'big spenders', rule: { cluster: { model: m.id, index: big.index } } });
  assert.equal(seg.statusCode, 201, seg.body);
  assert.equal(seg.json().size, big.size);
  const members = (await api('GET', `/api/v1/segments/${seg.json().id}/members?limit=100`)).json().members as Array<{ userId: string }>;
  assert.ok(members.every((x) => x.userId.startsWith('big-')), JSON.stringify(members.slice(0, 3)));
  const pv = await api('POST', '/api/v1/segments/preview', { rule: { all: [{ cluster: { model: m.id, index: big.index } }, { not: { trait: 'userId', op: 'eq', value: 'big-0' } }] } });
  assert.equal(pv.statusCode, 200, pv.body);
  assert.equal(pv.json().count, big.size - 1);
  // Referenced from another segment's rule too.
  const ref = await api('POST', '/api/v1/segments/preview', { rule: { any: [{ segment: seg.json().id }] } });
  assert.equal(ref.json().count, big.size);

  const bad = async (rule: unknown, path: string) => {
    const r = await api('POST', '/api/v1/segments/preview', { rule });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error.code, 'RULE_INVALID');
    assert.equal(r.json().error.details[0].path, path);
  };
  await bad({ cluster: { model: 'km_nope', index: 0 } }, 'rule.cluster.model');
  await bad({ all: [{ cluster: { model: m.id, index: m.chosenK } }] }, 'rule.all[0].cluster.index');
  await bad({ cluster: { model: m.id, index: -1 } }, 'rule.cluster.index');
  await bad({ cluster: { model: m.id } }, 'rule.cluster.index');
  await bad({ cluster: { model: m.id, index: 0, k: 1 } }, 'rule.cluster');

  // The model cannot be deleted while a saved segment has one of its clusters; then it can, once.
  const inUse = await api('DELETE', `/api/v1/segments/auto/${m.id}`);
  assert.equal(inUse.statusCode, 409, inUse.body);
  assert.equal(inUse.json().error.code, 'CONFLICT');
  assert.match(inUse.json().error.details[0].message, new RegExp(`used by segment ${seg.json().id}`));
  assert.deepEqual(inUse.json().error.details[0].segment, { id: seg.json().id, name: seg.json().name });
  assert.match(inUse.json().error.message, /delete those segments or change their rules first/);
  assert.equal((await api('GET', `/api/v1/segments/auto/${m.id}`)).statusCode, 200);
  assert.equal((await api('DELETE', `/api/v1/segments/${seg.json().id}`)).statusCode, 204);
  const gone = await api('DELETE', `/api/v1/segments/auto/${m.id}`);
  assert.equal(gone.statusCode, 204, gone.body);
  assert.equal((await api('GET', `/api/v1/segments/auto/${m.id}`)).statusCode, 404);
  assert.ok(!(await api('GET', '/api/v1/segments/auto')).json().models.some((x: { id: string }) => x.id === m.id));
  const again = await api('DELETE', `/api/v1/segments/auto/${m.id}`);
  assert.equal(again.statusCode, 404);
  assert.equal(again.json().error.code, 'NOT_FOUND');
  const long = await api('DELETE', `/api/v1/segments/auto/${'x'.repeat(101)}`);
  assert.equal(long.statusCode, 400);
  assert.equal(long.json().error.details[0].path, 'params.id');
});

test('bad requests get a coded 4xx naming the field', async () => {
  const bad = async (body: unknown, path: string, status = 400, code = 'VALIDATION_FAILED') => {
    const r = await api('POST', '/api/v1/segments/auto', body);
    assert.equal(r.statusCode, status, r.body);
    assert.equal(r.json().error.code, code);
    assert.ok(r.json().error.details.some((d: { path: string }) => d.path === path), r.body);
  };
  await bad({ features: ['orders', 'shoeSize'] }, 'body.features.1');
  await bad({ features: ['orders', 'orders'] }, 'body.features');
  await bad({ features: [] }, 'body.features');
  await bad({ k: 1 }, 'body.k');
  await bad({ k: 2.5 }, 'body.k');
  await bad({ k: 21 }, 'body.k');
  await bad({ seed: -1 }, 'body.seed');
  await bad({ colour: 'red' }, 'body');
  await bad({ features: ['refundRate'] }, 'body.features', 409, 'NOT_ENOUGH_DATA');
  const nf = await api('GET', '/api/v1/segments/auto/km_nope');
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.json().error.code, 'NOT_FOUND');
  const noAuth = await t.app.fastify.inject({ method: 'POST', url: '/api/v1/segments/auto', payload: {} });
  assert.equal(noAuth.statusCode, 401);
});
