/**
 * The world of `npm run bench:segments`: about 1 million people and 10 million events, built once
 * and cached under .bench-data/segments/. Loaded without HTTP, straight into the stores through the
 * modules' public functions (as bench:query does):
 *
 * - events: src/sim (the full e-commerce + social simulation) for `simUsers` people over `days`
 *   days, plus a long tail of occasional people (a signup `identify`, a few product views, an
 *   order for about one in five, a share for some, a return visit for some), so that the workspace
 *   has `users` people in all. Each message is normalised as POST /v1/batch would
 *   (receivedAt = its timestamp) and appended with the events module's appendEvents.
 * - the identity graph (operational store, PGlite in the cache directory): the identity module's
 *   resolveEvents over every identify / alias message and the first message of each distinct
 *   (userId, anonymousId) pair, in log order: the graph the projector would build.
 * - the social graph: the social module's applySocialEvents over the social messages, in log order.
 * - the projector cursor is set to the end of the log (everything is "projected").
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { simulate, type SegmentMessage } from '../../src/sim/index.ts';
import { Rng } from '../../src/sim/rng.ts';
import { normalizeMessage, setCursor, type StoredEvent } from '../../src/modules/ingest/index.ts';
import { openEventStoreDb, type EventStoreDb } from '../../src/platform/eventstore/duckdb.ts';
import { openOpStore, migrateOpStore, type OpStore } from '../../src/platform/opstore/index.ts';
import { appendEvents, eventStoreCursor, migrateEventStore, type LoggedEvent } from '../../src/modules/events/index.ts';
import { createWorkspace, getWorkspace } from '../../src/modules/workspaces/index.ts';
import { resolveEvents } from '../../src/modules/identity/index.ts';
import { applySocialEvents } from '../../src/modules/social/index.ts';
import { PROJECTOR } from '../../src/flows/project-events.ts';
import { ROOT } from './children.ts';
import { fmt } from './machine.ts';

export const WS = 'default';
export const START = '2026-01-01';
/** Bumped when the way the world is built changes; a cache built otherwise is rebuilt. */
const BUILD_FORMAT = 1;
const CHUNK = 5_000;
const DAY = 86_400_000;

export interface WorldOptions { users: number; simUsers: number; days: number; seed: number }
export interface BuiltWorld extends WorldOptions {
  format: number; dir: string; events: number; identities: number; profiles: number; socialEdges: number; shares: number;
  buildSeconds: number; builtAt: string; lastDay: string;
}

const log = (s: string) => process.stderr.write(s + '\n');

export function worldDir(o: WorldOptions) {
  return path.join(ROOT, '.bench-data', 'segments', `u${o.users}-s${o.simUsers}-d${o.days}-seed${o.seed}`);
}

