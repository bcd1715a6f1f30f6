import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRule, expandRule, measureRule, referenceEvaluate, type RefWorld, type Rule } from '../../src/modules/segments/index.ts';
import { compileForWorkspace, evaluationTime, prepareRule } from '../../src/flows/segments-evaluate.ts';
import { loadWorld, openTestStores, type Stores } from './world.ts';
import { forEachOpStore } from '../helpers/stores.ts';

const AS_OF = '2026-03-31';
const NOW = Date.parse('2026-04-01T00:00:00Z');
const DAY = 86_400_000;
const ago = (d: number) => NOW - d * DAY;
const iso = (ms: number) => new Date(ms).toISOString();

/** A small hand-made world: five people, orders with lines, identify traits, a few edges. */
const world: RefWorld = {
  now: NOW,
  profiles: [
    { profileId: 'p1', userId: 'u1', anonymousIds: ['a1'], traits: { userId: 'u1', orders: 3, gmv: 720.5, rfmSegment: 'Champions', lifecycleStage: 'active', lastOrderAt: iso(ago(2)), firstSeenAt: iso(ago(40)), topCategories: [{ name: '美妆', weight: 0.7 }, { name: '服装', weight: 0.3 }], isKol: true, invitesAccepted: 4, lifecycleSince: '2026-03-01', churnProbability: 0.1 } },
    { profileId: 'p2', userId: 'u2', anonymousIds: [], traits: { userId: 'u2', orders: 1, gmv: 99, rfmSegment: 'New Customers', lifecycleStage: 'new', lastOrderAt: iso(ago(10)), firstSeenAt: iso(ago(5)), topCategories: [{ name: '服装', weight: 1 }], invitesAccepted: 0, churnProbability: 0.6 } },
    { profileId: 'p3', userId: 'u3', anonymousIds: ['a3'], traits: { userId: 'u3', orders: 2, gmv: 310, rfmSegment: 'At Risk', lifecycleStage: 'at_risk', lastOrderAt: iso(ago(70)), firstSeenAt: iso(ago(200)), priceBand: 'high' } },
    { profileId: 'p4', userId: null, anonymousIds: ['a4'], traits: { anonymousId: 'a4', orders: 0, gmv: 0, lifecycleStage: 'prospect', firstSeenAt: iso(ago(1)) } },
    { profileId: 'p5', userId: 'u5', anonymousIds: [], traits: { userId: 'u5', lifecycleStage: 'prospect' } },
  ],
  events: [
    { seq: 1, type: 'track', event: 'Order Completed', userId: 'u1', ts: ago(3), properties: { order_id: 'o1', total: 200 }, lines: [{ category: '美妆', brand: 'B1', price: 100, quantity: 2 }] },
    { seq: 2, type: 'track', event: 'Order Completed', userId: 'u1', ts: ago(20), properties: { order_id: 'o2', total: 90 }, lines: [{ category: '服装', brand: 'B2', price: 50, quantity: 1 }, { category: '美妆', brand: 'B3', price: 100.5, quantity: 1 }] },
    { seq: 3, type: 'track', event: 'Order Completed', anonymousId: 'a1', ts: ago(45), properties: { order_id: 'o3', total: 370 }, lines: [{ category: '美妆', brand: 'B1', price: 370, quantity: 1 }] },
    { seq: 4, type: 'track', event: 'Order Completed', userId: 'u2', ts: ago(10), properties: { order_id: 'o4', total: 99 }, lines: [{ category: '服装', brand: 'B2', price: 99, quantity: 1 }] },
    { seq: 5, type: 'track', event: 'Order Completed', userId: 'u3', ts: ago(25), properties: { order_id: 'o5', total: 160 }, lines: [{ category: '美妆', brand: 'B1', price: 160, quantity: 1 }] },
    { seq: 6, type: 'track', event: 'Order Completed', userId: 'u3', ts: ago(28), properties: { order_id: 'o6', total: 150 }, lines: [{ category: '美妆', brand: 'B4', price: 150, quantity: 1 }] },
    { seq: 7, type: 'track', event: 'Product Viewed', anonymousId: 'a4', ts: ago(1), properties: { category: '美妆', price: 30 } },
    { seq: 8, type: 'track', event: 'Order Completed', userId: 'u2', ts: NOW + 3_600_000, properties: { order_id: 'o7', total: 999 }, lines: [{ category: '美妆', price: 999, quantity: 1 }] },
    { seq: 9, type: 'identify', userId: 'u1', ts: ago(30), traits: { city: '上海', age: 30 } },
    { seq: 10, type: 'identify', userId: 'u1', ts: ago(5), traits: { city: '杭州' } },
    { seq: 11, type: 'identify', anonymousId: 'a4', ts: ago(2), traits: { city: '上海', age: '41' } },
  ],
  edges: [
    { type: 'friend', src: 'u:u1', dst: 'u:u2' }, { type: 'friend', src: 'u:u2', dst: 'u:u1' },
    { type: 'follow', src: 'u:u3', dst: 'u:u1' }, { type: 'follow', src: 'a:a4', dst: 'u:u3' },
    { type: 'invite', src: 'u:u2', dst: 'u:u5' },
  ],
};

