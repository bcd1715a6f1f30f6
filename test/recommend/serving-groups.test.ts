import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CatalogView, compileRules, DEFAULT_SETTINGS, groupPopularity, loadSnapshot, prepare, reasonText, saveSnapshot, serve, ServingModel, trainSnapshot, TrainingInputBuilder,
  type Snapshot, type TrainingInput,
} from '../../src/modules/recommend/index.ts';
import { simWorld } from './serving-fixture.ts';

const DAY = 86400;

test('per-group popularity ranks what the group\'s own users took up, decayed by time; small groups get none', () => {
  const b = new TrainingInputBuilder('w');
  const now = 1000 * DAY;
  for (let k = 0; k < 6; k++) {
    b.addInteraction(`u:s${k}`, 'p1', 'view', 1, now);
    b.addInteraction(`u:s${k}`, 'p3', 'view', 1, now - 28 * DAY); // two half-lives ago: counts 1/4
    b.setGroup('city', `u:s${k}`, '上海');
    b.addInteraction(`u:b${k}`, 'p2', 'view', 1, now);
    b.setGroup('city', `u:b${k}`, '北京');
    b.setGroup('lifecycle', `u:b${k}`, 'active');
    b.setGroup('segment', `u:b${k}`, 'seg-vip');
    b.setGroup('segment', `u:b${k}`, 'seg-vip'); // repeated: one membership
    if (k < 5) b.setGroup('segment', `u:s${k}`, 'seg-vip');
  }
  b.setGroup('city', 'u:s5', '广州');
  b.setGroup('city', 'u:s5', '上海'); // single-valued: the last value wins
  b.labelSegment('seg-vip', 'VIP 客户');
  b.addInteraction('u:s0', 'p2', 'order', 1, now);
  b.addInteraction('u:s1', 'p2', 'view', 1, now);
  b.addInteraction('u:h0', 'p3', 'view', 1, now);
  b.setGroup('city', 'u:h0', '杭州'); // one user: below minUsers
  b.setGroup('city', 'u:newcomer', '上海'); // no interactions: a member, not counted
  const input = b.build();
  const gp = groupPopularity(input, prepare(input, DEFAULT_SETTINGS.training.weights), { halfLifeDays: 14, minUsers: 5, top: 10 });
  assert.deepEqual(gp.groups.map((g) => `${g.dimension}:${g.value}:${g.users}`).sort(), ['city:上海:6', 'city:北京:6', 'lifecycle:active:6', 'segment:seg-vip:11'].sort());
  const list = (dimension: string, value: string) => {
    const g = gp.groups.findIndex((x) => x.dimension === dimension && x.value === value);
    const a = gp.arrays;
    return Array.from(a.groupItem.subarray(a.groupPtr[g]!, a.groupPtr[g + 1]!), (i, k) => [input.itemIds[i], Math.round(a.groupScore[a.groupPtr[g]! + k]! * 1000) / 1000]);
  };
  // 上海: p1 by 6 users now (6), p2 by 2 users now (2), p3 by 6 users 28 days ago (6 × 1/4)
  assert.deepEqual(list('city', '上海'), [['p1', 1], ['p2', 0.333], ['p3', 0.25]]);
  assert.deepEqual(list('city', '北京'), [['p2', 1]]);
  // memberships: every key in a ranked group, with or without interactions; 杭州 has no ranking
  const groupsOf = (key: string) => {
    const r = gp.keys.indexOf(key);
    return r < 0 ? [] : Array.from(gp.arrays.gkGroup.subarray(gp.arrays.gkPtr[r]!, gp.arrays.gkPtr[r + 1]!), (g) => `${gp.groups[g]!.dimension}:${gp.groups[g]!.value}`);
  };
  assert.deepEqual(groupsOf('u:newcomer'), ['city:上海']);
  assert.deepEqual(groupsOf('u:b3'), ['city:北京', 'segment:seg-vip', 'lifecycle:active']);
  assert.deepEqual(groupsOf('u:s2'), ['city:上海', 'segment:seg-vip']);
  assert.equal(gp.groups.find((x) => x.dimension === 'segment')!.label, 'VIP 客户');
  assert.deepEqual(groupsOf('u:h0'), []);
});

const world = simWorld(300, 20);
let trained: { input: TrainingInput; snap: Snapshot; city: string } | undefined;
/** The sim world (identify traits carry cities) plus an identified newcomer with a city and no activity. */
async function cityWorld() {
  if (trained) return trained;
  const g = world.input.groups!;
  const counts = new Map<string, number>();
  for (let m = 0; m < g.key.length; m++) if (g.dimension[m] === 0) counts.set(g.value[m]!, (counts.get(g.value[m]!) ?? 0) + 1);
  const city = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const input: TrainingInput = {
    ...world.input,
    groups: { ...g, keys: [...g.keys, 'u:newcomer'], key: Int32Array.from([...g.key, g.keys.length]), dimension: Uint8Array.from([...g.dimension, 0]), value: [...g.value, city] },
  };
  const snap = await trainSnapshot(input, { threads: 1, now: new Date('2026-01-21T00:00:00Z') });
  return (trained = { input, snap, city });
}

