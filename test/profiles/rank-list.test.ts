import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RankList } from '../../src/modules/profiles/rank-list.ts';

// The chunked rank list against a plain sorted array: random inserts (ties included: entries equal
// by value are ordered by id), removals at random positions, lookups, with chunk sizes that make
// chunks split and empty often.

interface E { v: number; id: number }
const cmp = (a: E, b: E) => a.v - b.v || a.id - b.id;

function lowerBound(xs: E[], e: E) {
  let i = 0;
  while (i < xs.length && cmp(xs[i]!, e) < 0) i++;
  return i;
}

test('the rank list keeps the order and positions of a sorted array through inserts and removals', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const chunk of [1, 2, 3, 8, 1024]) {
    let id = 0;
    const initial = Array.from({ length: Math.floor(rnd() * 40) }, () => ({ v: Math.floor(rnd() * 10), id: id++ })).sort(cmp);
    const ref = [...initial];
    const list = new RankList(cmp, initial, chunk);
    for (let step = 0; step < 3000; step++) {
      if (ref.length && rnd() < 0.45) {
        const i = Math.floor(rnd() * ref.length);
        const want = ref.splice(i, 1)[0]!;
        assert.equal(list.removeAt(i), want);
      } else {
        const e = { v: Math.floor(rnd() * 10), id: id++ };
        const at = lowerBound(ref, e);
        ref.splice(at, 0, e);
        assert.equal(list.insert(e), at);
      }
      assert.equal(list.length, ref.length);
      if (step % 50 === 0) assert.deepEqual(list.toArray(), ref);
      const probe = { v: Math.floor(rnd() * 11) - 0.5, id: 0 };
      assert.equal(list.lowerBound(probe), lowerBound(ref, probe));
      if (ref.length) {
        const i = Math.floor(rnd() * ref.length);
        assert.equal(list.at(i), ref[i]);
        assert.equal(list.lowerBound(ref[i]!), i);
      }
    }
    assert.deepEqual(list.toArray(), ref);
    assert.equal(list.at(-1), undefined);
    assert.equal(list.at(ref.length), undefined);
    assert.throws(() => list.removeAt(ref.length), /no position/);
  }
  assert.throws(() => new RankList(cmp, [], 0), /chunk size/);
  assert.throws(() => new RankList(cmp, [], 1.5), /chunk size/);
});

test('an emptied rank list takes entries again', () => {
  const list = new RankList(cmp, [], 2);
  assert.equal(list.lowerBound({ v: 1, id: 1 }), 0);
  for (let round = 0; round < 3; round++) {
    assert.equal(list.insert({ v: 5, id: 1 }), 0);
    assert.equal(list.insert({ v: 1, id: 2 }), 0);
    assert.equal(list.insert({ v: 9, id: 3 }), 2);
    assert.deepEqual(list.toArray().map((e) => e.id), [2, 1, 3]);
    while (list.length) list.removeAt(list.length - 1);
    assert.deepEqual(list.toArray(), []);
  }
});