forEachOpStore('segment rules on a hand-made world: SQL and reference agree, and equal the expected people', (getDb) => {
  let s: Stores;
  let ws: string;
  before(async () => {
    s = await openTestStores(getDb());
    ws = await loadWorld(s, world, AS_OF);
  });
  after(async () => s.close());

  const sql = async (rule: unknown) => {
    const { expanded } = await prepareRule(s.op, ws, rule);
    const { now } = await evaluationTime(s.es, ws);
    const c = await compileForWorkspace(s.op, s.es, ws, expanded, now);
    return (await s.es.read<{ profile_id: string }>(`select profile_id from (${c.sql}) order by 1`, c.params)).map((x) => x.profile_id);
  };
  const ref = async (rule: unknown) => referenceEvaluate((await prepareRule(s.op, ws, rule)).expanded, world);
  const cases: Array<[string, unknown, string[]]> = [
    ['number gt', { trait: 'gmv', op: 'gt', value: 300 }, ['p1', 'p3']],
    ['number eq', { trait: 'orders', op: 'eq', value: 0 }, ['p4']],
    ['number neq (missing is false)', { trait: 'orders', op: 'neq', value: 3 }, ['p2', 'p3', 'p4']],
    ['number gte / lt / lte', { all: [{ trait: 'orders', op: 'gte', value: 1 }, { trait: 'orders', op: 'lt', value: 3 }, { trait: 'gmv', op: 'lte', value: 310 }] }, ['p2', 'p3']],
    ['number in / not_in', { any: [{ trait: 'orders', op: 'in', value: [2, 3] }, { trait: 'gmv', op: 'not_in', value: [720.5, 310, 0] }] }, ['p1', 'p2', 'p3']],
    ['number between', { trait: 'gmv', op: 'between', value: [99, 310] }, ['p2', 'p3']],
    ['exists / not_exists', { all: [{ trait: 'priceBand', op: 'not_exists' }, { trait: 'orders', op: 'exists' }] }, ['p1', 'p2', 'p4']],
    ['rfm segment in', { trait: 'rfmSegment', op: 'in', value: ['Champions', 'At Risk'] }, ['p1', 'p3']],
    ['lifecycle eq', { trait: 'lifecycleStage', op: 'eq', value: 'prospect' }, ['p4', 'p5']],
    ['text contains', { trait: 'rfmSegment', op: 'contains', value: 'Cust' }, ['p2']],
    ['text neq', { trait: 'lifecycleStage', op: 'neq', value: 'prospect' }, ['p1', 'p2', 'p3']],
    ['time before daysAgo', { trait: 'lastOrderAt', op: 'before', value: { daysAgo: 30 } }, ['p3']],
    ['time after ISO', { trait: 'lastOrderAt', op: 'after', value: '2026-03-25' }, ['p1']],
    ['time within_last_days', { trait: 'firstSeenAt', op: 'within_last_days', value: 7 }, ['p2', 'p4']],
    ['time between', { trait: 'lastOrderAt', op: 'between', value: [{ daysAgo: 15 }, '2026-03-30T00:00:00Z'] }, ['p1', 'p2']],
    ['date trait after', { trait: 'lifecycleSince', op: 'after', value: '2026-02-28' }, ['p1']],
    ['list contains', { trait: 'topCategories', op: 'contains', value: '美妆' }, ['p1']],
    ['list not_exists', { trait: 'topCategories', op: 'not_exists' }, ['p3', 'p4', 'p5']],
    ['flag eq', { trait: 'isKol', op: 'eq', value: true }, ['p1']],
    ['not flag (missing)', { not: { trait: 'isKol', op: 'eq', value: true } }, ['p2', 'p3', 'p4', 'p5']],
    ['identify eq (latest value)', { trait: 'traits.city', op: 'eq', value: '上海' }, ['p4']],
    ['identify numeric', { trait: 'traits.age', op: 'gte', value: 35 }, ['p4']],
    ['identify in mixed', { trait: 'traits.age', op: 'in', value: [30, 'x'] }, ['p1']],
    ['identify not_exists', { trait: 'traits.age', op: 'not_exists' }, ['p2', 'p3', 'p5']],
    ['event performed in window', { event: 'Order Completed', within: { days: 30 } }, ['p1', 'p2', 'p3']],
    ['event not performed', { event: 'Order Completed', performed: false }, ['p4', 'p5']],
    ['event count lte 1 includes none', { event: 'Order Completed', count: { op: 'lte', value: 1 } }, ['p2', 'p4', 'p5']],
    ['event since', { event: 'Order Completed', within: { since: '2026-03-20' } }, ['p1', 'p2']],
    ['event order-level where', { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 300 }] }, ['p1']],
    ['event line filters on one line', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: '美妆' }, { property: 'brand', op: 'eq', value: 'B3' }] }, ['p1']],
    ['event line numeric', { event: 'Order Completed', where: [{ property: 'price', op: 'between', value: [150, 160] }] }, ['p3']],
    ['event property on another event', { event: 'Product Viewed', where: [{ property: 'category', op: 'in', value: ['美妆'] }, { property: 'price', op: 'lt', value: 50 }] }, ['p4']],
    ['美妆 twice in 30 days with total over 300', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: '美妆' }], count: { op: 'gte', value: 2 }, sum: { property: 'total', op: 'gt', value: 300 }, within: { days: 30 } }, ['p3']],
    ['美妆 twice in 60 days with total over 300', { event: 'Order Completed', where: [{ property: 'category', op: 'eq', value: '美妆' }], count: { op: 'gte', value: 2 }, sum: { property: 'total', op: 'gt', value: 300 }, within: { days: 60 } }, ['p1', 'p3']],
    ['social friend_of', { social: 'friend_of', of: { userId: 'u1' } }, ['p2']],
    ['social follower_of', { social: 'follower_of', of: { userId: 'u1' } }, ['p3']],
    ['social followed_by', { social: 'followed_by', of: { userId: 'u3' } }, ['p1']],
    ['social invited_by', { social: 'invited_by', of: { userId: 'u2' } }, ['p5']],
    ['near_kol 1 hop', { social: 'near_kol', hops: 1 }, ['p2', 'p3']],
    ['near_kol 2 hops', { social: 'near_kol', hops: 2 }, ['p2', 'p3', 'p4', 'p5']],
    ['not / any / all', { all: [{ not: { trait: 'orders', op: 'gt', value: 1 } }, { any: [{ trait: 'lifecycleStage', op: 'eq', value: 'new' }, { trait: 'userId', op: 'not_exists' }] }] }, ['p2', 'p4']],
  ];
  for (const [name, rule, expected] of cases) {
    test(name, async () => {
      assert.deepEqual(await ref(rule), expected, 'reference');
      assert.deepEqual(await sql(rule), expected, 'sql');
    });
  }
});

