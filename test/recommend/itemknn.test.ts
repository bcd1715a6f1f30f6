import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrFromTriples, ItemKnnRecommender, SessionRecommender } from '../../src/modules/recommend/index.ts';
import { keepLargest } from '../../src/modules/recommend/models/cooccur.ts';
import { Rng } from '../../src/platform/rng.ts';
import type { Csr } from '../../src/modules/recommend/sparse.ts';

const ctx = { threads: 1, seed: 1 };
const side = {};

/** sims as a dense matrix */
function dense(s: Csr): number[][] {
  const out = Array.from({ length: s.nRows }, () => new Array<number>(s.nCols).fill(0));
  for (let i = 0; i < s.nRows; i++) for (let p = s.indptr[i]!; p < s.indptr[i + 1]!; p++) out[i]![s.indices[p]!] = s.data[p]!;
  return out;
}

// users × items:   i0 i1 i2
//   u0              1  1  0
//   u1              1  1  1
//   u2              0  1  1
//   u3              1  0  0
// item user-sets: i0 {u0,u1,u3}, i1 {u0,u1,u2}, i2 {u1,u2}
// cos(i0,i1) = 2/√(3·3) = 2/3, cos(i0,i2) = 1/√(3·2) = 1/√6, cos(i1,i2) = 2/√6
const X = csrFromTriples(4, 3, [0, 0, 1, 1, 1, 2, 2, 3], [0, 1, 0, 1, 2, 1, 2, 0]);

test('item-kNN cosine on a toy matrix', async () => {
  const m = new ItemKnnRecommender();
  await m.fit({ train: X, side }, ctx);
  const s = dense(m.sims!);
  const want = [
    [0, 2 / 3, 1 / Math.sqrt(6)],
    [2 / 3, 0, 2 / Math.sqrt(6)],
    [1 / Math.sqrt(6), 2 / Math.sqrt(6), 0],
  ];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(s[i]![j]! - want[i]![j]!) < 1e-6, `sim(${i},${j}) = ${s[i]![j]}`);
  // u3 has only i0: scores are row 0; best unseen item is i1
  const sc = new Float64Array(3);
  m.score(3, sc);
  assert.ok(Math.abs(sc[1]! - 2 / 3) < 1e-6 && Math.abs(sc[2]! - 1 / Math.sqrt(6)) < 1e-6);
  assert.deepEqual(Array.from(m.recommend(3, 2, [0])), [1, 2]);
});

test('item-kNN shrinkage, neighbourhood size and heavy-user weighting', async () => {
  const shrunk = new ItemKnnRecommender({ shrink: 1 });
  await shrunk.fit({ train: X, side }, ctx);
  assert.ok(Math.abs(dense(shrunk.sims!)[0]![1]! - 2 / (3 + 1)) < 1e-6);
  const one = new ItemKnnRecommender({ neighbours: 1 });
  await one.fit({ train: X, side }, ctx);
  const d = dense(one.sims!);
  assert.deepEqual(d.map((row) => row.filter((v) => v > 0).length), [1, 1, 1]);
  assert.ok(d[0]![1]! > 0 && d[2]![1]! > 0); // each keeps its most similar
  // inverse-log user weights: u1 (3 items) counts 1/log2(4) = 1/2, u0, u2 (2 items) 1/log2(3), u3 1
  const idf = new ItemKnnRecommender({ userWeight: 'inverse-log' });
  await idf.fit({ train: X, side }, ctx);
  const w0 = 1 / Math.log2(3), w1 = 1 / 2, w3 = 1;
  const n0 = Math.sqrt(w0 + w1 + w3), n1 = Math.sqrt(w0 + w1 + w0);
  assert.ok(Math.abs(dense(idf.sims!)[0]![1]! - (w0 + w1) / (n0 * n1)) < 1e-6);
});

test('keepLargest keeps exactly the k largest', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(60), k = 1 + rng.int(n + 5);
    const vals = Float64Array.from({ length: n }, () => Math.round(rng.next() * 10));
    const cols = Int32Array.from({ length: n }, (_, i) => i);
    const orig = vals.slice();
    const kept = keepLargest(cols, vals, n, k);
    assert.equal(kept, Math.min(k, n));
    const want = Array.from(orig).sort((a, b) => b - a).slice(0, kept);
    assert.deepEqual(Array.from(vals.subarray(0, kept)).sort((a, b) => b - a), want);
    for (let a = 0; a < n; a++) assert.equal(vals[a], orig[cols[a]!]);
  }
});

test('session co-visitation follows time order; without times it counts co-occurrence', async () => {
  // u0: 0 → 1 → 2, u1: 0 → 1 ; times ascending
  const x = csrFromTriples(2, 3, [0, 0, 0, 1, 1], [0, 1, 2, 0, 1]);
  const times = Float64Array.from([1, 2, 3, 1, 2]);
  const m = new SessionRecommender({ window: 1, recent: 1 });
  await m.fit({ train: x, trainTimes: times, side }, ctx);
  // u1's latest item is 1; after 1 came 2 (once)
  assert.deepEqual(Array.from(m.recommend(1, 1, [0, 1])), [2]);
  const s = new Float64Array(3);
  m.score(1, s);
  assert.deepEqual(Array.from(s), [0, 0, 1]);
  const co = new SessionRecommender();
  await co.fit({ train: x, side }, ctx);
  const c = new Float64Array(3);
  co.score(1, c); // items 0 and 1: co-occurrence counts with each item
  assert.deepEqual(Array.from(c), [2, 2, 2]);
});
