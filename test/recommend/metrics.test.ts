import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogCoverage, intraListDiversity, novelty, topK, userMetrics } from '../../src/modules/recommend/index.ts';
import { listCosines } from '../../src/modules/recommend/eval/similarity.ts';
import { csrFromTriples } from '../../src/modules/recommend/sparse.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);

test('precision, recall, NDCG, MAP and hit rate on a hand-made ranking', () => {
  // ranking 1,2,3,4 ; relevant {2,4,9}: hits at ranks 2 and 4
  const rel = new Set([2, 4, 9]);
  const m = userMetrics([1, 2, 3, 4], 4, (i) => rel.has(i), rel.size);
  close(m.precision, 2 / 4, 'precision');
  close(m.recall, 2 / 3, 'recall');
  const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
  const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
  close(m.ndcg, dcg / idcg, 'ndcg');
  close(m.map, (1 / 2 + 2 / 4) / 3, 'map');
  assert.equal(m.hit, 1);
  // cut at 2: one hit at rank 2; IDCG over min(2, 3) = 2 positions
  const m2 = userMetrics([1, 2, 3, 4], 2, (i) => rel.has(i), rel.size);
  close(m2.ndcg, 1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 'ndcg@2');
  close(m2.map, 1 / 2 / 2, 'map@2');
  // perfect and empty rankings
  close(userMetrics([9, 2, 4], 3, (i) => rel.has(i), 3).ndcg, 1, 'perfect');
  const none = userMetrics([5, 6], 2, (i) => rel.has(i), 3);
  assert.deepEqual(none, { precision: 0, recall: 0, ndcg: 0, map: 0, hit: 0 });
  // a short list still divides precision by K
  close(userMetrics([2], 10, (i) => rel.has(i), 3).precision, 1 / 10, 'short list precision');
});

test('coverage, novelty and intra-list diversity', () => {
  const lists = [Int32Array.from([0, 1]), Int32Array.from([1, 2])];
  close(catalogCoverage(lists, 2, 6), 3 / 6, 'coverage@2');
  close(catalogCoverage(lists, 1, 6), 2 / 6, 'coverage@1');
  // item users: 0 → 4 of 8 users, 1 → 2, 2 → 1
  close(novelty(lists, 2, [4, 2, 1], 8), (1 + 2 + 2 + 3) / 4, 'novelty');
  // categories: item 0 {a}, item 1 {a, b}, item 2 {c}: cos(0,1) = 1/√2, cos(1,2) = 0
  const cats = csrFromTriples(3, 3, [0, 1, 1, 2], [0, 0, 1, 2]);
  const sims = listCosines(cats);
  close(intraListDiversity(lists, 2, sims), ((1 - 1 / Math.SQRT2) + 1) / 2, 'diversity');
});

test('topK: best first, ties to the lower index, exclusions and non-finite skipped', () => {
  const s = [0.5, 2, -Infinity, 2, NaN, 1, 0.5];
  assert.deepEqual(Array.from(topK(s, 3)), [1, 3, 5]);
  assert.deepEqual(Array.from(topK(s, 3, (i) => i === 3)), [1, 5, 0]);
  assert.deepEqual(Array.from(topK(s, 10)), [1, 3, 5, 0, 6]);
});
