import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrFromTriples, splitDataset, DEFAULT_SPLIT, type Dataset } from '../../src/modules/recommend/index.ts';
import { Rng } from '../../src/platform/rng.ts';

function dataset(users: number, items: number, perUser: (u: number) => number, seed: number, timed = false): Dataset {
  const rng = new Rng(seed);
  const r: number[] = [], c: number[] = [];
  for (let u = 0; u < users; u++) {
    const set = new Set<number>();
    const n = perUser(u);
    while (set.size < n) set.add(Math.floor(items * rng.next() * rng.next()));
    for (const i of set) {
      r.push(u);
      c.push(i);
    }
  }
  const x = csrFromTriples(users, items, r, c);
  // time = item index + user offset: later items are "newer"
  const times = timed ? Float64Array.from({ length: x.indices.length }, (_, p) => x.indices[p]!) : undefined;
  return { name: 't', userIds: Array.from({ length: users }, (_, u) => `u${u}`), itemIds: Array.from({ length: items }, (_, i) => `i${i}`), interactions: x, times };
}

const key = (s: ReturnType<typeof splitDataset>) => JSON.stringify([Array.from(s.train.indices), Array.from(s.train.indptr), Array.from(s.test.indices), Array.from(s.itemMap), Array.from(s.testUsers)]);

test('a split is deterministic for a seed and changes with it', () => {
  const d = dataset(200, 300, (u) => 3 + (u % 20), 1);
  const a = splitDataset(d, { ...DEFAULT_SPLIT, seed: 42 });
  assert.equal(key(a), key(splitDataset(d, { ...DEFAULT_SPLIT, seed: 42 })));
  assert.notEqual(key(a), key(splitDataset(d, { ...DEFAULT_SPLIT, seed: 43 })));
});

test('the protocol: min user items, per-user fraction, item filter on training, evaluated users', () => {
  const d = dataset(300, 400, (u) => 2 + (u % 30), 2);
  const s = splitDataset(d, { ...DEFAULT_SPLIT, seed: 7 });
  const x = d.interactions;
  const trainUsersOfItem = new Int32Array(s.itemMap.length);
  for (const i of s.train.indices) trainUsersOfItem[i]!++;
  assert.ok(trainUsersOfItem.every((n) => n >= 2), 'every kept item has ≥ 2 training users');
  for (let u = 0; u < x.nRows; u++) {
    const n = x.indptr[u + 1]! - x.indptr[u]!;
    const tr = s.train.indptr[u + 1]! - s.train.indptr[u]!, te = s.test.indptr[u + 1]! - s.test.indptr[u]!;
    if (n < 5) {
      assert.equal(tr + te, 0, `user ${u} with ${n} items is dropped`);
      assert.equal(s.heldOut[u], 0);
      continue;
    }
    assert.equal(s.heldOut[u], Math.round(0.2 * n), `user ${u}: 20% of ${n} held out`);
    assert.ok(te <= s.heldOut[u]!);
    // train and test are disjoint and come from the user's items
    const orig = new Set(Array.from(x.indices.subarray(x.indptr[u]!, x.indptr[u + 1]!)));
    const trainItems = Array.from(s.train.indices.subarray(s.train.indptr[u]!, s.train.indptr[u + 1]!), (i) => s.itemMap[i]!);
    const testItems = Array.from(s.test.indices.subarray(s.test.indptr[u]!, s.test.indptr[u + 1]!), (i) => s.itemMap[i]!);
    for (const i of [...trainItems, ...testItems]) assert.ok(orig.has(i));
    assert.equal(new Set([...trainItems, ...testItems]).size, trainItems.length + testItems.length);
  }
  const evaluated = new Set(s.testUsers);
  for (let u = 0; u < x.nRows; u++) assert.equal(evaluated.has(u), s.test.indptr[u + 1]! > s.test.indptr[u]!);
});

test('time split holds out each user\'s latest items; leave-last-n holds out n', () => {
  const d = dataset(100, 200, () => 10, 3, true);
  const s = splitDataset(d, { ...DEFAULT_SPLIT, kind: 'time', minItemTrainUsers: 1 });
  for (const u of s.testUsers) {
    const tr = Array.from(s.train.indices.subarray(s.train.indptr[u]!, s.train.indptr[u + 1]!), (i) => s.itemMap[i]!);
    const te = Array.from(s.test.indices.subarray(s.test.indptr[u]!, s.test.indptr[u + 1]!), (i) => s.itemMap[i]!);
    assert.ok(Math.min(...te) >= Math.max(...tr), `user ${u}: test items are the newest`);
    assert.equal(s.heldOut[u], 2);
  }
  const l = splitDataset(d, { ...DEFAULT_SPLIT, kind: 'leave-last-n', leaveN: 3, minItemTrainUsers: 1 });
  for (const u of l.testUsers) assert.equal(l.heldOut[u], 3);
  assert.throws(() => splitDataset({ ...d, times: undefined }, { ...DEFAULT_SPLIT, kind: 'time' }), /no timestamps/);
});
