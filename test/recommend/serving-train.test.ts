import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  associationRules, rulesOf, suggestBundle, CatalogView, compileRules, createModel, currentVersion, DEFAULT_SETTINGS, HybridRecommender, listVersions, loadSnapshot, mergeSettings,
  prepare, readTops, saveSnapshot, serve, ServingModel, signToken, SparseBlend, trainSnapshot, verifyToken, NotEnoughData, TrainingInputBuilder, type Placement, type PlacementSettings, type Snapshot,
} from '../../src/modules/recommend/index.ts';
import { simWorld } from './serving-fixture.ts';

const world = simWorld(300, 20);
let trained: Snapshot | undefined;
const snapshot = async () => (trained ??= await trainSnapshot(world.input, { threads: 1, now: new Date('2026-01-21T00:00:00Z') }));

test('the sparse blend ranks exactly as the hybrid does', async () => {
  const p = prepare(world.input, DEFAULT_SETTINGS.training.weights);
  const names = ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session'];
  const params = { als: { factors: 8, iterations: 3 }, social: { edgeWeights: true } };
  const weights = { popular: 0.3, itemknn: 1, ease: 0.5, als: 0.2, content: 0.1, social: 0.35, session: 0.75 };
  const h = new HybridRecommender('hybrid', (n) => createModel(n, params), { components: names, weights });
  await h.fit(p.data, { threads: 1, seed: 1 });
  const blend = new SparseBlend(h.components().map((c) => ({ name: c.name, weight: c.weight, model: c.model! })), p.data.train.nCols);
  const x = p.data.train;
  let compared = 0;
  for (let u = 0; u < x.nRows; u += 3) {
    const hist = x.indices.subarray(x.indptr[u]!, x.indptr[u + 1]!);
    if (!hist.length) continue;
    const want = Array.from(h.recommend(u, 20, hist));
    blend.score(u, hist);
    const ranked = Array.from({ length: x.nCols }, (_, i) => i).filter((i) => Number.isFinite(blend.blended[i]!)).sort((a, b) => blend.blended[b]! - blend.blended[a]! || a - b).slice(0, 20);
    // equal up to float rounding: compare as sets of the top 20 and the first item
    assert.equal(ranked[0], want[0], `user ${u}`);
    const overlap = ranked.filter((i) => want.includes(i)).length;
    assert.ok(overlap >= 19, `user ${u}: ${overlap}/20 in common`);
    blend.release(hist);
    compared++;
  }
  assert.ok(compared > 50);
});

test('training: every model measured on the validation split, the hybrid at least as good as its best component', async () => {
  const s = await snapshot();
  const m = s.meta;
  for (const name of ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session', 'hybrid']) {
    const r = m.models[name];
    assert.ok(r, name);
    assert.ok(r.metrics['ndcg@10']! >= 0 && r.metrics['ndcg@10']! <= 1);
    assert.ok(r.train_seconds >= 0);
  }
  const best = Math.max(...['itemknn', 'ease', 'als', 'session', 'popular'].map((n) => m.models[n]!.metrics['ndcg@10']!));
  assert.ok(m.models.hybrid!.metrics['ndcg@10']! >= best * 0.97, `hybrid ${m.models.hybrid!.metrics['ndcg@10']} vs best ${best}`);
  assert.equal(m.counts.users, world.input.userKeys.length);
  assert.ok(m.counts.usersWithLists! > 200);
  // a user's list never holds their own history
  const a = s.arrays;
  for (let u = 0; u < s.userKeys.length; u++) {
    const hist = new Set(a.histItem.subarray(a.histPtr[u]!, a.histPtr[u + 1]!));
    for (let q = a.candPtr[u]!; q < a.candPtr[u + 1]!; q++) assert.ok(!hist.has(a.candItem[q]!));
  }
});

