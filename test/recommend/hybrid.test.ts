import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createModel, csrFromTriples, HybridRecommender, loadDataset, splitDataset, writeGenericDataset, DEFAULT_SPLIT } from '../../src/modules/recommend/index.ts';
import { syntheticWorld } from './synthetic.ts';

const params = { als: { factors: 8, iterations: 3 } };
const make = (n: string) => createModel(n, params);

test('the hybrid learns weights and never recommends a training item', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-hybrid-'));
  try {
    writeGenericDataset(dir, syntheticWorld({ users: 300, items: 120, groups: 4, perUser: 12, friendsPerUser: 4, seed: 5 }));
    const d = loadDataset(dir);
    assert.ok(d.friends && d.times && d.itemTokens);
    const s = splitDataset(d, { ...DEFAULT_SPLIT, seed: 3 });
    const h = new HybridRecommender('hybrid', make);
    const info = await h.fit({ train: s.train, trainTimes: s.trainTimes, side: s.side }, { threads: 1, seed: 3 });
    assert.equal(h.weights.length, 6);
    assert.ok(h.weights.some((w) => w > 0) && h.weights.every((w) => Number.isFinite(w) && w >= 0));
    assert.ok(Number(info.validationNdcg) > 0);
    const scores = new Float64Array(s.train.nCols);
    for (let u = 0; u < s.train.nRows; u++) {
      const own = new Set(s.train.indices.subarray(s.train.indptr[u]!, s.train.indptr[u + 1]!));
      for (const i of h.recommend(u, 30)) assert.ok(!own.has(i), `user ${u} got training item ${i}`);
      scores.fill(0);
      h.score(u, scores);
      for (const i of own) assert.equal(scores[i], -Infinity);
    }
    const ns = createModel('hybrid-nosocial', params) as HybridRecommender;
    assert.ok(!ns.options.components.includes('social'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('property: with any weights, no user is ever recommended an item from their history', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(11), fc.nat(14)), { minLength: 5, maxLength: 80 }),
      fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 20 }),
      fc.array(fc.constantFrom(0, 0.5, 1, 2), { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 1, max: 15 }),
      async (pairs, edges, w, k) => {
        const x = csrFromTriples(12, 15, pairs.map((p) => p[0]), pairs.map((p) => p[1]), undefined, 'max');
        const fa = edges.flatMap(([a, b]) => (a === b ? [] : [a, b])), fb = edges.flatMap(([a, b]) => (a === b ? [] : [b, a]));
        const friends = csrFromTriples(12, 12, fa, fb, undefined, 'max');
        const names = ['ease', 'itemknn', 'als', 'social', 'popular', 'session'];
        const weights = Object.fromEntries(names.map((n, c) => [n, w[c]!]));
        if (Object.values(weights).every((v) => v === 0)) weights.popular = 1;
        const h = new HybridRecommender('hybrid', make, { weights });
        await h.fit({ train: x, side: { friends } }, { threads: 1, seed: 1 });
        for (let u = 0; u < 12; u++) {
          const own = new Set(x.indices.subarray(x.indptr[u]!, x.indptr[u + 1]!));
          const rec = h.recommend(u, k);
          assert.ok(rec.length <= Math.min(k, 15 - own.size));
          for (const i of rec) assert.ok(!own.has(i));
        }
      },
    ),
    { numRuns: 40, seed: 11 },
  );
});
