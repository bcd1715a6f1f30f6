import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, bearer } from '../helpers/engine.ts';
import { ingestMessages } from '../../src/flows/ingest-messages.ts';
import { pumpBatch } from '../../src/flows/pump-events.ts';
import { projectBatch } from '../../src/flows/project-events.ts';
import { recomputeAll } from '../../src/flows/traits-recompute.ts';
import { traitsStep } from '../../src/flows/traits-incremental.ts';
import { influenceRefreshStep } from '../../src/flows/traits-influence-refresh.ts';
import { unmerge } from '../../src/modules/identity/index.ts';
import { allTraits, pagerank, type TraitsRow } from '../../src/modules/profiles/index.ts';

// Social influence traits (docs/profiles.md, "Social influence"): PageRank against an independent
// linear solve, a hand-built world with a 4-generation cascade (depth limit, attribution window,
// cancellation), incremental passes and a merge / un-merge equal to a full recompute, the API.

/** PageRank by solving (I − d·Mᵀ) x = (1 − d)/N exactly (Gaussian elimination; no dangling nodes in the graph used). */
function solvePageRank(n: number, links: Array<[number, number]>, d = 0.85): number[] {
  const out = new Array<number>(n).fill(0);
  for (const [u] of links) out[u]!++;
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (j === n ? (1 - d) / n : i === j ? 1 : 0)));
  for (const [u, v] of links) a[v]![u]! -= d / out[u]!;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => row[n]! / row[i]!);
}