function bar(label: string, total: number) {
  const b = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`,
    stream: process.stderr, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 15_000, etaBuffer: 100, fps: 4,
  }, cliProgress.Presets.shades_classic);
  b.start(total, 0);
  return b;
}

/** The cached world, built first when missing (or `rebuild`). */
export async function loadWorld(o: WorldOptions, rebuild: boolean): Promise<BuiltWorld> {
  const dir = worldDir(o);
  const doneFile = path.join(dir, 'done.json');
  if (!rebuild && fs.existsSync(doneFile)) {
    const b = JSON.parse(fs.readFileSync(doneFile, 'utf8')) as BuiltWorld;
    if (b.format === BUILD_FORMAT) {
      log(`reusing the world in ${path.relative(ROOT, dir)} (built ${b.builtAt}; --rebuild to regenerate)`);
      return b;
    }
  }
  const b = await build(o, dir);
  fs.writeFileSync(doneFile, JSON.stringify(b, null, 2));
  return b;
}

/** The long tail: occasional people, each with an Rng of their own (deterministic). */
function tailMessages(o: WorldOptions, products: Array<{ productId: string; name: string; category: string; brand: string; price: number }>) {
  const n = o.users - o.simUsers;
  const startMs = Date.parse(START + 'T00:00:00Z');
  const signupDay = new Int16Array(n);
  const returnDay = new Int16Array(n).fill(-1);
  const r0 = new Rng(o.seed, 91);
  for (let j = 0; j < n; j++) {
    signupDay[j] = r0.int(o.days);
    if (r0.chance(0.3)) returnDay[j] = Math.min(o.days - 1, signupDay[j]! + 1 + r0.int(45));
  }
  const byDay = (arr: Int16Array) => {
    const lists: number[][] = Array.from({ length: o.days }, () => []);
    for (let j = 0; j < n; j++) if (arr[j]! >= 0) lists[arr[j]!]!.push(j);
    return lists;
  };
  const signups = byDay(signupDay);
  const returns = byDay(returnDay);
  const ids = (j: number) => ({ userId: 'u' + (o.simUsers + j + 1), anonymousId: 'anon-tail-' + (j + 1).toString(36) });
  const product = (r: Rng) => products[Math.min(products.length - 1, Math.floor(products.length * Math.pow(r.next(), 2)))]!;
  const visit = (out: SegmentMessage[], r: Rng, j: number, t0: number, firstVisit: boolean) => {
    const id = ids(j);
    let t = t0;
    const msg = (m: Omit<SegmentMessage, 'messageId' | 'timestamp'>) => {
      t += 20_000 + r.int(300_000);
      out.push({ ...m, messageId: `tail-${o.seed}-${j}-${out.length}-${t}`, timestamp: new Date(t).toISOString() });
    };
    if (firstVisit) msg({ type: 'identify', ...id, traits: { city: ['上海', '北京', '广州', '深圳', '成都', '杭州'][r.int(6)], gender: r.chance(0.6) ? 'female' : 'male' } });
    const p = product(r);
    const props = { product_id: p.productId, name: p.name, category: p.category, brand: p.brand, price: p.price, currency: 'CNY' };
    for (let k = r.int(3); k >= 0; k--) msg({ type: 'track', ...id, event: 'Product Viewed', properties: props });
    if (r.chance(0.2)) {
      const q = 1 + r.int(2);
      const total = Math.round(p.price * q * 100) / 100;
      msg({ type: 'track', ...id, event: 'Order Completed', properties: {
        order_id: `tail-o-${j}-${firstVisit ? 1 : 2}`, total, revenue: total, currency: 'CNY',
        products: [{ product_id: p.productId, name: p.name, category: p.category, brand: p.brand, price: p.price, quantity: q }],
      } });
    }
    if (r.chance(0.05)) msg({ type: 'track', ...id, event: 'Product Shared', properties: { share_id: `tail-s-${j}-${firstVisit ? 1 : 2}`, product_id: p.productId, channel: 'wechat' } });
  };
  /** The tail's messages of one day. */
  return (day: number): SegmentMessage[] => {
    const out: SegmentMessage[] = [];
    const dayMs = startMs + day * DAY;
    for (const j of signups[day]!) {
      const r = new Rng(o.seed * 7919 + j, 92);
      visit(out, r, j, dayMs + r.int(DAY - 3_600_000), true);
    }
    for (const j of returns[day]!) {
      const r = new Rng(o.seed * 7919 + j, 93);
      visit(out, r, j, dayMs + r.int(DAY - 3_600_000), false);
    }
    return out;
  };
}

async function build(o: WorldOptions, dir: string): Promise<BuiltWorld> {
  const t0 = Date.now();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const es = await openEventStoreDb(dir);
  await migrateEventStore(es);
  const sim = simulate({ users: o.simUsers, days: o.days, seed: o.seed, startDate: START }, 10_000);
  const tail = tailMessages(o, sim.truth.products);
  const estimate = sim.estimateEvents() + Math.round((o.users - o.simUsers) * 3.2);
  log(`building the bench world: ${fmt(o.simUsers)} simulated + ${fmt(o.users - o.simUsers)} occasional people × ${o.days} days (seed ${o.seed}), ~${fmt(estimate)} events, into ${path.relative(ROOT, dir)}`);
  const b = bar('events', estimate);
  let seq = 0;
  let chunk: LoggedEvent[] = [];
  const push = async (m: SegmentMessage) => {
    chunk.push({ seq: ++seq, workspaceId: WS, body: normalizeMessage(m, 0, new Date(m.timestamp)) });
    if (chunk.length >= CHUNK) {
      await appendEvents(es, chunk);
      chunk = [];
      b.update(seq);
    }
  };
  const startMs = Date.parse(START + 'T00:00:00Z');
  let tailDay = 0;
  for (const batch of sim.batches()) {
    const day = Math.floor((Date.parse(batch[0]!.timestamp) - startMs) / DAY);
    for (; tailDay < day; tailDay++) for (const m of tail(tailDay)) await push(m);
    for (const m of batch) await push(m);
  }
  for (; tailDay < o.days; tailDay++) for (const m of tail(tailDay)) await push(m);
  if (chunk.length) await appendEvents(es, chunk);
  b.setTotal(seq);
  b.update(seq);
  b.stop();
  await es.write((c) => c.run('checkpoint'));
  log(`events: ${fmt(seq)} in ${fmt((Date.now() - t0) / 1000)} s`);

  const op = await openOpStore({ dataDir: dir });
  await migrateOpStore(op);
  if (!(await getWorkspace(op, WS))) await createWorkspace(op, WS, 'Bench');
  const { identities, profiles } = await loadIdentities(op, es);
  const { edges, shares } = await loadSocial(op, es);
  await setCursor(op, PROJECTOR, await eventStoreCursor(es));
  const lastDay = (await es.read<{ d: string }>(`select strftime(max(ts), '%Y-%m-%d') as d from events`))[0]!.d;
  await op.close();
  await es.close();
  return {
    ...o, format: BUILD_FORMAT, dir, events: seq, identities, profiles, socialEdges: edges, shares,
    buildSeconds: (Date.now() - t0) / 1000, builtAt: new Date().toISOString(), lastDay,
  };
}

async function bodies(es: EventStoreDb, where: string, each: (rows: StoredEvent[]) => Promise<void>, label: string) {
  const n = (await es.read<{ n: number }>(`select count(*)::integer as n from events where ${where}`))[0]!.n;
  const b = bar(label, n);
  let after = 0;
  let done = 0;
  for (;;) {
    const rows = await es.read<{ seq: number; body: string }>(`select seq, body::varchar as body from events where ${where} and seq > $1 order by seq limit ${CHUNK}`, [after]);
    if (!rows.length) break;
    await each(rows.map((r) => JSON.parse(r.body) as StoredEvent));
    after = rows[rows.length - 1]!.seq;
    done += rows.length;
    b.update(done);
  }
  b.stop();
}

async function loadIdentities(op: OpStore, es: EventStoreDb): Promise<{ identities: number; profiles: number }> {
  const t = Date.now();
  await es.write(async (c) => {
    await c.run(`create or replace temp table bench_ident_seqs as
      select seq from events where type in ('identify', 'alias')
      union select min(seq) from events where user_id is not null or anonymous_id is not null group by user_id, anonymous_id`);
  });
  // Temp tables are per connection: materialise as a plain table the reader sees.
  await es.write((c) => c.run(`create or replace table bench_ident_seqs_t as select * from bench_ident_seqs`));
  await bodies(es, 'seq in (select seq from bench_ident_seqs_t)', async (rows) => {
    await op.tx(async (q) => {
      await resolveEvents(q, WS, rows);
    });
  }, 'identities');
  await es.write((c) => c.run('drop table bench_ident_seqs_t'));
  const n = await op.query<{ i: number; p: number }>(`select (select count(*) from identities where workspace_id = $1)::integer as i, (select count(distinct profile_id) from identities where workspace_id = $1)::integer as p`, [WS]);
  log(`identity graph: ${fmt(n.rows[0]!.i)} identities, ${fmt(n.rows[0]!.p)} profiles in ${fmt((Date.now() - t) / 1000)} s`);
  return { identities: n.rows[0]!.i, profiles: n.rows[0]!.p };
}

async function loadSocial(op: OpStore, es: EventStoreDb): Promise<{ edges: number; shares: number }> {
  const t = Date.now();
  const where = `event in ('User Followed', 'User Unfollowed', 'Friend Added', 'Friend Removed', 'Invite Accepted', 'Product Shared')`;
  await bodies(es, where, async (rows) => {
    await op.tx((q) => applySocialEvents(q, WS, rows));
  }, 'social graph');
  const n = await op.query<{ e: number; s: number }>(`select (select count(*) from social_edges where workspace_id = $1)::integer as e, (select count(*) from shares where workspace_id = $1)::integer as s`, [WS]);
  log(`social graph: ${fmt(n.rows[0]!.e)} edges, ${fmt(n.rows[0]!.s)} shares in ${fmt((Date.now() - t) / 1000)} s`);
  return { edges: n.rows[0]!.e, shares: n.rows[0]!.s };
}