test('a cold or anonymous visitor with a known city gets that city\'s popularity; without personalisation the city is ignored', async () => {
  const { snap, city } = await cityWorld();
  assert.ok((snap.meta.groups ?? []).length >= 2, 'the sim world has cities with rankings');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liebian-groups-'));
  try {
    // through a saved and reloaded snapshot, as the server serves it
    const loaded = await loadSnapshot(saveSnapshot(dir, snap));
    const model = new ServingModel(loaded, null);
    const a = loaded.arrays;
    const g = loaded.meta.groups!.findIndex((x) => x.dimension === 'city' && x.value === city);
    assert.ok(g >= 0);
    const cityList = Array.from(a.groupItem.subarray(a.groupPtr[g]!, a.groupPtr[g + 1]!));
    const view = new CatalogView(model, null);
    const rules = compileRules(view, { ...DEFAULT_SETTINGS.placements.home, diversity: 0 });
    const now = Date.parse('2026-01-21T00:00:00Z') / 1000;
    const ask = (userKey: string | null, cityParam: string | undefined, personalised = true) =>
      serve(model, view, rules, { placement: 'home', userKey, context: [], n: 10, personalised, exclude: [], nowSec: now, city: cityParam }, undefined).items;
    const name = (i: number) => loaded.itemIds[i]!;

    // anonymous, city from the request
    const anon = ask('a:visitor-1', city);
    assert.deepEqual(anon.map((c) => c.item), cityList.slice(0, 10));
    assert.equal(reasonText(anon[0]!.reason, 'en', name), `popular in ${city}`);
    assert.equal(reasonText(anon[0]!.reason, 'zh-CN', name), `${city}热门`);
    // an identified user with no activity: their city trait from the snapshot
    assert.deepEqual(ask('u:newcomer', undefined).map((c) => c.item), cityList.slice(0, 10));
    // nobody known and no city: the global ranking
    const global = ask('a:visitor-2', undefined);
    assert.deepEqual(global.map((c) => c.item), Array.from(a.popOrder.subarray(0, 10)));
    assert.equal(global[0]!.reason.code, 'popular');
    // personalization=false: no profile or location data, exactly the non-personalised list
    const nonPersonal = ask(null, undefined, false).map((c) => c.item);
    assert.deepEqual(ask('u:newcomer', city, false).map((c) => c.item), nonPersonal);
    // an unknown city: the global ranking
    assert.deepEqual(ask('a:visitor-3', 'Atlantis').map((c) => c.item), global.map((c) => c.item));
    // a trained user keeps their own list first: city popularity only fills the tail
    const known = loaded.userKeys.findIndex((k, u) => k.startsWith('u:') && a.candPtr[u + 1]! - a.candPtr[u]! >= 20);
    const own = ask(loaded.userKeys[known]!, city);
    assert.ok(own.every((c) => c.reason.code !== 'popular_city'), 'a known user\'s top 10 comes from their own list');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a new item with no interactions reaches users through content similarity (placed in their lists with the new-item reason)', async () => {
  const b = new TrainingInputBuilder('w');
  const now = Date.parse('2026-03-01T00:00:00Z') / 1000;
  const dress = (k: number) => ({ productId: `dress${k}`, name: `真丝 连衣裙 款式${k}`, category: '连衣裙', brand: '丝语', tags: ['真丝', '夏季'] });
  const tool = (k: number) => ({ productId: `tool${k}`, name: `电钻 工具 型号${k}`, category: '五金', brand: '钢铁侠', tags: ['电动'] });
  for (let k = 0; k < 10; k++) {
    b.addItem({ ...dress(k), firstSeen: '2025-06-01T00:00:00Z' });
    b.addItem({ ...tool(k), firstSeen: '2025-06-01T00:00:00Z' });
  }
  b.addItem({ productId: 'dress-new', name: '真丝 连衣裙 新款', category: '连衣裙', brand: '丝语', tags: ['真丝', '夏季'], firstSeen: '2026-02-25T00:00:00Z' });
  const rng = (s: number) => () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const r = rng(7);
  for (let u = 0; u < 40; u++) {
    const kind = u % 2 === 0 ? 'dress' : 'tool';
    for (let v = 0; v < 6; v++) b.addInteraction(`u:user${u}`, `${kind}${Math.floor(r() * 10)}`, 'view', 1, now - Math.floor(r() * 20) * DAY);
  }
  const snap = await trainSnapshot(b.build(), { threads: 1, now: new Date(now * 1000) });
  const model = new ServingModel(snap, null);
  const view = new CatalogView(model, null);
  const rules = compileRules(view, { ...DEFAULT_SETTINGS.placements.home, diversity: 0 });
  const fresh = model.itemIndex.get('dress-new')!;
  let reached = 0, wrongSide = 0;
  for (let u = 0; u < 40; u++) {
    const items = serve(model, view, rules, { placement: 'home', userKey: `u:user${u}`, context: [], n: 10, personalised: true, exclude: [], nowSec: now }, undefined).items;
    const hit = items.find((c) => c.item === fresh);
    if (!hit) continue;
    if (u % 2 === 0) {
      reached++;
      assert.equal(hit.reason.code, 'new_item');
      assert.equal(reasonText(hit.reason, 'en', (i) => snap.itemIds[i]!), 'new, and similar to what you like');
    } else wrongSide++;
  }
  assert.ok(reached >= 15, `the new dress reached ${reached} of 20 dress shoppers`);
  assert.equal(wrongSide, 0, 'and no tool shopper');
});
