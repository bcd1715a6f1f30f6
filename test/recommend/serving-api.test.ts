import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basic } from '../helpers/engine.ts';
import { api, trainedApp, type TestApp } from './serving-app.ts';
import type { RecommendService } from '../../src/flows/recommend-service.ts';

let t: TestApp, svc: RecommendService, userIds: string[], messages: Awaited<ReturnType<typeof trainedApp>>['messages'];
type Item = { productId: string; score: number; sources: string[]; reason: string };
type Answer = { items: Item[]; model: { version: string | null }; personalized: boolean; trackingToken: string };

before(async () => {
  ({ t, svc, userIds, messages } = await trainedApp());
});
after(async () => {
  await t.close();
});

const recs = async (query: string, headers: Record<string, string> = {}): Promise<Answer> => {
  const r = await api(t, 'GET', `/api/v1/recommendations?${query}`, undefined, headers);
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as Answer;
};

test('a known user gets n items with scores, sources, reasons (zh-CN by default, en by lang or Accept-Language), the model version and a token', async () => {
  const st = await svc.workspace('default');
  const users = userIds.filter((u) => {
    const i = st.model!.userIndex.get(`u:${u}`);
    return i !== undefined && st.model!.snapshot.arrays.candPtr[i + 1]! > st.model!.snapshot.arrays.candPtr[i]!;
  });
  assert.ok(users.length > 50);
  const r = await recs(`userId=${users[0]}&n=10`);
  assert.equal(r.items.length, 10);
  assert.equal(r.model.version, st.model!.version);
  assert.equal(r.personalized, true);
  assert.match(r.trackingToken, /^[\w-]+\.[\w-]+$/);
  for (const it of r.items) {
    assert.equal(typeof it.productId, 'string');
    assert.ok(it.score > 0);
    assert.ok(it.sources.length > 0);
    assert.match(it.reason, /[\u4e00-\u9fff]/);
  }
  const scores = r.items.map((i) => i.score);
  assert.ok(Math.max(...scores) <= 1.5);
  const en = await recs(`userId=${users[0]}&n=10&lang=en`);
  assert.deepEqual(en.items.map((i) => i.productId), r.items.map((i) => i.productId));
  assert.ok(en.items.every((i) => /^[\x20-\x7e\u00a0-\uffff]+$/.test(i.reason) && !/位好友|热门商品|为你推荐/.test(i.reason)));
  const viaHeader = await recs(`userId=${users[0]}&n=10`, { 'accept-language': 'en-US,en;q=0.9' });
  assert.deepEqual(viaHeader.items.map((i) => i.reason), en.items.map((i) => i.reason));
  // personalised lists differ between users and from the popularity ranking
  const pop = await recs('n=10&personalization=false');
  const lists = await Promise.all(users.slice(0, 10).map((u) => recs(`userId=${u}&n=10`)));
  assert.ok(lists.some((l) => JSON.stringify(l.items.map((i) => i.productId)) !== JSON.stringify(pop.items.map((i) => i.productId))));
  // a social reason appears for somebody ("N 位好友购买过")
  const many = await Promise.all(users.slice(0, 80).map((u) => recs(`userId=${u}&n=20`)));
  assert.ok(many.some((l) => l.items.some((i) => /位好友购买过/.test(i.reason))), 'some user has a "friends bought it" reason');
});

test('bad parameters answer 400 naming the field', async () => {
  const cases: Array<[string, string]> = [
    ['placement=shelf', 'query.placement'],
    ['n=0', 'query.n'],
    ['n=abc', 'query.n'],
    ['n=101', 'query.n'],
    ['placement=product', 'query.productId'],
    ['placement=cart', 'query.productId'],
    ['personalization=maybe', 'query.personalization'],
    ['lang=fr', 'query.lang'],
    ['city=', 'query.city'],
  ];
  for (const [q, field] of cases) {
    const r = await api(t, 'GET', `/api/v1/recommendations?userId=x&${q}`);
    assert.equal(r.statusCode, 400, q);
    assert.equal(r.json().error.code, 'VALIDATION_FAILED');
    assert.equal(r.json().error.details[0].path, field, q);
  }
  assert.equal((await t.app.fastify.inject({ method: 'GET', url: '/api/v1/recommendations' })).statusCode, 401);
});

