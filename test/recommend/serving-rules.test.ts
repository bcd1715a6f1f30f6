import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rankWithRules, sourceBit, type Candidate } from '../../src/modules/recommend/index.ts';

/** A random catalog (categories, brands), candidate pool, eligibility, pinned list and settings. */
const scenario = fc
  .record({
    nItems: fc.integer({ min: 1, max: 60 }),
    nCats: fc.integer({ min: 1, max: 8 }),
    nBrands: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer(),
  })
  .chain(({ nItems, nCats, nBrands }) =>
    fc.record({
      nItems: fc.constant(nItems),
      category: fc.array(fc.integer({ min: 0, max: nCats - 1 }), { minLength: nItems, maxLength: nItems }),
      brand: fc.array(fc.integer({ min: 0, max: nBrands - 1 }), { minLength: nItems, maxLength: nItems }),
      eligible: fc.array(fc.boolean(), { minLength: nItems, maxLength: nItems }),
      pool: fc.array(fc.record({ item: fc.integer({ min: 0, max: nItems - 1 }), score: fc.double({ min: 0, max: 10, noNaN: true }) }), { maxLength: 120 }),
      pinned: fc.array(fc.integer({ min: 0, max: nItems - 1 }), { maxLength: 6 }),
      boosts: fc.array(fc.tuple(fc.integer({ min: 0, max: nItems - 1 }), fc.double({ min: 0, max: 5, noNaN: true })), { maxLength: 5 }),
      diversity: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
      maxPerCategory: fc.integer({ min: 0, max: 4 }),
      maxPerBrand: fc.integer({ min: 0, max: 4 }),
      n: fc.integer({ min: 1, max: 30 }),
    }),
  );

/** Eligible items by boosted best score, best first (ties: lower item first). */
const expectedAll = (best: Map<number, number>, boost: Map<number, number>) =>
  [...best.entries()].map(([i, v]) => [i, v * (boost.get(i) ?? 1)] as const).sort((a, b) => b[1] - a[1] || a[0] - b[0]);

type S = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(s: S) {
  const boost = new Map<number, number>();
  for (const [i, f] of s.boosts) boost.set(i, (boost.get(i) ?? 1) * f);
  const pool: Candidate[] = s.pool.map((c) => ({ ...c, sources: sourceBit('itemknn'), reason: { code: 'for_you' } }));
  const out = rankWithRules(pool, {
    isEligible: (i) => s.eligible[i]!,
    boost: (i) => boost.get(i) ?? 1,
    pinned: s.pinned,
    diversity: s.diversity,
    maxPerCategory: s.maxPerCategory,
    maxPerBrand: s.maxPerBrand,
    category: s.category,
    brand: s.brand,
  }, s.n);
  return { out, boost };
}

test('property: never an ineligible item (excluded, out of stock, bought in the window), never twice, at most n', () => {
  fc.assert(fc.property(scenario, (s) => {
    const { out } = run(s);
    assert.ok(out.length <= s.n);
    assert.equal(new Set(out.map((c) => c.item)).size, out.length);
    for (const c of out) assert.ok(s.eligible[c.item], `item ${c.item} is not eligible`);
  }), { numRuns: 500 });
});

test('property: the eligible pinned items come first, in their order, marked pinned', () => {
  fc.assert(fc.property(scenario, (s) => {
    const { out } = run(s);
    const pinned = [...new Set(s.pinned.filter((i) => s.eligible[i]))].slice(0, s.n);
    assert.deepEqual(out.slice(0, pinned.length).map((c) => c.item), pinned);
    for (const c of out.slice(0, pinned.length)) {
      assert.equal(c.reason.code, 'pinned');
      assert.ok(c.sources & sourceBit('pinned'));
    }
    for (const c of out.slice(pinned.length)) assert.ok(!(c.sources & sourceBit('pinned')));
  }), { numRuns: 500 });
});

test('property: category and brand caps hold among the non-pinned items', () => {
  fc.assert(fc.property(scenario, (s) => {
    const { out } = run(s);
    const pinned = new Set(s.pinned);
    const cats = new Map<number, number>(), brands = new Map<number, number>();
    for (const c of out) {
      if (pinned.has(c.item) && c.reason.code === 'pinned') continue;
      cats.set(s.category[c.item]!, (cats.get(s.category[c.item]!) ?? 0) + 1);
      brands.set(s.brand[c.item]!, (brands.get(s.brand[c.item]!) ?? 0) + 1);
    }
    if (s.maxPerCategory > 0) for (const v of cats.values()) assert.ok(v <= s.maxPerCategory);
    if (s.maxPerBrand > 0) for (const v of brands.values()) assert.ok(v <= s.maxPerBrand);
  }), { numRuns: 500 });
});

test('property: diversity 0 ranks by boosted score; diversity 1 shows every available category before repeating one', () => {
  fc.assert(fc.property(scenario, (s) => {
    const noPin = { ...s, pinned: [], maxPerCategory: 0, maxPerBrand: 0 };
    const flat = run({ ...noPin, diversity: 0 });
    for (let k = 1; k < flat.out.length; k++) assert.ok(flat.out[k - 1]!.score >= flat.out[k]!.score);
    // the best boosted score of each eligible item in the pool, sorted: the same ranking
    const best = new Map<number, number>();
    for (const c of s.pool) if (s.eligible[c.item]) best.set(c.item, Math.max(best.get(c.item) ?? -1, c.score));
    const expected = expectedAll(best, flat.boost).slice(0, s.n);
    assert.deepEqual(flat.out.map((c) => c.item), expected.map((e) => e[0]));

    const diverse = run({ ...noPin, diversity: 1 }).out;
    // MMR looks at the 3n most relevant eligible candidates (at least 40)
    const window = expectedAll(best, flat.boost).slice(0, Math.max(3 * s.n, 40));
    const available = new Set(window.map((e) => s.category[e[0]]!));
    const prefix = diverse.slice(0, Math.min(diverse.length, available.size)).map((c) => s.category[c.item]!);
    assert.equal(new Set(prefix).size, prefix.length, `categories repeat before all ${available.size} appeared: ${prefix}`);
    // and more diversity never shows fewer distinct categories in the list
    assert.ok(new Set(diverse.map((c) => s.category[c.item])).size >= new Set(flat.out.map((c) => s.category[c.item])).size);
  }), { numRuns: 500 });
});