test('PageRank on a 4-node graph equals the exact solution and the textbook values', () => {
  // The classic example: A→B, A→C, B→C, C→A, D→C (PR ≈ A 0.3725, B 0.1958, C 0.3941, D 0.0375).
  const names = ['A', 'B', 'C', 'D'];
  const links: Array<[number, number]> = [[0, 1], [0, 2], [1, 2], [2, 0], [3, 2]];
  const r = pagerank(links.map(([u, v]) => [names[u]!, names[v]!] as const));
  assert.deepEqual(r.nodes, names);
  const exact = solvePageRank(4, links);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(r.rank[i]! - exact[i]!) < 1e-10, `${names[i]} ${r.rank[i]} vs ${exact[i]}`);
  assert.deepEqual(Array.from(r.rank, (x) => x.toFixed(4)), ['0.3725', '0.1958', '0.3941', '0.0375']);
  // A symmetric cycle: every node 1/4; a dangling node spreads its rank (the ranks still sum to 1).
  const cyc = pagerank([['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'a']]);
  for (const x of cyc.rank) assert.ok(Math.abs(x - 0.25) < 1e-12);
  const dang = pagerank([['a', 'b'], ['b', 'c'], ['a', 'c']]);
  assert.ok(Math.abs(dang.rank.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  // Same graph in another order, with duplicates and a self-loop: bit-identical result.
  const again = pagerank([['D', 'C'], ['C', 'A'], ['A', 'C'], ['B', 'C'], ['A', 'B'], ['A', 'B'], ['C', 'C']]);
  assert.deepEqual(Array.from(again.rank), Array.from(r.rank));
});

const WS = 'default';
const AS_OF = '2026-09-30';
let t: Awaited<ReturnType<typeof startTestApp>>;
let n = 0;

async function drain() {
  while ((await pumpBatch(t.engine.op, t.engine.es)) > 0);
  while ((await projectBatch(t.engine.op)) > 0);
}
const step = () => traitsStep(t.engine.op, t.engine.es, { today: () => AS_OF, checkEveryMs: 0, maxEvents: 50, maxDutyCycle: 1 });
const full = () => recomputeAll(t.engine.op, t.engine.es, { workspace: WS, asOf: AS_OF });
/** The centrality refresh, due at once (passes that changed the graph only mark it stale). */
const settle = () => influenceRefreshStep(t.engine.es, { delayMs: 0 });
/** The stored rows equal a full recompute's (traits, graph, centrality). */
async function assertEqualsFull() {
  const incremental = await snapshot();
  await full();
  assert.deepEqual(incremental, await snapshot());
}
const snapshot = async () => {
  const traits = await allTraits(t.engine.es, WS);
  const edges = await t.engine.es.read('select type, src, dst from influence_edges where workspace_id = $1 order by all', [WS]);
  const cent = await t.engine.es.read('select profile_id, centrality, percentile from influence_centrality where workspace_id = $1 order by all', [WS]);
  return { traits, edges, cent };
};

type Id = { userId: string } | { anonymousId: string };
const u = (userId: string): Id => ({ userId });
const ev = (id: Id, event: string, at: string, properties: Record<string, unknown> = {}, context?: Record<string, unknown>) =>
  ({ type: 'track', event, messageId: `inf-${++n}`, timestamp: `2026-09-${at}Z`, ...id, properties, ...(context ? { context } : {}) });
/** A share click as the simulator and the SDKs send it: Share Link Opened, then the landing page with the campaign. */
const click = (id: Id, shareId: string, at: string) => [
  ev(id, 'Share Link Opened', at, { share_id: shareId }),
  { type: 'page', name: 'product', messageId: `inf-${++n}`, timestamp: `2026-09-${at}Z`, ...id, properties: {}, context: { campaign: { share_id: shareId } } },
];
const order = (id: Id, orderId: string, at: string, total: number, extra: Record<string, unknown> = {}) =>
  ev(id, 'Order Completed', at, { order_id: orderId, total, products: [{ product_id: 'p1', category: 'books', price: total, quantity: 1 }], ...extra });

async function send(msgs: unknown[]) {
  await ingestMessages(t.engine, WS, msgs as Parameters<typeof ingestMessages>[2]);
  await drain();
}
const byUser = async (userId: string) => (await allTraits(t.engine.es, WS)).find((r) => r.userId === userId)!;
const influence = (r: TraitsRow) => ({
  followers: r.followers, following: r.following, friends: r.friends, invitesSent: r.invitesSent, invitesAccepted: r.invitesAccepted,
  shares: r.shares, shareClicks: r.shareClicks, downstreamOrders: r.downstreamOrders, downstreamGmv: r.downstreamGmv,
});

before(async () => {
  t = await startTestApp({ background: false });
});
after(async () => {
  await t.close();
});

/** The hand-built world: a graph and a cascade alice s1 → bob s2 → carol s3 → dave s4 (generations 0..3). */
const WORLD = [
  ev(u('bob'), 'User Followed', '01T08:00:00', { followee_id: 'alice' }),
  ev(u('carol'), 'User Followed', '01T08:01:00', { followee_id: 'alice' }),
  ev(u('dave'), 'User Followed', '01T08:02:00', { followee_id: 'alice' }),
  ev(u('alice'), 'User Followed', '01T08:03:00', { followee_id: 'bob' }),
  ev(u('carol'), 'User Unfollowed', '01T09:00:00', { followee_id: 'alice' }),
  ev(u('alice'), 'Friend Added', '01T09:01:00', { friend_id: 'bob' }),
  ev(u('carol'), 'Friend Added', '01T09:02:00', { friend_id: 'dave' }),
  ev(u('dave'), 'Friend Removed', '01T09:03:00', { friend_id: 'carol' }),
  ev(u('alice'), 'Invite Sent', '01T10:00:00', { invite_id: 'inv1', channel: 'wechat' }),
  ev(u('alice'), 'Invite Sent', '01T10:01:00', { invite_id: 'inv2', channel: 'wechat' }),
  ev(u('erin'), 'Invite Accepted', '01T11:00:00', { invite_id: 'inv1', inviter_id: 'alice' }),
  ev(u('alice'), 'Product Shared', '02T08:00:00', { share_id: 'share-s1', product_id: 'p1' }),
  ...click(u('bob'), 'share-s1', '02T09:00:00'),
  ev(u('bob'), 'Product Shared', '02T09:05:00', { share_id: 'share-s2', parent_share_id: 'share-s1' }),
  order(u('bob'), 'o-bob', '03T10:00:00', 100),
  order(u('bob'), 'o-bob-cancelled', '03T11:00:00', 999),
  ev(u('bob'), 'Order Cancelled', '03T12:00:00', { order_id: 'o-bob-cancelled' }),
  ...click(u('carol'), 'share-s2', '04T09:00:00'),
  ev(u('carol'), 'Product Shared', '04T09:05:00', { share_id: 'share-s3', parent_share_id: 'share-s2' }),
  order(u('carol'), 'o-carol', '04T10:00:00', 200),
  ...click(u('dave'), 'share-s3', '05T09:00:00'),
  ev(u('dave'), 'Product Shared', '05T09:05:00', { share_id: 'share-s4', parent_share_id: 'share-s3' }),
  // The order's own share_id wins over the last touch.
  order(u('dave'), 'o-dave', '20T10:00:00', 300, { share_id: 'share-s3' }),
  ...click(u('erin'), 'share-s4', '06T09:00:00'),
  order(u('erin'), 'o-erin', '06T10:00:00', 50),
  // Outside the 7-day attribution window: not downstream.
  ...click(u('frank'), 'share-s1', '02T12:00:00'),
  order(u('frank'), 'o-frank', '12T10:00:00', 70),
  // The sharer's own visit is not a click.
  ...click(u('alice'), 'share-s1', '02T08:30:00'),
];

test('a hand-built graph and cascade give the defined counts, downstream orders and GMV', async () => {
  await send(WORLD);
  await full();
  assert.deepEqual(influence(await byUser('alice')), {
    followers: 2, following: 1, friends: 1, invitesSent: 2, invitesAccepted: 1,
    shares: 1, shareClicks: 2, downstreamOrders: 4, downstreamGmv: 650,
  });
  assert.deepEqual(influence(await byUser('bob')), {
    followers: 1, following: 1, friends: 1, invitesSent: 0, invitesAccepted: 0,
    shares: 1, shareClicks: 1, downstreamOrders: 3, downstreamGmv: 550,
  });
  assert.equal((await byUser('carol')).friends, 0);
  assert.equal((await byUser('dave')).downstreamOrders, 1);
  assert.equal((await byUser('dave')).downstreamGmv, 50);
  assert.equal((await byUser('frank')).downstreamOrders, 0);

  // Centrality: PageRank × N over the profile graph (links follower→followee, friend both ways,
  // invitee→inviter): 4 nodes (carol's edges are closed); alice has the most in-links.
  const rows = await allTraits(t.engine.es, WS);
  const graph = rows.filter((r) => (r.centrality as number) > 0);
  assert.equal(graph.length, 4);
  assert.ok(Math.abs(graph.reduce((s, r) => s + (r.centrality as number), 0) - 4) < 1e-5);
  const alice = await byUser('alice');
  assert.equal(alice.centralityPercentile, 100);
  assert.equal(alice.isKol, true, 'top percentile (default rule: followers ≥ 100 or percentile ≥ 99)');
  assert.equal((await byUser('frank')).centrality, 0);
  assert.equal((await byUser('frank')).centralityPercentile, null);
  assert.equal((await byUser('frank')).isKol, false);
  // Against the independent solve of the same 4-node graph.
  const pid = new Map(rows.map((r) => [r.userId as string, r.profileId]));
  const names = ['alice', 'bob', 'dave', 'erin', 'carol'].filter((x) => graph.some((r) => r.userId === x));
  const idx = new Map(names.map((x, i) => [x, i]));
  const links: Array<[number, number]> = [['bob', 'alice'], ['dave', 'alice'], ['alice', 'bob'], ['bob', 'alice'], ['erin', 'alice']]
    .map(([a, b]) => [idx.get(a!)!, idx.get(b!)!] as [number, number]);
  const dedup = [...new Set(links.map((l) => l.join()))].map((s) => s.split(',').map(Number) as [number, number]);
  // carol has no live edge (unfollowed, unfriended): not in the graph.
  assert.equal(names.includes('carol'), false);
  // No dangling node: dave and erin link to alice, alice and bob to each other.
  const exact = solvePageRank(names.length, dedup);
  for (const [name, i] of idx) {
    const r = rows.find((x) => x.profileId === pid.get(name))!;
    assert.ok(Math.abs((r.centrality as number) - exact[i]! * names.length) < 1e-5, `${name} ${r.centrality} vs ${exact[i]! * names.length}`);
  }

  // Depth is a setting: 2 generations below alice's share stops before erin's order at s4.
  await t.engine.op.query(`update workspaces set settings = jsonb_set(settings, '{profiles}', $1::jsonb) where id = $2`, [
    JSON.stringify({ influence: { depth: 2, kol: { minFollowers: 2, minCentralityPercentile: null } } }), WS]);
  await full();
  assert.equal((await byUser('alice')).downstreamOrders, 3);
  assert.equal((await byUser('alice')).downstreamGmv, 600);
  assert.equal((await byUser('alice')).isKol, true, 'followers 2 ≥ 2');
  assert.equal((await byUser('bob')).isKol, false, 'percentile rule off');
  await t.engine.op.query(`update workspaces set settings = settings - 'profiles' where id = $1`, [WS]);
  await full();
});

test('incremental passes after social events, a merge and an un-merge equal a full recompute', async () => {
  const base = await snapshot();
  assert.ok(base.traits.length >= 6);
  // More social events one small pass at a time: new followers of bob, a reshare under dave's
  // share by an anonymous visitor, their anonymous order, then their identify (a merge into gina).
  const later = [
    ev(u('gina'), 'User Followed', '21T08:00:00', { followee_id: 'bob' }),
    ev(u('hank'), 'User Followed', '21T08:01:00', { followee_id: 'bob' }),
    ev(u('hank'), 'Friend Added', '21T08:02:00', { friend_id: 'alice' }),
    ...click({ anonymousId: 'anon-v' }, 'share-s4', '22T09:00:00'),
    ev({ anonymousId: 'anon-v' }, 'Product Shared', '22T09:05:00', { share_id: 'share-s5', parent_share_id: 'share-s4' }),
    order({ anonymousId: 'anon-v' }, 'o-anon', '22T10:00:00', 40),
    ...click(u('gina'), 'share-s5', '23T09:00:00'),
    order(u('gina'), 'o-gina', '23T10:00:00', 25),
  ];
  for (const m of later) {
    await send([m]);
    while ((await step()) > 0);
  }
  assert.equal((await byUser('bob')).followers, 3);
  assert.equal((await byUser('dave')).downstreamOrders, 3, 'erin, the anonymous visitor (s4), gina (s5)');
  assert.equal(await settle(), 1);
  await assertEqualsFull();

  // The anonymous visitor identifies as gina: a merge. gina's order then attributes by all her ids.
  await send([{ type: 'identify', messageId: 'inf-merge', userId: 'gina', anonymousId: 'anon-v', timestamp: '2026-09-24T10:00:00Z', traits: {} }]);
  while ((await step()) > 0);
  const gina = await byUser('gina');
  assert.equal(gina.shares, 1);
  assert.equal(gina.shareClicks, 0, "gina's visit to her own share s5 is not a click");
  await settle();
  await assertEqualsFull();

  const m = await t.engine.op.query<{ id: number }>(`select id from identity_merges where workspace_id = $1 and message_id = 'inf-merge'`, [WS]);
  assert.ok(await t.engine.op.tx((q) => unmerge(q, WS, Number(m.rows[0]!.id))));
  while ((await step()) > 0);
  assert.equal((await byUser('gina')).shareClicks, 0);
  assert.equal((await byUser('gina')).shares, 0);
  await settle();
  await assertEqualsFull();
});

test('the traits API carries the influence traits; the influencers API ranks and validates', async () => {
  const alice = await byUser('alice');
  const r = await t.app.fastify.inject({ method: 'GET', url: `/api/v1/users/${alice.profileId}/traits`, headers: { authorization: bearer() } });
  assert.equal(r.statusCode, 200);
  const tr = (r.json() as { traits: Record<string, unknown> }).traits;
  for (const k of ['followers', 'following', 'friends', 'invitesSent', 'invitesAccepted', 'shares', 'shareClicks', 'downstreamOrders', 'downstreamGmv', 'centrality', 'centralityPercentile', 'isKol']) {
    assert.ok(k in tr, k);
  }
  assert.equal(tr.downstreamOrders, 5, 'the 4 of the first world and the anonymous visitor at s4 (gina at s5 is 4 generations down)');
  const top = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/analytics/influencers?limit=2', headers: { authorization: bearer() } });
  assert.equal(top.statusCode, 200);
  const b = top.json() as { by: string; depth: number; influencers: Array<{ profileId: string; centrality: number; isKol: boolean }> };
  assert.equal(b.by, 'centrality');
  assert.equal(b.depth, 3);
  assert.equal(b.influencers.length, 2);
  assert.ok(b.influencers[0]!.centrality >= b.influencers[1]!.centrality);
  const gmv = await t.app.fastify.inject({ method: 'GET', url: '/api/v1/analytics/influencers?by=downstreamGmv&limit=1', headers: { authorization: bearer() } });
  assert.equal((gmv.json() as { influencers: Array<{ profileId: string }> }).influencers[0]!.profileId, alice.profileId);
  for (const q of ['limit=0', 'limit=abc', 'by=followers']) {
    const bad = await t.app.fastify.inject({ method: 'GET', url: `/api/v1/analytics/influencers?${q}`, headers: { authorization: bearer() } });
    assert.equal(bad.statusCode, 400, q);
    assert.match(bad.json().error.details[0].path as string, /^query\./);
  }
});

test('a pass that cannot change an influence trait skips the influence step; one that can runs it; both equal a full recompute', async () => {
  // Whether the pass ran the influence step (traitsStep's phase timings name it).
  const ranInfluence = async () => {
    const timings: Record<string, number> = {};
    while ((await traitsStep(t.engine.op, t.engine.es, { today: () => AS_OF, checkEveryMs: 0, maxEvents: 50, maxDutyCycle: 1, timings })) > 0);
    assert.ok('facts' in timings, 'the pass recomputed the scope');
    return 'influence' in timings;
  };
  const before = await byUser('alice');
  // bob views a product, then orders with no share touch in the 7 days before: nothing to credit.
  await send([ev(u('bob'), 'Product Viewed', '25T08:00:00', { product_id: 'p1' })]);
  assert.equal(await ranInfluence(), false);
  await send([order(u('bob'), 'o-bob-2', '25T09:00:00', 30)]);
  assert.equal(await ranInfluence(), false);
  await assertEqualsFull();
  // frank clicks alice's share, then orders two days later without a share_id: the touch credits it.
  await send(click(u('frank'), 'share-s1', '26T10:00:00'));
  assert.equal(await ranInfluence(), true);
  await send([order(u('frank'), 'o-frank-2', '28T10:00:00', 15)]);
  assert.equal(await ranInfluence(), true);
  const alice = await byUser('alice');
  assert.equal(alice.downstreamOrders, (before.downstreamOrders as number) + 1);
  assert.equal(alice.shareClicks, before.shareClicks, 'frank had already clicked share-s1');
  await assertEqualsFull();
});

test('a pass that changes the graph marks centrality stale; the refresh computes it later, off the pass; a full recompute clears the marks', async () => {
  const pending = async () => (await t.engine.es.read<{ n: number }>('select count(*)::integer as n from influence_centrality_pending where workspace_id = $1', [WS]))[0]!.n;
  const before = await byUser('alice');
  assert.equal(await pending(), 0);
  await send([ev(u('ivy'), 'User Followed', '29T08:00:00', { followee_id: 'alice' })]);
  while ((await step()) > 0);
  // The counts are current at once; the centrality is the stored one until the refresh.
  assert.equal((await byUser('alice')).followers, (before.followers as number) + 1);
  assert.equal((await byUser('alice')).centrality, before.centrality);
  assert.equal((await byUser('ivy')).centrality, 0, 'a new node has no stored centrality yet');
  assert.equal(await pending(), 1);
  assert.equal(await influenceRefreshStep(t.engine.es), 0, 'not due: a change waits 30 s by default');
  assert.equal(await settle(), 1);
  assert.equal(await pending(), 0);
  assert.ok(((await byUser('ivy')).centrality as number) > 0);
  assert.notEqual((await byUser('alice')).centrality, before.centrality);
  await assertEqualsFull();

  // A refresh computed before a full recompute writes nothing after it (the full run's is newer)...
  const { staleCentrality, readGraphLinks, centralityOffThread, applyCentrality, getRun } = await import('../../src/modules/profiles/index.ts');
  const settings = (await getRun(t.engine.es, WS))!.settings;
  await send([ev(u('ivy'), 'User Unfollowed', '29T09:00:00', { followee_id: 'alice' })]);
  while ((await step()) > 0);
  const [stale] = await staleCentrality(t.engine.es);
  const rows = await centralityOffThread(await readGraphLinks(t.engine.es, WS));
  await full();
  assert.equal(await pending(), 0, 'the full recompute cleared the marks');
  assert.equal(await t.engine.es.write((c) => applyCentrality(c, { ws: WS, settings }, rows, stale!.upTo)), false);
  // ...and marks newer than a refresh's read stay for the next one.
  await send([ev(u('ivy'), 'User Followed', '29T10:00:00', { followee_id: 'bob' })]);
  while ((await step()) > 0);
  const [first] = await staleCentrality(t.engine.es);
  const early = await centralityOffThread(await readGraphLinks(t.engine.es, WS));
  await send([ev(u('ivy'), 'User Followed', '29T11:00:00', { followee_id: 'carol' })]);
  while ((await step()) > 0);
  assert.equal(await pending(), 2);
  assert.equal(await t.engine.es.write((c) => applyCentrality(c, { ws: WS, settings }, early, first!.upTo)), true);
  assert.equal(await pending(), 1);
  assert.equal(await settle(), 1);
  await assertEqualsFull();
});

test('centrality of a large graph is computed on a worker thread with the same result', async () => {
  const { centralityOffThread } = await import('../../src/modules/profiles/index.ts');
  const { centralityOf } = await import('../../src/modules/profiles/centrality.ts');
  // 30,000 links (above the in-thread limit) over 5,000 nodes, from a fixed generator (mulberry32).
  let x = 12345;
  const rnd = (k: number) => {
    x = (x + 0x6d2b79f5) | 0;
    let r = Math.imul(x ^ (x >>> 15), 1 | x);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) % k;
  };
  const links = { from: [] as string[], to: [] as string[] };
  for (let i = 0; i < 30_000; i++) {
    links.from.push(`p${rnd(5000)}`);
    links.to.push(`p${rnd(rnd(10) ? 5000 : 50)}`);
  }
  const here = centralityOf(links);
  const there = await centralityOffThread(links);
  assert.deepEqual(there.nodes, here.nodes);
  assert.deepEqual(Array.from(there.centrality), Array.from(here.centrality));
  assert.deepEqual(Array.from(there.percentile), Array.from(here.percentile));
  assert.ok(here.nodes.length > 4000);
});

test('saved segments refresh after a centrality refresh (no event moved the traits cursor)', async () => {
  const { saveSegment, segmentsStep } = await import('../../src/flows/segments-refresh.ts');
  const { getSegment } = await import('../../src/modules/segments/index.ts');
  const segStep = () => segmentsStep(t.engine.op, t.engine.es, { checkEveryMs: 0, minEventIntervalMs: 0, maxDutyCycle: 1 });
  const seg = await saveSegment(t.engine.op, t.engine.es, WS, { name: 'graph nodes', rule: { trait: 'centralityPercentile', op: 'exists' } });
  const size0 = seg.size!;
  assert.ok(size0 > 0);
  // kim joins the graph: the pass marks centrality stale, kim has no percentile yet.
  await send([ev(u('kim'), 'User Followed', '30T08:00:00', { followee_id: 'alice' })]);
  while ((await step()) > 0);
  await segStep();
  assert.equal((await getSegment(t.engine.op, WS, seg.id))!.size, size0, 'not a node with a percentile before the refresh');
  assert.equal(await segStep(), 0, 'nothing due');
  assert.equal(await settle(), 1);
  assert.equal(await segStep(), 1, 'the centrality refresh made it due');
  assert.equal((await getSegment(t.engine.op, WS, seg.id))!.size, size0 + 1);
});

test('a failing centrality refresh keeps its marks, is retried after a backoff, and throws for the log', async () => {
  const pending = async () => (await t.engine.es.read<{ n: number }>('select count(*)::integer as n from influence_centrality_pending where workspace_id = $1', [WS]))[0]!.n;
  await send([ev(u('lee'), 'User Followed', '30T09:00:00', { followee_id: 'bob' })]);
  while ((await step()) > 0);
  assert.equal(await pending(), 1);
  await assert.rejects(influenceRefreshStep(t.engine.es, { delayMs: 0, compute: () => Promise.reject(new Error('worker out of memory')) }), /worker out of memory/);
  assert.equal(await pending(), 1, 'the marks stay');
  let called = 0;
  const { centralityOf } = await import('../../src/modules/profiles/centrality.ts');
  const counting = async (links: Parameters<typeof centralityOf>[0]) => (called++, centralityOf(links));
  assert.equal(await influenceRefreshStep(t.engine.es, { delayMs: 0, compute: counting }), 0, 'backing off: not retried at once');
  assert.equal(called, 0);
  await new Promise((r) => setTimeout(r, 5100));
  assert.equal(await influenceRefreshStep(t.engine.es, { delayMs: 0, compute: counting }), 1, 'retried after 5 s');
  assert.equal(called, 1);
  assert.equal(await pending(), 0);
  await assertEqualsFull();
});

test('a share cascade too large for a pass: the upstream sharer is recounted by the influence refresh, the buyer at once', async () => {
  const { IN_LIST_MAX } = await import('../../src/modules/profiles/params.ts');
  const { staleCounts, readCounts, applyCounts, getRun } = await import('../../src/modules/profiles/index.ts');
  const pending = async () => (await t.engine.es.read<{ n: number }>('select count(distinct profile_id)::integer as n from influence_counts_pending where workspace_id = $1', [WS]))[0]!.n;
  // max shares; more visitors click it than an index lookup takes (the cascade's ids > IN_LIST_MAX).
  const visitors = Array.from({ length: IN_LIST_MAX + 40 }, (_, i) => `mv${i}`);
  await send([ev(u('max'), 'Product Shared', '20T08:00:00', { share_id: 'share-max', product_id: 'p1' })]);
  await send(visitors.map((v, i) => ev(u(v), 'Share Link Opened', `20T${String(9 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`, { share_id: 'share-max' })));
  while ((await step()) > 0);
  await settle();
  const before = await byUser('max');
  assert.equal(before.shareClicks, visitors.length);
  assert.equal(await pending(), 0);
  await assertEqualsFull();

  // mv1 orders (credited to share-max by the click): the pass recounts mv1 now and leaves max for the refresh.
  await send([order(u('mv1'), 'o-mv1', '21T10:00:00', 40)]);
  assert.equal(await step(), 1);
  assert.equal(await pending(), 1);
  assert.equal((await byUser('max')).downstreamOrders, before.downstreamOrders, 'max: until the refresh, the counts before the order');
  const mv1 = await byUser('mv1');
  assert.equal(mv1.orders, 1);
  assert.equal(await influenceRefreshStep(t.engine.es), 0, 'not due: a mark waits 30 s by default');
  assert.equal(await settle(), 1);
  assert.equal(await pending(), 0);
  const after = await byUser('max');
  assert.equal(after.downstreamOrders, (before.downstreamOrders as number) + 1);
  assert.equal(Number(after.downstreamGmv), Number(before.downstreamGmv) + 40);
  await assertEqualsFull();

  // A refresh read before a pass that recounted max itself writes nothing for max (the pass's values are newer).
  const settings = (await getRun(t.engine.es, WS))!.settings;
  await send([order(u('mv2'), 'o-mv2', '21T11:00:00', 25)]);
  while ((await step()) > 0);
  const [stale] = await staleCounts(t.engine.es);
  assert.deepEqual(stale!.profiles.length, 1);
  const early = await readCounts(t.engine.es, { ws: WS, asOf: AS_OF, settings }, stale!.profiles);
  await send([ev(u('max'), 'Product Shared', '21T12:00:00', { share_id: 'share-max-2', product_id: 'p1' })]);
  while ((await step()) > 0);
  assert.equal(await pending(), 0, 'the pass counted max and cleared its mark');
  assert.equal((await byUser('max')).shares, (before.shares as number) + 1);
  assert.equal(await t.engine.es.write((c) => applyCounts(c, { ws: WS, settings }, early, stale!.upTo)), 0);
  assert.equal((await byUser('max')).shares, (before.shares as number) + 1, 'not overwritten by the older read');
  // A mark made after a refresh's read stays for the next refresh; the read's own marks are written.
  await send([order(u('mv4'), 'o-mv4', '21T12:30:00', 12)]);
  while ((await step()) > 0);
  const [stale1] = await staleCounts(t.engine.es);
  const early1 = await readCounts(t.engine.es, { ws: WS, asOf: AS_OF, settings }, stale1!.profiles);
  await send([order(u('mv5'), 'o-mv5', '21T12:40:00', 13)]);
  while ((await step()) > 0);
  assert.equal((await t.engine.es.read<{ n: number }>('select count(*)::integer as n from influence_counts_pending where workspace_id = $1', [WS]))[0]!.n, 2);
  assert.equal(await t.engine.es.write((c) => applyCounts(c, { ws: WS, settings }, early1, stale1!.upTo)), 1);
  assert.equal(await pending(), 1, 'the newer mark stays');
  assert.equal(await settle(), 1);
  assert.equal(await pending(), 0);
  await assertEqualsFull();
  // A full recompute clears the marks: a refresh read before it writes nothing.
  await send([order(u('mv3'), 'o-mv3', '21T13:00:00', 10)]);
  while ((await step()) > 0);
  const [stale2] = await staleCounts(t.engine.es);
  const early2 = await readCounts(t.engine.es, { ws: WS, asOf: AS_OF, settings }, stale2!.profiles);
  await full();
  assert.equal(await pending(), 0);
  assert.equal(await t.engine.es.write((c) => applyCounts(c, { ws: WS, settings }, early2, stale2!.upTo)), 0);
  await assertEqualsFull();
});