test('unknown users, anonymous visitors and unknown products fall back to popularity (never 500)', async () => {
  const pop = await recs('n=15&personalization=false');
  const unknown = await recs('userId=nobody-at-all&n=15');
  assert.deepEqual(unknown.items.map((i) => i.productId), pop.items.map((i) => i.productId));
  assert.ok(unknown.items.every((i) => i.sources.includes('popular') && i.reason === '热门商品'));
  const anon = await recs('anonymousId=fresh-visitor&n=15');
  assert.deepEqual(anon.items.map((i) => i.productId), pop.items.map((i) => i.productId));
  const product = await recs('placement=product&productId=no-such-product&n=5');
  assert.equal(product.items.length, 5);
  const nobody = await recs('n=5');
  assert.equal(nobody.items.length, 5);
});

test('an anonymous visitor\'s recent views drive session recommendations at once', async () => {
  const st = await svc.workspace('default');
  const a = st.model!.snapshot.arrays;
  const viewed = st.model!.snapshot.itemIds.find((_, i) => a.sessPtr[i + 1]! - a.sessPtr[i]! >= 3)!;
  const r = await t.app.fastify.inject({
    method: 'POST', url: '/v1/track', headers: { 'content-type': 'application/json', authorization: basic() },
    payload: JSON.stringify({ type: 'track', event: 'Product Viewed', anonymousId: 'visitor-42', messageId: 'view-visitor-42', properties: { product_id: viewed } }),
  });
  assert.equal(r.statusCode, 200);
  await t.engine.workers.waitIdle();
  await svc.pollNow();
  const got = await recs('anonymousId=visitor-42&n=10&lang=en');
  assert.ok(got.items.some((i) => i.sources.includes('session') && /just viewed/.test(i.reason)), JSON.stringify(got.items.slice(0, 3)));
});

test('product and cart placements: related items and bought-together, never the context products', async () => {
  const st = await svc.workspace('default');
  const a = st.model!.snapshot.arrays;
  const ids = st.model!.snapshot.itemIds;
  const p = ids[a.popOrder[0]!]!;
  const r = await recs(`placement=product&productId=${p}&n=10&lang=en`);
  assert.equal(r.items.length, 10);
  assert.ok(!r.items.some((i) => i.productId === p));
  assert.ok(r.items.some((i) => /viewed this|similar|bought together|best seller/.test(i.reason)));
  const withRules = ids.findIndex((_, i) => a.fbtPtr[i + 1]! > a.fbtPtr[i]!);
  assert.ok(withRules >= 0, 'the shop has frequently-bought-together rules');
  const targets = new Set(Array.from(a.fbtItem.subarray(a.fbtPtr[withRules]!, a.fbtPtr[withRules + 1]!)));
  const other = Array.from(a.popOrder).find((i) => i !== withRules && !targets.has(i))!;
  const cart = [ids[withRules]!, ids[other]!];
  const c = await recs(`placement=cart&productId=${cart.join(',')}&n=8&lang=en`);
  assert.ok(!c.items.some((i) => cart.includes(i.productId)));
  assert.ok(c.items.some((i) => i.sources.includes('fbt') && /frequently bought together/.test(i.reason)));
});

