import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  kmeans, meanSilhouettes, fitAutoSegments, fitAutoSegmentsAsync, fitAutoSegmentsOffThread, NotEnoughData, assignCluster, describeCluster, scalingOf, featureDef, Rng,
} from '../../src/modules/clusters/index.ts';
import { clusterConditionSql, clusterHolds } from '../../src/modules/segments/index.ts';
import { openEventStoreDb } from '../../src/platform/eventstore/duckdb.ts';

// Pure math of auto-segments: hand-computed cases, a brute-force silhouette, determinism, and the
// SQL nearest-centre condition against the TypeScript assignment.

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} ≉ ${b}`);

test('k-means on hand-computed cases: centroids, labels and inertia', () => {
  const r = kmeans(Float64Array.from([0, 1, 10, 11]), 4, 1, 2, { seed: 1 });
  const cs = [...r.centroids].sort((a, b) => a - b);
  assert.deepEqual(cs, [0.5, 10.5]);
  close(r.inertia, 4 * 0.25);
  assert.equal(r.labels[0], r.labels[1]);
  assert.equal(r.labels[2], r.labels[3]);
  assert.notEqual(r.labels[0], r.labels[2]);

  const sq = kmeans(Float64Array.from([0, 0, 0, 2, 4, 0, 4, 2]), 4, 2, 2, { seed: 7 });
  const pts = [0, 1].map((c) => [sq.centroids[c * 2]!, sq.centroids[c * 2 + 1]!]).sort((a, b) => a[0]! - b[0]!);
  assert.deepEqual(pts, [[0, 1], [4, 1]]);
  close(sq.inertia, 4);

  const one = kmeans(Float64Array.from([1, 2, 3, 6]), 4, 1, 1);
  assert.deepEqual([...one.centroids], [3]);
  close(one.inertia, 4 + 1 + 0 + 9);
});

test('silhouette: a hand-computed case and scikit-learn conventions', () => {
  const pts = Float64Array.from([0, 1, 10, 11]);
  const [s] = meanSilhouettes(pts, 4, 1, [{ k: 2, labels: [0, 0, 1, 1] }]);
  close(s!, (9.5 / 10.5 + 8.5 / 9.5) / 2);
  // A singleton cluster scores 0 for its point: [0] alone, [1, 2] together.
  const [t] = meanSilhouettes(Float64Array.from([0, 1, 2]), 3, 1, [{ k: 2, labels: [0, 1, 1] }]);
  // point 1: a = 1, b = 1 → 0; point 2: a = 1, b = 2 → 0.5
  close(t!, (0 + 0 + 0.5) / 3);
});

function bruteSilhouette(pts: number[][], labels: number[]): number {
  const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
  const ks = [...new Set(labels)];
  let total = 0;
  for (let i = 0; i < pts.length; i++) {
    const own = pts.filter((_, j) => j !== i && labels[j] === labels[i]);
    if (!own.length) continue;
    const a = own.reduce((s, p) => s + dist(pts[i]!, p), 0) / own.length;
    const b = Math.min(...ks.filter((k) => k !== labels[i]).map((k) => {
      const m = pts.filter((_, j) => labels[j] === k);
      return m.reduce((s, p) => s + dist(pts[i]!, p), 0) / m.length;
    }));
    total += (b - a) / Math.max(a, b);
  }
  return total / pts.length;
}

test('silhouette equals a brute-force computation on random points and labelings', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const n = 5 + rng.int(60);
    const d = 1 + rng.int(4);
    const pts = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next() * 10));
    const labelings = [2, 3, 5].map((k) => ({ k, labels: Array.from({ length: n }, (_, i) => (i < k ? i : rng.int(k))) }));
    const got = meanSilhouettes(Float64Array.from(pts.flat()), n, d, labelings);
    labelings.forEach((l, i) => close(got[i]!, bruteSilhouette(pts, l.labels), 1e-9));
  }
});

/** Three separated groups of buyers: big spenders (recent), lapsed one-off buyers, coupon users. */
function world(n: number, seed = 5) {
  const rng = new Rng(seed);
  const cols = { orders: new Float64Array(n), gmv: new Float64Array(n), daysSinceLastOrder: new Float64Array(n), couponShare: new Float64Array(n) };
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    truth.push(g);
    const j = () => 0.9 + 0.2 * rng.next();
    if (g === 0) { cols.orders[i] = Math.round(20 * j()); cols.gmv[i] = 5000 * j(); cols.daysSinceLastOrder[i] = Math.round(3 * j()); cols.couponShare[i] = 0.05 * rng.next(); }
    if (g === 1) { cols.orders[i] = 1; cols.gmv[i] = 60 * j(); cols.daysSinceLastOrder[i] = Math.round(300 * j()); cols.couponShare[i] = 0.05 * rng.next(); }
    if (g === 2) { cols.orders[i] = Math.round(4 * j()); cols.gmv[i] = 300 * j(); cols.daysSinceLastOrder[i] = Math.round(30 * j()); cols.couponShare[i] = 0.9 + 0.1 * rng.next(); }
  }
  return { data: { n, columns: cols }, truth };
}
const F = ['orders', 'gmv', 'daysSinceLastOrder', 'couponShare'];

test('auto-segments find planted groups: k chosen by silhouette, clusters described in words', () => {
  const { data, truth } = world(600);
  const m = fitAutoSegments(data, F, { seed: 42 });
  assert.equal(m.chosenK, 3);
  assert.deepEqual(m.silhouettes.map((s) => s.k), [2, 3, 4, 5, 6, 7, 8]);
  const best = Math.max(...m.silhouettes.map((s) => s.silhouette));
  assert.equal(m.silhouettes.find((s) => s.k === 3)!.silhouette, best);
  assert.deepEqual(m.clusters.map((c) => c.size), [200, 200, 200]);
  // Each planted group maps to exactly one cluster.
  const map = new Map<number, Set<number>>();
  for (let i = 0; i < data.n; i++) {
    const c = assignCluster(m, Object.fromEntries(F.map((f) => [f, data.columns[f as keyof typeof data.columns][i]!])));
    if (!map.has(truth[i]!)) map.set(truth[i]!, new Set());
    map.get(truth[i]!)!.add(c);
  }
  assert.deepEqual([...map.values()].map((s) => s.size), [1, 1, 1]);
  const big = m.clusters[[...map.get(0)!][0]!]!;
  assert.match(big.description.en, /big spenders/);
  assert.match(big.description.zh, /高消费/);
  assert.ok(big.description.en.includes('recently active') || big.description.en.includes('frequent buyers'));
  const lapsed = m.clusters[[...map.get(1)!][0]!]!;
  assert.ok(lapsed.description.traits.some((t) => t.feature === 'daysSinceLastOrder' && t.level === 'high'), JSON.stringify(lapsed.description));
  const coupon = m.clusters[[...map.get(2)!][0]!]!;
  assert.equal(coupon.description.traits[0]!.feature, 'couponShare');
  assert.match(coupon.description.zh, /爱用优惠券/);
  // Centroids are in the traits' own units.
  assert.ok(big.centroid.gmv! > 4000 && big.centroid.gmv! < 6000);
  assert.ok(lapsed.centroid.orders === 1);
});

test('a fixed k, determinism for a seed, and sampling on big inputs', async () => {
  const { data } = world(3000, 9);
  const a = fitAutoSegments(data, F, { k: 4, seed: 11 });
  const b = fitAutoSegments(data, F, { k: 4, seed: 11 });
  assert.deepEqual(a, b);
  assert.equal(a.chosenK, 4);
  assert.deepEqual(a.silhouettes.map((s) => s.k), [4]);
  const s = fitAutoSegments(data, F, { seed: 11, fitSample: 900, silhouetteSample: 300 });
  assert.equal(s.fitSample, 900);
  assert.equal(s.silhouetteSample, 300);
  assert.equal(s.chosenK, 3);
  assert.equal(s.clusters.reduce((x, c) => x + c.size, 0), 3000);
  assert.deepEqual(s, fitAutoSegments(data, F, { seed: 11, fitSample: 900, silhouetteSample: 300 }));
  assert.deepEqual(await fitAutoSegmentsAsync(data, F, { seed: 11, fitSample: 900, silhouetteSample: 300 }), s, 'the yielding fit gives the same model');
  // The server's fit of a large input runs on a worker thread (the columns move there): same model.
  const copy = { n: data.n, columns: Object.fromEntries(Object.entries(data.columns).map(([k, v]) => [k, Float64Array.from(v)])) };
  assert.deepEqual(await fitAutoSegmentsOffThread(copy, F, { seed: 11, fitSample: 900, silhouetteSample: 300 }, { worker: true }), s, 'the worker fit gives the same model');
  assert.equal(copy.columns.orders!.length, 0, 'the buffers were transferred, not copied');
  await assert.rejects(fitAutoSegmentsOffThread({ n: 2, columns: { orders: Float64Array.from([1, 2]) } }, ['orders'], {}, { worker: true }),
    (e: unknown) => e instanceof NotEnoughData && /too few/.test((e as Error).message));
});

test('constant features are dropped; too few profiles is refused', () => {
  const { data } = world(30);
  const cols = { ...data.columns, refundRate: new Float64Array(30) };
  const m = fitAutoSegments({ n: 30, columns: cols }, [...F, 'refundRate']);
  assert.deepEqual(m.dropped, ['refundRate']);
  assert.equal(m.features.length, 4);
  assert.throws(() => fitAutoSegments({ n: 2, columns: { orders: Float64Array.from([1, 2]) } }, ['orders']), /too few/);
  assert.throws(() => fitAutoSegments({ n: 5, columns: { orders: Float64Array.from([1, 1, 1, 1, 1]) } }, ['orders']), /constant/);
});

test('describeCluster: strongest three features with |z| ≥ 0.5, else "average"', () => {
  const d = describeCluster(['gmv', 'daysSinceLastOrder', 'refundRate', 'couponShare'], [1.8, -1.2, -0.7, 0.55]);
  assert.equal(d.zh, '高消费 · 近期活跃 · 很少退款');
  assert.equal(d.en, 'big spenders, recently active, rarely refund');
  assert.equal(describeCluster(['gmv'], [0.2]).en, 'close to the average customer');
});

test('the SQL cluster condition assigns every profile as assignCluster does (missing values, ties)', async () => {
  const { data } = world(300, 21);
  const m = fitAutoSegments(data, F, { seed: 3 });
  const db = await openEventStoreDb(undefined);
  try {
    await db.write(async (c) => {
      await c.run('create table computed_traits (profile_id varchar, orders integer, gmv decimal(18,2), days_since_last_order integer, coupon_share double)');
      for (let i = 0; i < data.n; i++) {
        const missing = i % 17 === 0;
        await c.run('insert into computed_traits values ($1, $2, $3, $4, $5)', [
          `p${i}`, data.columns.orders[i]!, Math.round(data.columns.gmv[i]! * 100) / 100, missing ? null : data.columns.daysSinceLastOrder[i]!, data.columns.couponShare[i]!,
        ]);
      }
      await c.run(`insert into computed_traits values ('none', 0, 0, null, null)`);
    });
    const model = { features: m.features, centers: m.clusters.map((c) => c.center) };
    for (const cl of m.clusters) {
      const params: number[] = [];
      const sql = clusterConditionSql(model, cl.index, (v) => { params.push(v); return `$${params.length}::double`; });
      const got = (await db.read<{ profile_id: string }>(`select profile_id from computed_traits where ${sql} order by profile_id`, params)).map((r) => r.profile_id);
      const want: string[] = [];
      for (let i = 0; i < data.n; i++) {
        const raw = { orders: data.columns.orders[i]!, gmv: Math.round(data.columns.gmv[i]! * 100) / 100, daysSinceLastOrder: i % 17 === 0 ? null : data.columns.daysSinceLastOrder[i]!, couponShare: data.columns.couponShare[i]! };
        if (assignCluster(m, raw) === cl.index) want.push(`p${i}`);
        assert.equal(clusterHolds(model, cl.index, raw), assignCluster(m, raw) === cl.index, 'the reference evaluator agrees');
      }
      assert.deepEqual([...got].sort(), want.sort(), `cluster ${cl.index}`);
      assert.ok(!got.includes('none'));
    }
    // Equidistant point between two centres goes to the lower index, in SQL as in TypeScript.
    const tie = { features: [{ ...scalingOf(featureDef('couponShare'), Float64Array.from([0, 1])), mean: 0, sd: 1 }], centers: [[0], [1]] };
    const p: number[] = [];
    const sql0 = clusterConditionSql(tie, 0, (v) => { p.push(v); return `$${p.length}::double`; });
    assert.equal((await db.read(`select 1 from (select 1 as orders, 0.5 as coupon_share) where ${sql0}`, p)).length, 1);
  } finally {
    await db.close();
  }
});