// Without influence traits (no KOL flag), social conditions read the operational store's live edges by id.
const noInfluence: RefWorld = { ...world, profiles: world.profiles.map((p) => ({ ...p, traits: { ...p.traits, isKol: null } })) };
forEachOpStore('social conditions from the operational store\'s edges (no influence traits yet)', (getDb) => {
  let s: Stores;
  let ws: string;
  before(async () => {
    s = await openTestStores(getDb());
    ws = await loadWorld(s, noInfluence, AS_OF);
  });
  after(async () => s.close());
  const cases: Array<[string, unknown, string[]]> = [
    ['friend_of', { social: 'friend_of', of: { userId: 'u1' } }, ['p2']],
    ['follower_of', { social: 'follower_of', of: { userId: 'u1' } }, ['p3']],
    ['followed_by', { social: 'followed_by', of: { userId: 'u3' } }, ['p1']],
    ['invited_by of a segment', { all: [{ social: 'invited_by', of: { segment: 'seg-u2' } }] }, ['p5']],
    ['near_kol: no KOLs', { social: 'near_kol', hops: 2 }, []],
  ];
  for (const [name, rule, expected] of cases) {
    test(name, async () => {
      await s.op.query(`insert into segments (id, workspace_id, name, rule) values ('seg-u2', $1, 'u2', $2) on conflict do nothing`, [ws, JSON.stringify({ trait: 'userId', op: 'eq', value: 'u2' })]);
      const { expanded } = await prepareRule(s.op, ws, rule);
      assert.deepEqual(referenceEvaluate(expanded, noInfluence), expected, 'reference');
      const c = await compileForWorkspace(s.op, s.es, ws, expanded, NOW);
      assert.deepEqual((await s.es.read<{ profile_id: string }>(`select profile_id from (${c.sql}) order by 1`, c.params)).map((x) => x.profile_id), expected, 'sql');
    });
  }
});

