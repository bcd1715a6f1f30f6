import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContentRecommender, csrFromTriples, PopularRecommender, SocialRecommender, tokenize } from '../../src/modules/recommend/index.ts';

const ctx = { threads: 1, seed: 1 };

test('tokenize: lower-cased words, Chinese as character bigrams', () => {
  assert.deepEqual(tokenize('红色连衣裙 Blue-Jeans'), ['红色', '色连', '连衣', '衣裙', 'blue', 'jeans']);
  assert.deepEqual(tokenize('iPhone手机壳 茶'), ['iphone', '手机', '机壳', '茶']);
  assert.deepEqual(tokenize('ＡＢＣ１２'), ['abc12']);
});

test('content: TF-IDF profile recommends items sharing tokens with the history', async () => {
  const x = csrFromTriples(1, 4, [0], [0]);
  const m = new ContentRecommender({ minDocumentFrequency: 1 });
  await m.fit({ train: x, side: { itemText: ['红色连衣裙', '红色连衣裙 长款', '蓝色牛仔裤', '手机'], itemTokens: [['category:dress'], ['category:dress'], ['category:pants'], ['category:phone']] } }, ctx);
  const rec = m.recommend(0, 3, [0]);
  assert.equal(rec[0], 1);
  const s = new Float64Array(4);
  m.score(0, s);
  assert.ok(s[1]! > 0 && s[2] === 0 && s[3] === 0);
});

test('popular: counts, and time decay favours recent interactions', async () => {
  // item 0: 3 users long ago; item 1: 2 users now
  const x = csrFromTriples(3, 2, [0, 1, 2, 0, 1], [0, 0, 0, 1, 1]);
  const day = 86400;
  const times = new Float64Array(5);
  // entry order is by user then item: u0 i0, u0 i1, u1 i0, u1 i1, u2 i0
  times.set([0, 100 * day, 0, 100 * day, 0]);
  const plain = new PopularRecommender();
  await plain.fit({ train: x, trainTimes: times, side: {} }, ctx);
  assert.deepEqual(Array.from(plain.recommend(0, 2)), [0, 1]);
  const decayed = new PopularRecommender({ halfLifeDays: 10 });
  await decayed.fit({ train: x, trainTimes: times, side: {} }, ctx);
  assert.deepEqual(Array.from(decayed.recommend(0, 2)), [1, 0]);
});

test('social: friends\' items weighted by tie strength, with explanations', async () => {
  // u0's friends: u1 (shares item 0 with u0) and u2 (shares nothing); u1 has item 1, u2 has item 2
  const x = csrFromTriples(3, 4, [0, 1, 1, 2], [0, 0, 1, 2]);
  const friends = csrFromTriples(3, 3, [0, 1, 0, 2], [1, 0, 2, 0]);
  const m = new SocialRecommender({ tie: 'jaccard', floor: 0.01, itemWeight: 'binary' });
  await m.fit({ train: x, side: { friends } }, ctx);
  const s = new Float64Array(4);
  m.score(0, s);
  // jaccard(u0,u1) = 1/2, jaccard(u0,u2) = 0
  assert.ok(Math.abs(s[1]! - 0.51) < 1e-6 && Math.abs(s[2]! - 0.01) < 1e-6 && s[3] === 0);
  assert.deepEqual(Array.from(m.recommend(0, 2, [0])), [1, 2]);
  assert.equal(m.friendsWith(0, 1), 1);
  assert.equal(m.friendsWith(0, 3), 0);
  const uniform = new SocialRecommender({ tie: 'uniform', floor: 0, itemWeight: 'binary' });
  await uniform.fit({ train: x, side: { friends } }, ctx);
  uniform.score(0, s.fill(0));
  assert.deepEqual(Array.from(s), [0.5, 0.5, 0.5, 0]);
  // no graph: no scores
  const none = new SocialRecommender();
  await none.fit({ train: x, side: {} }, ctx);
  none.score(0, s.fill(0));
  assert.deepEqual(Array.from(s), [0, 0, 0, 0]);
});