test('bundles: a product\'s association rules with support, confidence and lift, and a bundle suggestion', async () => {
  const st = await svc.workspace('default');
  const a = st.model!.snapshot.arrays;
  const ids = st.model!.snapshot.itemIds;
  let best = -1;
  for (let i = 0; i < ids.length; i++) if (best < 0 || a.fbtPtr[i + 1]! - a.fbtPtr[i]! > a.fbtPtr[best + 1]! - a.fbtPtr[best]!) best = i;
  type Bundles = { productId: string; known: boolean; rules: Array<{ productId: string; support: number; confidence: number; lift: number }>; bundle: { items: Array<{ productId: string; together: number }>; price: number | null } };
  const r = await api(t, 'GET', `/api/v1/recommendations/bundles?productId=${ids[best]}&n=5&size=3`);
  assert.equal(r.statusCode, 200, r.body);
  const b = r.json() as Bundles;
  assert.equal(b.known, true);
  assert.ok(b.rules.length > 0 && b.rules.length <= 5);
  for (const [k, rule] of b.rules.entries()) {
    assert.ok(rule.support >= 2 && rule.lift > 1 && rule.confidence > 0 && rule.confidence <= 1, JSON.stringify(rule));
    if (k) assert.ok(rule.confidence <= b.rules[k - 1]!.confidence);
    assert.notEqual(rule.productId, ids[best]);
  }
  assert.equal(b.bundle.items[0]!.productId, ids[best]);
  assert.ok(b.bundle.items.length >= 2 && b.bundle.items.length <= 3);
  assert.equal(new Set(b.bundle.items.map((x) => x.productId)).size, b.bundle.items.length);
  assert.equal(b.bundle.items[1]!.productId, b.rules[0]!.productId, 'the most confident rule is the first addition');
  const unknown = (await api(t, 'GET', '/api/v1/recommendations/bundles?productId=no-such-product')).json() as Bundles;
  assert.equal(unknown.known, false);
  assert.deepEqual(unknown.rules, []);
  for (const [q, field] of [['size=9&productId=x', 'query.size'], ['n=0&productId=x', 'query.n'], ['', 'query.productId']] as const) {
    const bad = await api(t, 'GET', `/api/v1/recommendations/bundles?${q}`);
    assert.equal(bad.statusCode, 400, q);
    assert.equal(bad.json().error.details[0].path, field);
  }
});

test('out-of-stock items disappear once the catalog says so; a purchase is excluded at once', async () => {
  const st = await svc.workspace('default');
  const users = userIds.filter((u) => st.model!.userIndex.has(`u:${u}`)).slice(0, 20);
  const before = await Promise.all(users.map((u) => recs(`userId=${u}&n=20`)));
  const top = [...new Set(before.flatMap((r) => r.items.slice(0, 3).map((i) => i.productId)))].slice(0, 10);
  const put = await api(t, 'PUT', '/api/v1/products', { products: top.map((product_id) => ({ product_id, stock: 0 })) });
  assert.equal(put.statusCode, 200);
  await svc.refreshCatalog('default');
  const after = await Promise.all([...users.map((u) => recs(`userId=${u}&n=20`)), recs('n=50&personalization=false'), recs(`placement=product&productId=${top[0]}&n=20`)]);
  for (const r of after) for (const it of r.items) assert.ok(!top.includes(it.productId), `${it.productId} is out of stock`);
  // restock, then buy one of the recommended items: gone from that user's list
  await api(t, 'PUT', '/api/v1/products', { products: top.map((product_id) => ({ product_id, stock: 5 })) });
  await svc.refreshCatalog('default');
  const u = users[0]!;
  const list = await recs(`userId=${u}&n=20`);
  const bought = list.items[0]!.productId;
  const order = await t.app.fastify.inject({
    method: 'POST', url: '/v1/track', headers: { 'content-type': 'application/json', authorization: basic() },
    payload: JSON.stringify({ type: 'track', event: 'Order Completed', userId: u, messageId: `order-now-${u}`, properties: { order_id: `now-${u}`, total: 10, products: [{ product_id: bought, price: 10, quantity: 1 }] } }),
  });
  assert.equal(order.statusCode, 200);
  await t.engine.workers.waitIdle();
  await svc.pollNow();
  assert.ok(!(await recs(`userId=${u}&n=20`)).items.some((i) => i.productId === bought));
  // not personalised: purchases are profile data, so they are not consulted
  assert.deepEqual((await recs(`userId=${u}&n=20&personalization=false`)).items, (await recs('n=20&personalization=false')).items);
});