test('snapshots: saved and loaded whole, CURRENT names the newest, old versions pruned, tops read on demand', async () => {
  const s = await snapshot();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-snap-'));
  try {
    const versions: string[] = [];
    for (let k = 0; k < 4; k++) {
      const v = `2026010${k}T000000Z-000${k}`;
      saveSnapshot(root, { ...s, meta: { ...s.meta, version: v } });
      versions.push(v);
    }
    assert.deepEqual(listVersions(root), versions.slice(1));
    assert.equal(currentVersion(root), versions[3]);
    const dir = path.join(root, versions[3]!);
    const back = await loadSnapshot(dir);
    assert.equal(back.meta.version, versions[3]);
    assert.deepEqual(back.userKeys, s.userKeys);
    for (const [name, arr] of Object.entries(s.arrays)) assert.deepEqual(Array.from((back.arrays as unknown as Record<string, ArrayLike<number>>)[name]!), Array.from(arr as ArrayLike<number>), name);
    const u = s.userKeys.findIndex((k) => k.startsWith('u:'));
    const tops = await readTops(dir, back.meta, back.userKeys.length, u);
    assert.ok(tops && tops.itemknn && tops.itemknn.length > 0);
    assert.equal(tops.itemknn[0]!.item, s.tops!.items[(u * s.meta.topModels.length + s.meta.topModels.indexOf('itemknn')) * s.meta.topK]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('not enough data is refused with what was found', async () => {
  const b = new TrainingInputBuilder('w');
  b.addInteraction('u:a', 'p1', 'view', 1, 1);
  b.addInteraction('u:a', 'p2', 'view', 1, 2);
  await assert.rejects(trainSnapshot(b.build(), { threads: 1 }), (e: unknown) => e instanceof NotEnoughData && /1 users with 2\+ interactions/.test((e as Error).message));
});

test('frequently bought together: support, confidence and lift of pair rules', () => {
  // baskets: {0,1}, {0,1}, {0,2}, {1,2}, {3}
  const ptr = Int32Array.from([0, 2, 4, 6, 8, 9]);
  const items = Int32Array.from([0, 1, 0, 1, 0, 2, 1, 2, 3]);
  const r = associationRules(ptr, items, 4, { minSupportCount: 2, minLift: 0 });
  // 0 → 1: support 2, confidence 2/3, lift (2/3) / (3/5) = 10/9
  const row = (i: number) => Array.from(r.confidence.indices.subarray(r.confidence.indptr[i]!, r.confidence.indptr[i + 1]!));
  assert.deepEqual(row(0), [1]);
  const q = r.confidence.indptr[0]!;
  assert.ok(Math.abs(r.confidence.data[q]! - 2 / 3) < 1e-6);
  assert.ok(Math.abs(r.lift[q]! - 10 / 9) < 1e-6);
  assert.equal(r.support[q], 2);
  assert.deepEqual(row(2), []); // pairs with 2 occur once: below the minimum support
  assert.equal(r.baskets, 5);
  // by default only rules with lift above 1
  const strict = associationRules(ptr, items, 4, { minSupportCount: 1 });
  assert.ok(strict.lift.length > 0);
  for (const l of strict.lift) assert.ok(l > 1);
});

test('tracking tokens: verified, and any change to claims or signature is refused', () => {
  const secret = Buffer.alloc(32, 7);
  const t = signToken(secret, { version: 'v1', placement: 'home', user: 'u:1', items: ['a', 'b'], sources: [2, 4], personalised: true, at: 1000 });
  const c = verifyToken(secret, t);
  assert.ok(typeof c !== 'string');
  assert.deepEqual({ ...c, id: '' }, { id: '', version: 'v1', placement: 'home', user: 'u:1', items: ['a', 'b'], sources: [2, 4], personalised: true, at: 1000 });
  assert.equal(typeof verifyToken(Buffer.alloc(32, 8), t), 'string');
  const [body, sig] = t.split('.');
  const forged = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(body!, 'base64url').toString()).map((x: unknown, k: number) => (k === 4 ? ['c'] : x)))).toString('base64url');
  assert.equal(verifyToken(secret, `${forged}.${sig}`), 'the signature does not match');
  assert.equal(typeof verifyToken(secret, 'garbage'), 'string');
});

test('settings: patches merge per placement and are validated as a whole', () => {
  const s = mergeSettings(DEFAULT_SETTINGS, { placements: { home: { maxPerCategory: 2 } }, training: { intervalMinutes: 0 } });
  assert.equal(s.placements.home.maxPerCategory, 2);
  assert.equal(s.placements.home.diversity, DEFAULT_SETTINGS.placements.home.diversity);
  assert.equal(s.training.intervalMinutes, 0);
  assert.throws(() => mergeSettings(s, { placements: { home: { minPrice: 10, maxPrice: 5 } } }), /minPrice/);
});

test('property: served lists never hold an excluded, out-of-stock or recently bought item, and honour caps and pins', async () => {
  const s = await snapshot();
  const model = new ServingModel(s, null);
  const ids = s.itemIds, users = world.userIds;
  const nItems = ids.length;
  const now = Date.parse('2026-01-21T00:00:00Z') / 1000;
  await fc.assert(fc.asyncProperty(
    fc.record({
      user: fc.integer({ min: 0, max: users.length - 1 }),
      placement: fc.constantFrom<Placement>('home', 'product', 'cart', 'email'),
      outOfStock: fc.uniqueArray(fc.integer({ min: 0, max: nItems - 1 }), { maxLength: 40 }),
      excluded: fc.uniqueArray(fc.integer({ min: 0, max: nItems - 1 }), { maxLength: 10 }),
      settingsExcluded: fc.uniqueArray(fc.integer({ min: 0, max: nItems - 1 }), { maxLength: 10 }),
      pinned: fc.uniqueArray(fc.integer({ min: 0, max: nItems - 1 }), { maxLength: 3 }),
      livePurchases: fc.array(fc.tuple(fc.integer({ min: 0, max: nItems - 1 }), fc.integer({ min: 0, max: 60 })), { maxLength: 5 }),
      window: fc.integer({ min: 0, max: 40 }),
      maxPerCategory: fc.integer({ min: 0, max: 3 }),
      diversity: fc.double({ min: 0, max: 1, noNaN: true }),
      context: fc.uniqueArray(fc.integer({ min: 0, max: nItems - 1 }), { minLength: 1, maxLength: 3 }),
      n: fc.integer({ min: 1, max: 40 }),
      personalised: fc.boolean(),
    }),
    async (r) => {
      const settings: PlacementSettings = { ...DEFAULT_SETTINGS.placements.home, excludePurchasedDays: r.window, maxPerCategory: r.maxPerCategory, diversity: r.diversity, pinned: r.pinned.map((i) => ids[i]!), excludeProductIds: r.settingsExcluded.map((i) => ids[i]!) };
      const view = new CatalogView(model, r.outOfStock.map((i) => ({ productId: ids[i]!, stock: 0 })));
      const rules = compileRules(view, settings);
      const userKey = `u:${users[r.user]}`;
      const live = { views: [], purchases: r.livePurchases.map(([i, daysAgo]) => ({ productId: ids[i]!, ts: now - daysAgo * 86400 })) };
      const context = r.placement === 'product' ? [ids[r.context[0]!]!] : r.placement === 'cart' ? r.context.map((i) => ids[i]!) : [];
      const res = serve(model, view, rules, { placement: r.placement, userKey, context, n: r.n, personalised: r.personalised, exclude: r.excluded.map((i) => ids[i]!), nowSec: now }, r.personalised ? live : undefined);
      const got = res.items.map((c) => c.item);
      const forbidden = new Set([...r.outOfStock, ...r.excluded, ...r.settingsExcluded, ...(context.map((id) => model.itemIndex.get(id)!))]);
      if (r.personalised && r.window > 0) {
        for (const [i, daysAgo] of r.livePurchases) if (daysAgo <= r.window) forbidden.add(i);
        const u = model.userIndex.get(userKey);
        const a = s.arrays;
        if (u !== undefined) for (let q = a.purchPtr[u]!; q < a.purchPtr[u + 1]!; q++) if (a.purchTs[q]! >= now - r.window * 86400) forbidden.add(a.purchItem[q]!);
      }
      for (const i of got) assert.ok(!forbidden.has(i), `item ${ids[i]} should not be served`);
      assert.equal(new Set(got).size, got.length);
      assert.ok(got.length <= r.n);
      const pins = r.pinned.filter((i) => !forbidden.has(i)).slice(0, r.n);
      assert.deepEqual(got.slice(0, pins.length), pins);
      if (r.maxPerCategory > 0) {
        const per = new Map<number, number>();
        for (const i of got.slice(pins.length)) per.set(view.category[i]!, (per.get(view.category[i]!) ?? 0) + 1);
        for (const [c, v] of per) if (c >= 0) assert.ok(v <= r.maxPerCategory);
      }
    },
  ), { numRuns: 300 });
});

test('bundle suggestions: each addition goes with everything already in the bundle; filtered items never appear', () => {
  // baskets: ABC ×2, AB, AD ×2, EF ×3 (items A0 B1 C2 D3 E4 F5)
  const baskets = [[0, 1, 2], [0, 1, 2], [0, 1], [0, 3], [0, 3], [4, 5], [4, 5], [4, 5]];
  const ptr = Int32Array.from([0, ...baskets.map((_, k) => baskets.slice(0, k + 1).flat().length)]);
  const r = associationRules(ptr, Int32Array.from(baskets.flat()), 6, { minSupportCount: 2 });
  const arrays = { fbtPtr: r.confidence.indptr, fbtItem: r.confidence.indices, fbtConf: r.confidence.data, fbtLift: r.lift, fbtSupport: r.support };
  // A → B 3/5, A → C 2/5, A → D 2/5, B → C 2/3: after B, C (0.4 + 0.667) beats D (0.4 + 0)
  assert.deepEqual(rulesOf(arrays, 0).map((x) => [x.item, x.support, Math.round(x.confidence * 100) / 100]), [[1, 3, 0.6], [2, 2, 0.4], [3, 2, 0.4]]);
  const b = suggestBundle(arrays, 0, 3);
  assert.deepEqual(b.items, [0, 1, 2]);
  assert.ok(Math.abs(b.together[2]! - (0.4 + 2 / 3)) < 1e-6);
  assert.deepEqual(suggestBundle(arrays, 0, 4).items, [0, 1, 2, 3]);
  assert.ok(!suggestBundle(arrays, 0, 3, (i) => i !== 1).items.includes(1));
  assert.deepEqual(suggestBundle(arrays, 4, 3).items, [4, 5]);
});
