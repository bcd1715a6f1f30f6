import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlsRecommender, csrFromTriples } from '../../src/modules/recommend/index.ts';
import { implicitLoss } from '../../src/modules/recommend/models/als.ts';
import { Rng } from '../../src/platform/rng.ts';

function randomMatrix(users: number, items: number, density: number, seed: number) {
  const rng = new Rng(seed);
  const r: number[] = [], c: number[] = [], v: number[] = [];
  for (let u = 0; u < users; u++) {
    for (let i = 0; i < items; i++) {
      // two blocks of taste so there is structure to find
      const p = (u % 2) === (i % 2) ? density * 1.8 : density * 0.2;
      if (rng.next() < p) {
        r.push(u);
        c.push(i);
        v.push(1 + rng.int(5));
      }
    }
  }
  return csrFromTriples(users, items, r, c, v);
}

test('ALS loss never increases and ends well below where it started', async () => {
  const x = randomMatrix(80, 50, 0.15, 1);
  const m = new AlsRecommender({ factors: 8, iterations: 8, regularization: 0.1, alpha: 5, cgSteps: 3 });
  await m.fit({ train: x, side: {} }, { threads: 1, seed: 3 });
  assert.equal(m.losses.length, 8);
  for (let k = 1; k < m.losses.length; k++) assert.ok(m.losses[k]! <= m.losses[k - 1]! * (1 + 1e-9), `loss rose at ${k}: ${m.losses.join(', ')}`);
  assert.ok(m.losses.at(-1)! < 0.7 * m.losses[0]!);
  // it learned the two blocks: a user's own-block unseen items outrank the other block's
  let wins = 0, total = 0;
  const s = new Float64Array(50);
  for (let u = 0; u < 80; u++) {
    s.fill(0);
    m.score(u, s);
    const own: number[] = [], other: number[] = [];
    for (let i = 0; i < 50; i++) ((u % 2) === (i % 2) ? own : other).push(s[i]!);
    wins += own.reduce((a, b) => a + b, 0) / own.length > other.reduce((a, b) => a + b, 0) / other.length ? 1 : 0;
    total++;
  }
  assert.ok(wins / total > 0.9, `own block preferred for ${wins}/${total} users`);
});

test('the implicit loss shortcut equals the brute-force sum', () => {
  const x = randomMatrix(7, 5, 0.4, 2);
  const f = 3, reg = 0.3, rng = new Rng(9);
  const X = Float64Array.from({ length: 7 * f }, () => rng.normal());
  const Y = Float64Array.from({ length: 5 * f }, () => rng.normal());
  const conf = { ...x, data: Float32Array.from(x.data, (v) => 1 + 2 * v) };
  let brute = 0;
  for (let u = 0; u < 7; u++) {
    for (let i = 0; i < 5; i++) {
      let s = 0;
      for (let k = 0; k < f; k++) s += X[u * f + k]! * Y[i * f + k]!;
      let c = 1, p = 0;
      for (let q = conf.indptr[u]!; q < conf.indptr[u + 1]!; q++) {
        if (conf.indices[q] !== i) continue;
        c = conf.data[q]!;
        p = 1;
      }
      brute += c * (p - s) ** 2;
    }
  }
  for (const v of X) brute += reg * v * v;
  for (const v of Y) brute += reg * v * v;
  assert.ok(Math.abs(implicitLoss(conf, X, Y, f, reg) - brute) < 1e-9 * Math.abs(brute));
});

test('ALS on worker threads gives the same factors as on one thread', async () => {
  const x = randomMatrix(700, 300, 0.05, 4);
  const fit = async (threads: number) => {
    const m = new AlsRecommender({ factors: 12, iterations: 4, regularization: 0.1, alpha: 5, cgSteps: 3 });
    const info = await m.fit({ train: x, side: {} }, { threads, seed: 5 });
    return { m, info };
  };
  const one = await fit(1), two = await fit(2);
  assert.equal(one.info.threads, 1);
  assert.equal(two.info.threads, 2);
  assert.ok(two.m.userFactors.buffer instanceof SharedArrayBuffer, 'factors shared with the workers');
  let maxDiff = 0;
  for (const [a, b] of [[one.m.userFactors, two.m.userFactors], [one.m.itemFactors, two.m.itemFactors]] as const) {
    assert.equal(a.length, b.length);
    for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
  }
  // the row partitions and partial sums do not depend on the thread count: identical, not just close
  assert.ok(maxDiff <= 1e-12, `max factor difference ${maxDiff}`);
  assert.deepEqual(two.m.losses, one.m.losses);
  for (let k = 1; k < two.m.losses.length; k++) assert.ok(two.m.losses[k]! <= two.m.losses[k - 1]! * (1 + 1e-9));
});