describe('bad rules are refused with a code and the path in the rule', () => {
  const path = (rule: unknown) => {
    try {
      measureRule(checkRule(rule));
    } catch (e) {
      const err = e as { code: string; details: Array<{ path: string }> };
      return [err.code, err.details[0]!.path];
    }
    return null;
  };
  const cases: Array<[string, unknown, string, string]> = [
    ['unknown field', { all: [{ trait: 'orders', op: 'gt', value: 1 }, { trait: 'nope', op: 'eq', value: 1 }] }, 'RULE_INVALID', 'rule.all[1].trait'],
    ['wrong type', { trait: 'orders', op: 'gt', value: 'many' }, 'RULE_INVALID', 'rule.value'],
    ['wrong type in a where', { all: [{ trait: 'orders', op: 'gt', value: 1 }, { trait: 'gmv', op: 'gt', value: 1 }, { event: 'Order Completed', where: [{ property: 'price', op: 'gt', value: 'x' }] }] }, 'RULE_INVALID', 'rule.all[2].where[0].value'],
    ['operator not for the type', { trait: 'lastOrderAt', op: 'gt', value: 3 }, 'RULE_INVALID', 'rule.op'],
    ['unknown operator', { trait: 'orders', op: 'like', value: 3 }, 'RULE_INVALID', 'rule.op'],
    ['list item', { trait: 'rfmSegment', op: 'in', value: ['Champions', 3] }, 'RULE_INVALID', 'rule.value[1]'],
    ['bad date', { trait: 'lastOrderAt', op: 'before', value: '2026-13-45' }, 'RULE_INVALID', 'rule.value'],
    ['unknown node', { or: [] }, 'RULE_INVALID', 'rule'],
    ['two kinds', { trait: 'orders', event: 'x' }, 'RULE_INVALID', 'rule'],
    ['extra key', { event: 'Order Completed', times: 2 }, 'RULE_INVALID', 'rule'],
    ['count with performed false', { event: 'x', performed: false, count: { op: 'gte', value: 1 } }, 'RULE_INVALID', 'rule.count'],
    ['bad hops', { social: 'near_kol', hops: 5 }, 'RULE_INVALID', 'rule.hops'],
    ['bad relation', { social: 'enemy_of', of: { userId: 'u' } }, 'RULE_INVALID', 'rule.social'],
    ['empty all', { all: [] }, 'RULE_INVALID', 'rule.all'],
    ['too deep', { not: { not: { not: { not: { not: { not: { not: { not: { trait: 'orders', op: 'exists' } } } } } } } } }, 'RULE_TOO_DEEP', 'rule.not.not.not.not.not.not.not.not'],
    ['too large', { any: Array.from({ length: 4 }, () => ({ all: Array.from({ length: 20 }, () => ({ trait: 'orders', op: 'exists' })) })) }, 'RULE_TOO_LARGE', 'rule.any[2].all[16]'],
    ['too costly', { any: [{ social: 'near_kol', hops: 3 }, { social: 'near_kol', hops: 3 }, { social: 'near_kol', hops: 3 }] }, 'RULE_TOO_COSTLY', 'rule.any[2]'],
  ];
  for (const [name, rule, code, p] of cases) test(name, () => assert.deepEqual(path(rule), [code, p]));

  test('segment references: unknown id and cycles', async () => {
    const rules: Record<string, Rule> = { a: { segment: 'b' }, b: { all: [{ trait: 'orders', op: 'exists' }, { segment: 'a' }] } };
    const load = async (id: string) => rules[id] ?? null;
    await assert.rejects(expandRule({ all: [{ trait: 'orders', op: 'exists' }, { segment: 'zz' }] }, load), (e: { code: string; details: Array<{ path: string }> }) => e.code === 'RULE_INVALID' && e.details[0]!.path === 'rule.all[1].segment');
    await assert.rejects(expandRule({ segment: 'b' }, load, 'rule', 'a'), (e: { code: string; details: Array<{ path: string }> }) => e.code === 'RULE_CYCLE' && e.details[0]!.path === 'rule.segment.all[1].segment');
    await assert.rejects(expandRule({ segment: 'a' }, load), (e: { code: string }) => e.code === 'RULE_CYCLE');
  });
});