test('opt-out (PIPL art. 24): an opted-out user gets exactly the non-personalised list, at once; opting back in restores it', async () => {
  const st = await svc.workspace('default');
  const u = userIds.find((x) => {
    const i = st.model!.userIndex.get(`u:${x}`);
    return i !== undefined && st.model!.snapshot.arrays.candPtr[i + 1]! > st.model!.snapshot.arrays.candPtr[i]!;
  })!;
  const personal = await recs(`userId=${u}&n=20`);
  const nonPersonal = await recs(`userId=${u}&n=20&personalization=false`);
  assert.equal(nonPersonal.personalized, false);
  assert.notDeepEqual(personal.items, nonPersonal.items);
  const bad = await api(t, 'PUT', '/api/v1/recommendations/opt-out', { userId: u, optOut: 'yes' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.details[0].path, 'body.optOut');
  const out = await api(t, 'PUT', '/api/v1/recommendations/opt-out', { userId: u, optOut: true });
  assert.equal(out.statusCode, 200);
  assert.equal(out.json().optOut, true);
  const after = await recs(`userId=${u}&n=20`);
  assert.equal(after.personalized, false);
  assert.deepEqual(after.items, nonPersonal.items);
  assert.deepEqual(after.items, (await recs('n=20&personalization=false')).items, 'the same list as for nobody at all');
  for (const placement of ['email', 'product&productId=' + personal.items[0]!.productId]) {
    assert.deepEqual((await recs(`userId=${u}&n=10&placement=${placement}`)).items, (await recs(`n=10&placement=${placement}&personalization=false`)).items);
  }
  assert.equal((await api(t, 'GET', `/api/v1/recommendations/opt-out?userId=${u}`)).json().optOut, true);
  await api(t, 'PUT', '/api/v1/recommendations/opt-out', { userId: u, optOut: false });
  assert.deepEqual((await recs(`userId=${u}&n=20`)).items, personal.items);
});

test('feedback: signed tokens, idempotent rows, CTR per model and placement', async () => {
  const u = userIds[3]!;
  const r = await recs(`userId=${u}&n=10`);
  const post = (body: unknown) => api(t, 'POST', '/api/v1/recommendations/feedback', body);
  const imp = await post({ trackingToken: r.trackingToken, type: 'impression' });
  assert.equal(imp.statusCode, 200, imp.body);
  assert.equal(imp.json().recorded, 10);
  assert.equal((await post({ trackingToken: r.trackingToken, type: 'impression' })).json().recorded, 0);
  const click = await post({ trackingToken: r.trackingToken, type: 'click', productId: r.items[0]!.productId });
  assert.equal(click.json().recorded, 1);
  const again = await post({ trackingToken: r.trackingToken, type: 'click', productId: r.items[0]!.productId });
  assert.equal(again.json().duplicate, true);
  const [body, sig] = r.trackingToken.split('.');
  const tampered = await post({ trackingToken: `${body}x.${sig}`, type: 'click', productId: r.items[0]!.productId });
  assert.equal(tampered.statusCode, 400);
  assert.equal(tampered.json().error.details[0].path, 'body.trackingToken');
  const notShown = await post({ trackingToken: r.trackingToken, type: 'click', productId: 'never-shown' });
  assert.equal(notShown.json().error.details[0].path, 'body.productId');
  const noProduct = await post({ trackingToken: r.trackingToken, type: 'click' });
  assert.equal(noProduct.json().error.details[0].path, 'body.productId');
  assert.equal((await post({ trackingToken: r.trackingToken, type: 'view' })).json().error.details[0].path, 'body.type');
  const stats = (await api(t, 'GET', '/api/v1/recommendations/stats?days=7')).json() as { rows: Array<{ placement: string; model: string; impressions: number; clicks: number; ctr: number | null }> };
  const all = stats.rows.find((x) => x.placement === 'home' && x.model === 'all')!;
  assert.deepEqual({ impressions: all.impressions, clicks: all.clicks, ctr: all.ctr }, { impressions: 10, clicks: 1, ctr: 0.1 });
  for (const s of r.items[0]!.sources) {
    const row = stats.rows.find((x) => x.placement === 'home' && x.model === s)!;
    assert.equal(row.clicks, 1, s);
    assert.ok(row.impressions >= 1);
  }
});

test('settings per placement: read, partial update validated as a whole, pinned first, boosts, category limits', async () => {
  const s = await api(t, 'GET', '/api/v1/recommendations/settings');
  assert.equal(s.statusCode, 200);
  assert.equal(s.json().settings.placements.home.excludePurchasedDays, 30);
  const bad = await api(t, 'PUT', '/api/v1/recommendations/settings', { placements: { home: { diversity: 2 } } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.details[0].path, 'body.placements.home.diversity');
  const band = await api(t, 'PUT', '/api/v1/recommendations/settings', { placements: { email: { minPrice: 100, maxPrice: 10 } } });
  assert.equal(band.statusCode, 400);
  assert.equal(band.json().error.details[0].path, 'body.placements.email.minPrice');
  assert.equal((await api(t, 'PUT', '/api/v1/recommendations/settings', { placements: { shelf: {} } })).statusCode, 400);

  const st = await svc.workspace('default');
  const ids = st.model!.snapshot.itemIds;
  const pinned = [ids[ids.length - 1]!, ids[ids.length - 2]!];
  const ok = await api(t, 'PUT', '/api/v1/recommendations/settings', { placements: { home: { pinned, maxPerCategory: 2, diversity: 0.5 } } });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().settings.placements.home.excludePurchasedDays, 30, 'other fields kept');
  const u = userIds[5]!;
  const r = await recs(`userId=${u}&n=12`);
  assert.deepEqual(r.items.slice(0, 2).map((i) => i.productId), pinned);
  assert.ok(r.items.slice(0, 2).every((i) => i.sources.includes('pinned') && i.reason === '精选推荐'));
  const view = st.view!;
  const perCat = new Map<number, number>();
  for (const it of r.items.slice(2)) {
    const c = view.category[st.model!.itemIndex.get(it.productId)!]!;
    perCat.set(c, (perCat.get(c) ?? 0) + 1);
  }
  for (const v of perCat.values()) assert.ok(v <= 2);
  // the email placement is untouched
  assert.ok(!(await recs(`userId=${u}&n=12&placement=email`)).items.slice(0, 2).every((i) => pinned.includes(i.productId)));
  await api(t, 'PUT', '/api/v1/recommendations/settings', { placements: { home: { pinned: [], maxPerCategory: 0, diversity: 0.2 } } });
});

test('model status and the inspector: metrics per model, each model\'s list, the blend and history', async () => {
  const m = await api(t, 'GET', '/api/v1/recommendations/model');
  assert.equal(m.statusCode, 200);
  const status = m.json();
  assert.ok(status.version);
  for (const name of ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session', 'hybrid']) assert.equal(typeof status.models[name].metrics['ndcg@10'], 'number', name);
  assert.equal(status.training.last.outcome, 'trained');
  const u = userIds[2]!;
  const i = await api(t, 'GET', `/api/v1/recommendations/inspect?userId=${u}&lang=en&n=10`);
  assert.equal(i.statusCode, 200, i.body);
  const x = i.json();
  assert.equal(x.user.key, `u:${u}`);
  assert.ok(x.history.length > 0);
  assert.ok(x.models.itemknn.length > 0 && x.models.popular.length > 0);
  assert.equal(x.blend.length, 10);
  assert.ok(x.blend.every((b: { reason: string }) => b.reason));
  assert.equal((await api(t, 'GET', '/api/v1/recommendations/inspect')).json().error.details[0].path, 'query.userId');
});

test('the JSON answer (the hot path) is the object answer, escaping included', async () => {
  const st = await svc.workspace('default');
  const a = st.model!.snapshot.arrays, ids = st.model!.snapshot.itemIds;
  const withRules = ids.findIndex((_, i) => a.fbtPtr[i + 1]! > a.fbtPtr[i]!);
  const odd = 'He said "hi" \\ 「x」\n\t\u2028';
  await api(t, 'PUT', '/api/v1/products', { products: [{ product_id: ids[withRules]!, name: odd }] });
  await svc.refreshCatalog('default');
  const asks = [
    ...userIds.slice(0, 20).map((u) => ({ userId: u, placement: 'home' as const, productIds: [] as string[] })),
    { userId: userIds[1]!, placement: 'cart' as const, productIds: [ids[withRules]!] },
    { userId: userIds[2]!, placement: 'product' as const, productIds: [ids[withRules]!] },
  ];
  let sawOdd = false;
  for (const ask of asks) for (const lang of ['zh-CN', 'en'] as const) {
    const p = { ...ask, n: 20, personalization: true, exclude: [], lang };
    const now = Date.now();
    const obj = svc.recommend(st, p, now);
    const json = JSON.parse(svc.recommendBytes(st, p, now).toString('utf8')) as typeof obj;
    assert.deepEqual({ ...json, trackingToken: '' }, JSON.parse(JSON.stringify({ ...obj, trackingToken: '' })));
    sawOdd ||= json.items.some((i) => i.reason.includes(odd));
  }
  assert.ok(sawOdd, 'a reason names the product with quotes, backslashes and control characters');
});

test('per-city popularity from identify traits: an anonymous visitor with a city, and a cold user with a city trait, get that city\'s best sellers', async () => {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.type === 'identify' && typeof m.traits?.city === 'string') counts.set(m.traits.city, (counts.get(m.traits.city) ?? 0) + 1);
  const city = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const byCity = await recs(`anonymousId=visitor-in-town&n=10&city=${encodeURIComponent(city)}`);
  assert.equal(byCity.items.length, 10);
  assert.equal(byCity.items[0]!.reason, `${city}热门`);
  assert.ok(byCity.items[0]!.sources.includes('popular'));
  const global = await recs('anonymousId=visitor-elsewhere&n=10');
  assert.notDeepEqual(byCity.items.map((i) => i.productId), global.items.map((i) => i.productId));
  // personalization=false ignores the city
  const off = await recs(`anonymousId=visitor-in-town&n=10&city=${encodeURIComponent(city)}&personalization=false`);
  assert.deepEqual(off.items.map((i) => i.productId), (await recs('n=10&personalization=false')).items.map((i) => i.productId));
  // an identified user with that city trait and no product activity
  const cold = 'cold-newcomer-1';
  const r = await t.app.fastify.inject({ method: 'POST', url: '/v1/identify', payload: JSON.stringify({ userId: cold, traits: { city }, messageId: 'identify-cold-1' }), headers: { 'content-type': 'application/json', authorization: basic() } });
  assert.equal(r.statusCode, 200, r.body);
  assert.ok(await t.engine.workers.waitIdle(60_000));
  // a saved segment (segments module) of buyers, refreshed: its members get a popularity group too
  const created = await api(t, 'POST', '/api/v1/segments', { name: '买家', rule: { trait: 'orders', op: 'gte', value: 1 } });
  assert.equal(created.statusCode, 201, created.body);
  const segmentId = (created.json() as { id: string }).id;
  let size = 0;
  for (const end = Date.now() + 60_000; size < 5 && Date.now() < end;) {
    const refreshed = await api(t, 'POST', `/api/v1/segments/${segmentId}/refresh`);
    size = refreshed.statusCode === 200 ? ((refreshed.json() as { size?: number }).size ?? 0) : 0;
    if (size < 5) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(size >= 5, `segment size ${size}`);
  const out = await svc.train('default', 'api');
  assert.ok(out && out.outcome === 'trained', JSON.stringify(out));
  const coldAnswer = await recs(`userId=${cold}&n=10&lang=en`);
  assert.equal(coldAnswer.items[0]!.reason, `popular in ${city}`);
  const groups = svc.loaded('default')!.model!.snapshot.meta.groups!;
  const seg = groups.find((g) => g.dimension === 'segment' && g.value === segmentId);
  assert.ok(seg && seg.label === '买家' && seg.users >= 5, JSON.stringify(groups.filter((g) => g.dimension !== 'city')));
  assert.ok(groups.some((g) => g.dimension === 'city' && g.value === city));
});
