import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSym, createTiled, csrFromTriples, EaseRecommender, getSym, invertSpdInPlace } from '../../src/modules/recommend/index.ts';
import { Rng } from '../../src/platform/rng.ts';

const ctx = { threads: 1, seed: 1 };
const side = {};

/** An independent inverse (Gauss–Jordan with partial pivoting) on plain arrays. */
function gaussJordanInverse(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

test('EASE on a 4-item matrix equals the hand-computed closed form', async () => {
  // items 0,1 co-occur (users 0,1 have both; user 2 only 0; user 3 only 1); items 2,3 likewise
  // (user 4 both, user 5 only 2, user 6 only 3). With λ = 1:
  //   XᵀX + λI = [[4,2,0,0],[2,4,0,0],[0,0,3,1],[0,0,1,3]]
  //   P = blockdiag([[4,-2],[-2,4]]/12, [[3,-1],[-1,3]]/8)
  //   B_ij = -P_ij / P_jj: B_01 = B_10 = (2/12)/(4/12) = 1/2, B_23 = B_32 = (1/8)/(3/8) = 1/3, else 0.
  const rows = [0, 0, 1, 1, 2, 3, 4, 4, 5, 6];
  const cols = [0, 1, 0, 1, 0, 1, 2, 3, 2, 3];
  const x = csrFromTriples(7, 4, rows, cols);
  const m = new EaseRecommender({ lambda: 1, tile: 4 });
  await m.fit({ train: x, side }, ctx);
  const expected = [
    [0, 1 / 2, 0, 0],
    [1 / 2, 0, 0, 0],
    [0, 0, 0, 1 / 3],
    [0, 0, 1 / 3, 0],
  ];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(m.weights[i * 4 + j]! - expected[i]![j]!) < 1e-6, `B[${i}][${j}] = ${m.weights[i * 4 + j]}`);
  // user 2 has item 0: scores = row 0 of B
  const s = new Float64Array(4);
  m.score(2, s);
  assert.deepEqual(Array.from(s, (v) => +v.toFixed(6)), [0, 0.5, 0, 0]);
  assert.deepEqual(Array.from(m.recommend(2, 1, [0])), [1]);
});

test('EASE with coupled items matches B = I - P diag(1/diag P) from an independent inverse', async () => {
  const rng = new Rng(7);
  const r: number[] = [], c: number[] = [];
  for (let u = 0; u < 30; u++) {
    for (let i = 0; i < 4; i++) {
      if (rng.next() < 0.5) {
        r.push(u);
        c.push(i);
      }
    }
  }
  const x = csrFromTriples(30, 4, r, c);
  const lambda = 3;
  const g = Array.from({ length: 4 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? lambda : 0)));
  for (let u = 0; u < 30; u++) {
    const items = c.filter((_, e) => r[e] === u);
    for (const a of items) for (const b of items) g[a]![b]!++;
  }
  const p = gaussJordanInverse(g);
  const m = new EaseRecommender({ lambda, tile: 4 });
  await m.fit({ train: x, side }, ctx);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const want = i === j ? 0 : -p[i]![j]! / p[j]![j]!;
      assert.ok(Math.abs(m.weights[i * 4 + j]! - want) < 1e-6, `B[${i}][${j}] = ${m.weights[i * 4 + j]} want ${want}`);
    }
  }
});

test('tiled SPD inverse over many tiles, one thread and two, agrees with Gauss–Jordan', async () => {
  const n = 70, rng = new Rng(3);
  const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = i === j ? n : rng.next() - 0.5;
      a[i]![j] = v;
      a[j]![i] = v;
    }
  }
  const want = gaussJordanInverse(a);
  for (const threads of [1, 2]) {
    const m = createTiled(n, 16, threads > 1);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) addSym(m, i, j, a[i]![j]!);
    const r = await invertSpdInPlace(m, { threads });
    assert.equal(r.threads, threads);
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(getSym(m, i, j) - want[i]![j]!));
    assert.ok(err < 1e-12, `max error ${err} with ${threads} thread(s)`);
  }
});

test('a matrix that is not positive definite is refused', async () => {
  const m = createTiled(4, 4);
  addSym(m, 0, 0, 1);
  addSym(m, 1, 0, 2);
  addSym(m, 1, 1, 1);
  addSym(m, 2, 2, 1);
  addSym(m, 3, 3, 1);
  await assert.rejects(invertSpdInPlace(m), /not positive definite/);
});

test('EASE on a capped catalog models only the most interacted-with items', async () => {
  // item 3 has one user, the others more: with maxItems 3 item 3 is not modelled
  const x = csrFromTriples(4, 4, [0, 0, 1, 1, 2, 2, 3, 3], [0, 1, 0, 2, 1, 2, 0, 3]);
  const m = new EaseRecommender({ lambda: 1, maxItems: 3, tile: 4 });
  await m.fit({ train: x, side }, ctx);
  assert.deepEqual(Array.from(m.modelled), [0, 1, 2]);
  const s = new Float64Array(4);
  m.score(3, s);
  assert.equal(s[3], -Infinity);
  assert.ok(Number.isFinite(s[1]!));
});
